"""An agent's session on the agents socket (PROTOCOL.md §5): zswarm._io's thread with
the session's timers and state.

The thread owns the DEALER, as for a Client, and is the only one that touches the
session's state: other threads queue messages and requests (``message``, ``ask``) or
callables (``call``) to it. It says hello until welcomed, retrying after hb, 2 hb, 4 hb
... at most 16 hb, each varied by +-25% (§5.1; hb is 250 ms until a welcome gives
one); once welcomed it sends a heartbeat with the owner's load whenever nothing else
went out for hb ms. A welcomed session is lost when nothing was heard for live x hb
(§5.2: the socket is replaced, so the coordinator sees a new identity, and hellos start
at once), on an error 4 (§5.3: the coordinator restarted or forgot us; hello again on
the same socket, with the same id) and on the coordinator's bye (§5.4: hellos resume
after hb). The socket sets ZMQ_IMMEDIATE: while no connection is up nothing is queued,
and a frame that finds no peer is dropped (a request fails with ClientClosed), so a
stale hello or result never reaches a coordinator that came back. A lost session fails
the requests it had open: no reply will come for them.

Messages from the coordinator are checked (every field the agent reads has the kind
§2.2 says) before the owner sees them; a message that fails is dropped and logged.
"""

import concurrent.futures
import itertools
import logging
import random
import time

import msgpack
import zmq

from . import _check as check
from ._io import IoThread
from .errors import NOT_REGISTERED, ClientClosed, ValidationError

log = logging.getLogger("zswarm.agent")

HB_DEFAULT = 0.25          # s, before the first welcome (§5.1)
LIVE_DEFAULT = 4           # intervals, before the first welcome
HB_MIN, HB_MAX = 0.010, 600.0
BACKOFF_MAX = 16           # a hello retry waits at most this many hb
SUB_HWM = 1024             # events queued on a subscription (agent events are few)
JITTER = 0.25              # each hello retry varies by this much either way
LOG_MAX = 200              # characters of a text from outside that a log line shows

_STR, _INT, _BIN, _LIST, _BOOL = str, int, bytes, list, bool
# The fields the agent reads of each message it takes, and their kinds:
# (required, optional). Everything else in a message is left alone.
_SCHEMA = {
    "welcome": ({"agent": _STR, "atype": _STR, "conc": _INT, "hb": _INT, "live": _INT,
                 "handler": _STR}, {"option": _STR, "events": _STR, "aseq": _INT,
                                    "paused": _BOOL}),
    "heartbeat": ({}, {"aseq": _INT}),
    "agent.sync.ok": ({"aseq": _INT}, {"paused": _BOOL}),
    "error": ({"code": _INT, "why": _STR}, {"rid": _INT, "task": _STR, "vote": _STR}),
    "task.assign": ({"task": _STR, "ttype": _STR, "att": _INT},
                    {"payload": _BIN, "tmo": _INT, "ckpt": _BIN, "inputs": _LIST,
                     "parent": _STR}),
    "task.cancel": ({"task": _STR, "att": _INT}, {}),
    "msg": ({"agent": _STR}, {"payload": _BIN}),
    "vote.ask": ({"vote": _STR, "question": _STR, "options": _LIST, "strategy": _STR,
                  "deadline": _INT}, {"agent": _STR}),
    "neighbours": ({"role": _STR}, {"peers": _LIST, "gone": _LIST, "full": _BOOL,
                                    "lead": _STR}),
    "provider.state": ({"provider": _STR, "state": _STR}, {"left": _INT, "why": _STR}),
    # the events addressed to agents, from the events socket (zswarm._listen)
    "agent.broadcast": ({"aseq": _INT, "payload": _BIN}, {"atype": _STR}),
    "agent.paused": ({"aseq": _INT}, {"agent": _STR, "atype": _STR}),
    "agent.resumed": ({"aseq": _INT}, {"agent": _STR, "atype": _STR}),
}


def shown(value):
    """A text from outside as a log line may show it: quoted, escaped, bounded."""
    text = value if isinstance(value, str) else repr(value)
    return repr(text[:LOG_MAX] + ("..." if len(text) > LOG_MAX else ""))


def _kind_ok(value, kind):
    if kind is _INT:
        return isinstance(value, int) and not isinstance(value, bool) and value >= -2**63
    if kind is _LIST:
        return isinstance(value, list) and all(isinstance(v, (str, dict)) for v in value)
    return isinstance(value, kind)


def well_formed(msg):
    """None when msg has what the agent reads of its type, else what is wrong."""
    required, optional = _SCHEMA.get(msg["t"], ({}, {}))
    for key, kind in required.items():
        if key not in msg or msg[key] is None or not _kind_ok(msg[key], kind):
            return f"'{key}' missing or not a {kind.__name__}"
    for key, kind in optional.items():
        if msg.get(key) is not None and not _kind_ok(msg[key], kind):
            return f"'{key}' is not a {kind.__name__}"
    return None


class Session(IoThread):
    """The session of ``owner``, which provides: ``hello_fields()`` (the hello's own
    fields), ``welcomed(msg, renewed, again)`` (again: another welcome of the session
    going on), ``received(msg)`` (any message the session does not consume),
    ``load()``, ``usage()`` (a heartbeat's cpu and rss), ``deadline()`` (monotonic
    time of its next timer, or None) and ``tick(now)``. All are called on this
    thread."""

    def __init__(self, owner, endpoint, curve):
        self._owner = owner
        self.endpoint = endpoint
        self._curve = curve                    # (public, secret, server) Z85, or None
        self._zctx = zmq.Context()
        super().__init__(self._new_socket(), name="zswarm-agent")
        self._rids = itertools.count(1)        # rid 0 is "absent" (§2.3)
        self.hb, self.live = HB_DEFAULT, LIVE_DEFAULT
        self.welcomed = False
        self._ever_welcomed = False
        self._backoff = 0.0                    # the last hello retry's delay
        self._next_hello = 0.0                 # monotonic; 0: at once
        self._last_heard = time.monotonic()
        self._beat_tried = 0.0                 # monotonic time of the last heartbeat

    def _new_socket(self):
        sock = self._zctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.IMMEDIATE, 1)
        sock.setsockopt(zmq.MAXMSGSIZE, check.FRAME_MAX)
        sock.setsockopt(zmq.RECONNECT_IVL_MAX, int(BACKOFF_MAX * HB_DEFAULT * 1000))
        if self._curve:
            sock.curve_publickey, sock.curve_secretkey, sock.curve_serverkey = self._curve
        try:
            sock.connect(self.endpoint)
        except zmq.ZMQError as exc:
            sock.close()
            raise ValidationError(f"cannot connect to '{self.endpoint}': {exc}") from exc
        return sock

    def subscribe(self, endpoint, topics, fn):
        """A SUB socket connected to endpoint, with the session's CURVE keys, taking
        topics; this thread reads it and calls fn() when it has input (this thread
        only). Raises ValidationError when it cannot connect."""
        sock = self._zctx.socket(zmq.SUB)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.RCVHWM, SUB_HWM)
        sock.setsockopt(zmq.MAXMSGSIZE, check.FRAME_MAX)
        if self._curve:
            sock.curve_publickey, sock.curve_secretkey, sock.curve_serverkey = self._curve
        for topic in topics:
            sock.setsockopt(zmq.SUBSCRIBE, topic.encode())
        try:
            sock.connect(endpoint)
        except zmq.ZMQError as exc:
            sock.close()
            raise ValidationError(f"cannot subscribe at {shown(endpoint)}: {exc}") \
                from exc
        self.add_reader(sock, fn)
        return sock

    def unsubscribe(self, sock):
        """Close a socket of subscribe() (this thread only)."""
        self.remove_reader(sock)
        sock.close(linger=0)

    # -- any thread

    @staticmethod
    def _frame(t, fields):
        msg = {"v": 1, "t": t}
        msg.update((k, v) for k, v in fields.items() if v is not None)
        frame = msgpack.packb(msg, use_bin_type=True)
        if len(frame) > check.FRAME_MAX:
            raise ValidationError(f"{t}: the message takes {len(frame)} bytes, more "
                                  f"than a frame's {check.FRAME_MAX}")
        return frame

    def message(self, t, **fields):
        """Queue message t, which gets no reply (None values left out)."""
        self.send(None, self._frame(t, fields), [])

    def ask(self, t, replies=1, **fields):
        """Queue request t with a fresh rid; one Future per reply expected."""
        rid = next(self._rids)  # itertools.count is atomic under the GIL
        frame = self._frame(t, dict(fields, rid=rid))
        futures = [concurrent.futures.Future() for _ in range(replies)]
        self.send(rid, frame, futures)
        return futures

    def call_soon(self, fn):
        """call(fn), or nothing once the thread is ending (fn no longer matters)."""
        try:
            self.call(fn)
        except ClientClosed:
            pass

    # -- this thread

    def post(self, t, **fields):
        """Send message t now; dropped when no coordinator is connected."""
        try:
            self._sock.send(self._frame(t, fields), zmq.NOBLOCK)
            self.last_send = time.monotonic()
            return True
        except zmq.Again:
            return False

    def _hello(self, now):
        fields = self._owner.hello_fields()
        if self.post("hello", **fields):
            log.debug("zswarm: hello sent as %s", shown(fields.get("agent", "-")))
        self._backoff = min(self._backoff * 2 if self._backoff else self.hb,
                            BACKOFF_MAX * self.hb)
        self._next_hello = now + self._backoff * random.uniform(1 - JITTER, 1 + JITTER)

    def _lost(self, why, now, new_socket=False, delay=0.0):
        log.info("zswarm: session lost (%s): saying hello again", why)
        self.welcomed = False
        self._backoff = 0.0
        if new_socket:
            self._replace_socket(self._new_socket())
        # Requests end with the session that took them, unanswered (a wait among
        # them, §7.4): fail them rather than leave a handler waiting for ever
        for rid in list(self._pending):
            self._fail(rid, ClientClosed(f"the session was lost ({why})"))
        self._next_hello = now + delay

    def _no_peer(self):
        return True

    def _beat_due(self):
        return max(self.last_send, self._beat_tried) + self.hb

    def _timeout(self):
        now = time.monotonic()
        if self.welcomed:
            wake = min(self._beat_due(), self._last_heard + self.live * self.hb)
        else:
            wake = self._next_hello
        own = self._owner.deadline()
        if own is not None:
            wake = min(wake, own)
        return max(0, int((wake - now) * 1000) + 1)

    def _tick(self):
        now = time.monotonic()
        if self.welcomed and now - self._last_heard > self.live * self.hb:
            self._lost(f"nothing heard for {self.live} x {self.hb * 1000:.0f} ms", now,
                       new_socket=True)
        if not self.welcomed and now >= self._next_hello:
            self._hello(now)
        elif self.welcomed and now >= self._beat_due():
            self._beat_tried = now   # sent or not (no peer): the next one in hb
            self.post("heartbeat", load=self._owner.load() or None,
                      **self._owner.usage())
        self._owner.tick(now)

    def _dispatch(self, msg):
        self._last_heard = time.monotonic()
        if msg.get("v") != 1:
            log.warning("zswarm: dropped a message of version %s", shown(msg.get("v")))
            return
        problem = well_formed(msg)
        if problem:
            log.warning("zswarm: dropped a malformed %s: %s", shown(msg["t"]), problem)
            return
        if msg["t"] == "error" and msg["code"] == NOT_REGISTERED and self.welcomed:
            self._lost("the coordinator does not know us", self._last_heard)
            return
        super()._dispatch(msg)

    def _unsolicited(self, msg):
        t = msg["t"]
        if t == "welcome":
            self._welcome(msg)
        elif t == "bye":
            if self.welcomed:
                self._lost("the coordinator said bye", time.monotonic(), delay=self.hb)
        elif t == "error" and not self.welcomed:
            log.warning("zswarm: the coordinator refused us: error %d: %s", msg["code"],
                        shown(msg["why"]))
        else:
            self._owner.received(msg)

    def _welcome(self, msg):
        again = self.welcomed  # another welcome of this session (a hello retried)
        renewed = self._ever_welcomed
        self.hb = min(max(msg["hb"] / 1000, HB_MIN), HB_MAX)
        self.live = max(msg["live"], 1)
        self.welcomed = self._ever_welcomed = True
        self._backoff = 0.0
        log.info("zswarm: welcomed as %s (conc %d)", shown(msg["agent"]), msg["conc"])
        self._owner.welcomed(msg, renewed, again)

    def bye(self, why):
        """Say bye and give a connected coordinator a moment to get it."""
        if self.welcomed:
            self.post("bye", why=why)
            self._sock.setsockopt(zmq.LINGER, 1000)

    def _closed(self):
        self._owner.closing()
        self._sock.close()

    def terminate(self):
        """Free the ZeroMQ context, once the thread has ended (or never ran): a
        socket still open is closed at once; a closed one's bye may take its
        linger."""
        self._zctx.destroy(linger=0)
