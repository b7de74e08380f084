"""zswarm.Client: a control client of zswarmd (PROTOCOL.md §8) over one DEALER.

Design. A ZeroMQ socket may be used by one thread only, so the Client's DEALER
belongs to an I/O thread started with the client (zswarm._io). Every call queues
its request there with a fresh ``rid`` and gets a ``concurrent.futures.Future`` per
reply; the blocking methods (``submit``, ``status``, ``mem_get``...) wait on that
future for at most the client's ``timeout`` and raise :class:`Timeout` after it.
Requests from several threads are pipelined on the one socket, and a result future
(:meth:`Client.future`) resolves whenever the task ends, whether or not anyone is
waiting on it at that moment. The event stream is separate (:meth:`Client.events`),
with its own SUB socket, read by the thread that iterates it.

Durations passed to the methods are seconds (floats allowed), as in the rest of
Python; the protocol's millisecond fields in the returned maps are left as they are.
"""

import concurrent.futures
import itertools
import os
import threading

import msgpack
import zmq
import zmq.auth
from zmq.utils import z85

from . import _check as check
from ._io import IoThread
from ._requests import Requests, TaskId, TaskResult  # noqa: F401 - re-exported
from .errors import ValidationError
from .events import open_stream

DEFAULT_CONTROL = "tcp://127.0.0.1:7602"
DEFAULT_EVENTS = "tcp://127.0.0.1:7601"
DEFAULT_TIMEOUT = 5.0   # seconds for a reply, as zswarmctl's 5000 ms
_Z85_KEY_LEN = 40

# status.ok leaves its zero counters out (§2.3): they are filled in as 0
_STATUS_COUNTERS = ("n_agents", "n_ready", "n_running", "n_pending", "n_completed",
                    "n_dead", "n_cancelled", "n_submitted", "uptime_ms", "seq",
                    "n_forbidden", "queued_bytes", "results_bytes", "tok_in", "tok_out",
                    "tok_max")


def _z85_key(what, value):
    """A CURVE key given as 40 characters of Z85 (str or bytes), as bytes."""
    if isinstance(value, str):
        value = value.encode("ascii", "replace")
    if not isinstance(value, bytes) or len(value) != _Z85_KEY_LEN:
        raise ValidationError(f"{what}: expected 40 characters of Z85")
    try:
        z85.decode(value)
    except (ValueError, KeyError, IndexError) as exc:
        raise ValidationError(f"{what}: not Z85: {exc}") from exc
    return value


def load_server_key(text):
    """The server key given as zswarmctl's --server-key takes it: the path of
    zswarmd's public certificate, or the key itself in Z85. A readable file of that
    name wins, as in zswarmctl."""
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    if os.access(text, os.R_OK):
        try:
            public, _ = zmq.auth.load_certificate(text)
        except (OSError, ValueError) as exc:
            raise ValidationError(f"server key '{text}': {exc}") from exc
        if not public:
            raise ValidationError(f"server key '{text}': no public key in the file")
        return public
    try:
        return _z85_key("server key", text)
    except ValidationError:
        raise ValidationError(f"server key '{text}' is neither 40 characters of Z85 "
                              "nor a readable certificate") from None


def load_secret_cert(path):
    """(public, secret) Z85 keys of a secret certificate file (``NAME_secret``)."""
    try:
        public, secret = zmq.auth.load_certificate(path)
    except (OSError, ValueError) as exc:
        raise ValidationError(f"cannot read certificate '{path}': {exc}") from exc
    if not public or not secret:
        raise ValidationError(f"'{path}' is not a secret certificate (give the _secret "
                              "file)")
    return public, secret


def curve_keys(cert, public_key, secret_key, server_key):
    """(public, secret, server) keys in Z85 from a client's or an agent's CURVE
    arguments (see Client), or None without CURVE."""
    if cert is not None and (public_key or secret_key):
        raise ValidationError("give either cert or public_key and secret_key")
    if cert is not None:
        public_key, secret_key = load_secret_cert(cert)
    elif public_key or secret_key:
        public_key = _z85_key("public_key", public_key)
        secret_key = _z85_key("secret_key", secret_key)
    if (public_key is None) != (server_key is None):
        raise ValidationError("CURVE needs both the client's keys (cert) and "
                              "server_key")
    if public_key is None:
        return None
    return public_key, secret_key, load_server_key(server_key)


class Client(Requests):
    """A control client of zswarmd.

    ``endpoint``: the control socket (default ``$ZSWARM_CONTROL``, else
    ``tcp://127.0.0.1:7602``); ``events``: the events socket for :meth:`events`
    (default ``$ZSWARM_EVENTS``, else ``tcp://127.0.0.1:7601``). ``timeout``:
    seconds to wait for each reply (default 5). For a swarm with CURVE: ``cert``,
    the client's secret certificate file, or ``public_key`` and ``secret_key`` in
    Z85; and ``server_key``, zswarmd's public certificate file or key in Z85.

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, endpoint=None, events=None, *, timeout=DEFAULT_TIMEOUT, cert=None,
                 public_key=None, secret_key=None, server_key=None):
        self.endpoint = endpoint or os.environ.get("ZSWARM_CONTROL") or DEFAULT_CONTROL
        self.events_endpoint = (events or os.environ.get("ZSWARM_EVENTS") or
                                DEFAULT_EVENTS)
        if timeout is not None and not timeout > 0:
            raise ValidationError(f"timeout: expected seconds > 0, got {timeout!r}")
        self.timeout = timeout
        self._curve = curve_keys(cert, public_key, secret_key, server_key)
        self._rids = itertools.count(1)   # rid 0 is "absent" (§2.3): count from 1
        self._rid_lock = threading.Lock()
        self._ctx = zmq.Context()
        sock = self._ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.MAXMSGSIZE, check.FRAME_MAX)
        self._apply_curve(sock)
        try:
            sock.connect(self.endpoint)
        except zmq.ZMQError as exc:
            sock.close()
            self._ctx.term()
            raise ValidationError(f"cannot connect to '{self.endpoint}': {exc}") from exc
        self._io = IoThread(sock)
        self._io.start()
        self._streams = []
        self._closed = False

    def _apply_curve(self, sock):
        if self._curve:
            sock.curve_publickey, sock.curve_secretkey, sock.curve_serverkey = self._curve

    # -- life cycle

    def close(self):
        """Stop the I/O thread and close every socket; open futures fail with
        ClientClosed. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._io.close()
        for stream in self._streams:
            stream.close()
        self._ctx.destroy(linger=0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- requests

    def send(self, t, replies=1, **fields):
        """Send request ``t`` with ``fields`` (None values left out) as they are, with
        no checks: the escape hatch for what the methods below do not cover. Returns
        one Future per reply expected; each resolves to the reply map or fails with
        the ZswarmError of an ``error`` reply."""
        with self._rid_lock:
            rid = next(self._rids)
        msg = {"v": 1, "t": t, "rid": rid}
        msg.update((k, v) for k, v in fields.items() if v is not None)
        frame = msgpack.packb(msg, use_bin_type=True)
        if len(frame) > check.FRAME_MAX:
            raise ValidationError(f"{t}: the request takes {len(frame)} bytes, more "
                                  f"than a frame's {check.FRAME_MAX}")
        futures = [concurrent.futures.Future() for _ in range(replies)]
        self._io.send(rid, frame, futures)
        return futures

    _ask = send  # what the requests shared with agents send through (_requests)

    # -- the swarm

    def status(self):
        """The swarm's counters (``status.ok`` without v, t, rid; zeros filled in)."""
        reply = self._strip(self.request("status"))
        for key in _STATUS_COUNTERS:
            reply.setdefault(key, 0)
        return reply

    def agents(self, capability=None):
        """One record (a dict, PROTOCOL.md §4.4) per registered agent; with
        ``capability``, only the agents that can run tasks of that type (their type,
        or one of their ``caps``), as ``zswarmctl agents --capability``."""
        if capability is not None:
            check.name("capability", capability)
        return [a for a in self.request("agents")["agents"]
                if capability is None or a.get("atype") == capability or
                capability in (a.get("caps") or ())]

    def broadcast(self, payload, type=None):
        """Send ``payload`` (bytes or str, 1..65,536 bytes) to every agent, or to the
        agents of ``type``; returns how many registered agents it addressed."""
        payload = check.blob("payload", payload, check.BROADCAST_MAX)
        if not payload:
            raise ValidationError("payload: expected 1..65536 bytes, got none")
        atype = None if type is None else check.name("type", type)
        return self.request("broadcast", payload=payload, atype=atype)["count"]

    def pause(self, agent=None, type=None):
        """Hold new tasks from one agent or from every agent of ``type`` (those that
        register later too), exactly one of the two; running tasks go on. Returns how
        many registered agents it addressed."""
        return self._hold("pause", agent, type)

    def resume(self, agent=None, type=None):
        """Undo :meth:`pause` for one agent or a type; returns the agents addressed."""
        return self._hold("resume", agent, type)

    def _hold(self, t, agent, atype):
        if (agent is None) == (atype is None):
            raise ValidationError(f"{t}: give exactly one of agent and type")
        agent = None if agent is None else check.name("agent", agent)
        atype = None if atype is None else check.name("type", atype)
        return self.request(t, agent=agent, atype=atype)["count"]

    def topology(self):
        """``topology.ok``: the topology's name, its agents and links."""
        return self._strip(self.request("topology"))

    def providers(self):
        """``providers.ok``: the LLM providers' records and the budgets (§8.3)."""
        return self._strip(self.request("providers"))

    def scale(self, atype, count, node=None):
        """Run ``count`` (0..1000) agents of ``atype`` locally, or on ``node``."""
        reply = self.request("scale", atype=check.name("atype", atype),
                             count=check.integer("count", count, 0, check.SCALE_MAX),
                             node=None if node is None else check.name("node", node))
        return reply["count"]

    def stop(self, agent):
        """Stop one of zswarmd's local agents (never restarted)."""
        self.request("stop", agent=check.name("agent", agent))

    def shutdown(self):
        """Ask zswarmd to drain and stop."""
        self.request("shutdown")

    # -- events (§9)

    def events(self, topics=("",), *, gaps=True, on_gap="yield", timeout=None):
        """An :class:`~zswarm.events.EventStream` on the events socket: events whose
        type starts with one of ``topics`` (``""``: all). See zswarm.events for gap
        detection. The stream belongs to the calling thread; close it, or let
        :meth:`close` do it."""
        if isinstance(topics, str):
            topics = (topics,)
        topics = tuple(check.text("topic", t, 0, check.NAME_MAX) for t in topics)
        stream = open_stream(self._ctx, self.events_endpoint, topics, self._apply_curve,
                             gaps, on_gap, timeout)
        self._streams.append(stream)
        return stream
