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
from .errors import ProtocolError, Timeout, ValidationError
from .events import open_stream

DEFAULT_CONTROL = "tcp://127.0.0.1:7602"
DEFAULT_EVENTS = "tcp://127.0.0.1:7601"
DEFAULT_TIMEOUT = 5.0   # seconds for a reply, as zswarmctl's 5000 ms
FINAL_STATES = ("completed", "dead", "cancelled")
_Z85_KEY_LEN = 40

# status.ok leaves its zero counters out (§2.3): they are filled in as 0
_STATUS_COUNTERS = ("n_agents", "n_ready", "n_running", "n_pending", "n_completed",
                    "n_dead", "n_cancelled", "n_submitted", "uptime_ms", "seq",
                    "n_forbidden", "queued_bytes", "results_bytes", "tok_in", "tok_out",
                    "tok_max")


class TaskId(str):
    """A task id as ``submit`` returns it; ``dup`` is true when a task of that id
    existed already and no new task was made."""

    dup = False


class TaskResult:
    """A task's view (``task.ok``) or end (``wait.ok``). Absent fields read as the
    protocol says (§2.3): ``exit`` 0, ``stdout`` and ``stderr`` empty. ``raw`` is
    the whole map as it came."""

    def __init__(self, reply):
        self.raw = {k: v for k, v in reply.items() if k not in ("v", "t", "rid")}

    task = property(lambda self: self.raw["task"])
    ttype = property(lambda self: self.raw["ttype"])
    state = property(lambda self: self.raw["state"])
    status = property(lambda self: self.raw.get("status"))
    exit = property(lambda self: self.raw.get("exit", 0))
    stdout = property(lambda self: self.raw.get("stdout", b""))
    stderr = property(lambda self: self.raw.get("stderr", b""))
    why = property(lambda self: self.raw.get("why", ""))
    agent = property(lambda self: self.raw.get("agent"))
    attempt = property(lambda self: self.raw.get("att", 0))
    code = property(lambda self: self.raw.get("code", 0))

    @property
    def final(self):
        return self.state in FINAL_STATES

    @property
    def ok(self):
        """True when the task completed."""
        return self.state == "completed"

    def __repr__(self):
        return (f"TaskResult(task={self.task!r}, state={self.state!r}, "
                f"status={self.status!r}, exit={self.exit})")


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


class Client:
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
        self._curve = self._curve_keys(cert, public_key, secret_key, server_key)
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

    @staticmethod
    def _curve_keys(cert, public_key, secret_key, server_key):
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

    def _result(self, future, t, timeout):
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise Timeout(f"{t}: no reply from '{self.endpoint}' within "
                          f"{timeout:g} s") from None

    def request(self, t, **fields):
        """Send request ``t`` and wait for its reply (at most the client's timeout);
        returns the reply map, raises ZswarmError for an ``error`` reply."""
        reply = self._result(self.send(t, **fields)[0], t, self.timeout)
        if reply["t"] != t + ".ok":
            raise ProtocolError(f"{t}: expected {t}.ok, got {reply['t']}")
        return reply

    # -- tasks

    @staticmethod
    def _submit_fields(ttype, payload, *, priority=0, timeout=None, retries=None, id=None,
                       deps=None, requires=None, strategy=None, each=None, agg=None):
        fields = {"ttype": check.name("ttype", ttype)}
        if id is not None:
            fields["task"] = check.name("id", id)
        if each is not None or agg is not None:
            if each is None or agg is None:
                raise ValidationError("a fan-out needs both each (its items) and agg")
            if payload is not None:
                raise ValidationError("payload: not allowed with each (a fan-out)")
            if isinstance(each, (str, bytes)):
                raise ValidationError("each: expected a list of items, not one")
            items = [check.blob("each item", item, check.PAYLOAD_MAX) for item in each]
            if not 1 <= len(items) <= check.ITEMS_MAX:
                raise ValidationError(f"each: expected 1..{check.ITEMS_MAX} items, got "
                                      f"{len(items)}")
            fields["items"] = items
            fields["agg"] = check.name("agg", agg)
        elif payload is not None:
            fields["payload"] = check.blob("payload", payload, check.PAYLOAD_MAX)
        if priority:
            fields["pri"] = check.integer("priority", priority, -check.PRI_MAX,
                                          check.PRI_MAX)
        if timeout is not None:
            fields["tmo"] = check.ms("timeout", timeout)
        if retries is not None:
            fields["tries"] = check.integer("retries", retries, 0, check.RETRIES_MAX) + 1
        if deps:
            fields["deps"] = check.names("deps", deps, 0, check.DEPS_MAX)
        if requires:
            fields["requires"] = check.names("requires", requires, 0, check.REQUIRES_MAX)
        if strategy is not None:
            fields["strategy"] = check.choice("strategy", strategy, check.STRATEGIES)
        return fields

    def submit(self, ttype, payload=None, *, priority=0, timeout=None, retries=None,
               id=None, deps=None, requires=None, strategy=None, each=None, agg=None):
        """Submit a task of type ``ttype``; returns its id (a :class:`TaskId`).

        ``payload``: bytes or str (UTF-8), at most 1 MiB. ``priority``: -1000..1000.
        ``timeout``: seconds one attempt may run (default: the swarm file's).
        ``retries``: attempts after the first, 0..100. ``id``: the task's id (default:
        zswarmd makes one); an id that exists makes no task and returns it with
        ``dup`` set. ``deps``: up to 64 task ids to wait for. ``requires``:
        capabilities beyond ``ttype``. ``strategy``: the scheduling strategy.
        ``each`` and ``agg``: a fan-out, one task of ``ttype`` per item of ``each``
        (ids ``ID.1``..``ID.N``) and an aggregate of type ``agg`` whose id is returned.
        """
        fields = self._submit_fields(ttype, payload, priority=priority, timeout=timeout,
                                     retries=retries, id=id, deps=deps, requires=requires,
                                     strategy=strategy, each=each, agg=agg)
        reply = self.request("submit", **fields)
        task = TaskId(reply["task"])
        task.dup = bool(reply.get("dup"))
        return task

    def run(self, ttype, payload=None, *, wait_timeout=None, **options):
        """Submit (with ``wait``, one request) and wait for the task's end; returns its
        :class:`TaskResult`. Options are :meth:`submit`'s; ``wait_timeout`` bounds
        the wait for the end in seconds (None: no bound)."""
        fields = self._submit_fields(ttype, payload, **options)
        ack, done = self.send("submit", replies=2, wait=True, **fields)
        task = self._result(ack, "submit", self.timeout)["task"]
        try:
            return TaskResult(done.result(wait_timeout))
        except concurrent.futures.TimeoutError:
            raise Timeout(f"task '{task}' did not end within {wait_timeout:g} s") from None

    def future(self, task):
        """A Future that resolves to the task's :class:`TaskResult` when it ends (at
        once if it has), or fails with the ZswarmError of a refusal (NoTask,
        LimitReached). The I/O thread resolves it: nobody needs to wait on it."""
        check.name("task", task)
        outer = concurrent.futures.Future()
        inner = self.send("wait", task=task)[0]

        def done(f):
            if not outer.set_running_or_notify_cancel():
                return
            if f.exception() is not None:
                outer.set_exception(f.exception())
            else:
                outer.set_result(TaskResult(f.result()))
        inner.add_done_callback(done)
        return outer

    def wait(self, task, timeout=None):
        """Wait until the task ends and return its :class:`TaskResult`, whatever its
        state (check ``.ok``). ``timeout``: seconds (None: no bound), then
        :class:`Timeout`."""
        future = self.future(task)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise Timeout(f"task '{task}' did not end within {timeout:g} s") from None

    def task(self, task):
        """The task's current view (``task.ok``) as a :class:`TaskResult`."""
        return TaskResult(self.request("task", task=check.name("task", task)))

    def cancel(self, task):
        """Cancel a task that has not ended; returns its new state. Raises Finished
        when it had ended, NoTask when unknown."""
        return self.request("cancel", task=check.name("task", task))["state"]

    # -- the swarm

    def status(self):
        """The swarm's counters (``status.ok`` without v, t, rid; zeros filled in)."""
        reply = self._strip(self.request("status"))
        for key in _STATUS_COUNTERS:
            reply.setdefault(key, 0)
        return reply

    def agents(self):
        """One record (a dict, PROTOCOL.md §4.4) per registered agent."""
        return self.request("agents")["agents"]

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

    # -- shared memory (§8.1)

    def _mem_fields(self, tags, access, ttl):
        fields = {}
        if tags:
            fields["tags"] = check.texts("tags", tags, 1, check.NAME_MAX, check.TAGS_MAX)
        if access is not None:
            fields["access"] = check.choice("access", access, check.ACCESS)
        if ttl is not None:
            fields["ttl"] = check.ms("ttl", ttl)
        return fields

    @staticmethod
    def _key(key):
        return check.text("key", key, 1, check.KEY_MAX)

    def mem_put(self, key, value=b"", *, tags=None, access=None, ttl=None, version=None):
        """Write the entry under ``key``; returns its new version. ``ttl``: seconds it
        lives. ``version``: compare-and-set, write only if the entry is at that
        version (0: only if it does not exist), else Conflict."""
        fields = self._mem_fields(tags, access, ttl)
        fields["value"] = check.blob("value", value, check.VALUE_MAX)
        if version is not None:
            fields["cas"] = True
            if version:
                fields["version"] = check.integer("version", version, 0, 2 ** 64 - 1)
        return self.request("mem.put", key=self._key(key), **fields)["version"]

    def mem_get(self, key):
        """The entry: a dict with ``key``, ``version``, ``access``, and ``value``
        (bytes) for a plain entry or ``level`` and ``half_life`` for a signal, plus
        ``tags``, ``ttl`` (ms left) and ``agent`` (its owner) when set. Raises NoKey."""
        return self._strip(self.request("mem.get", key=self._key(key)))

    def mem_del(self, key, *, version=None):
        """Delete the entry; returns its last version. ``version``: as for mem_put."""
        fields = {}
        if version is not None:
            fields["cas"] = True
            if version:
                fields["version"] = check.integer("version", version, 0, 2 ** 64 - 1)
        return self.request("mem.del", key=self._key(key), **fields)["version"]

    def mem_list(self, prefix="", *, tags=None, top=None):
        """The keys that start with ``prefix`` and carry every tag, sorted; with
        ``top`` N, the N strongest signals among them, strongest first."""
        fields = self._mem_fields(tags, None, None)
        if prefix:
            fields["prefix"] = check.text("prefix", prefix, 0, check.KEY_MAX)
        if top:
            fields["top"] = check.integer("top", top, 0, check.TOP_MAX)
        return self.request("mem.query", **fields).get("keys", [])

    def mem_deposit(self, key, amount, *, half_life=None, tags=None, access=None,
                    ttl=None):
        """Add ``amount`` to the decaying signal under ``key`` (``half_life`` in
        seconds, required when the deposit creates it); returns {version, level}."""
        fields = self._mem_fields(tags, access, ttl)
        if half_life is not None:
            fields["half_life"] = check.ms("half_life", half_life)
        fields["amount"] = check.integer("amount", amount, -check.AMOUNT_MAX,
                                         check.AMOUNT_MAX)
        reply = self.request("mem.deposit", key=self._key(key), **fields)
        return {"version": reply["version"], "level": reply["level"]}

    # -- votes (§8.2)

    def vote(self, question, options, *, voters=None, strategy=None, deadline=None,
             id=None):
        """Open a vote; returns {vote: its id, count: voters asked}. ``voters``: agent
        types (default: every agent); ``deadline``: seconds (default 10)."""
        fields = {"question": check.text("question", question, 1, check.TEXT_MAX),
                  "options": check.names("options", options, check.OPTIONS_MIN,
                                         check.OPTIONS_MAX, unique=True)}
        if voters:
            fields["voters"] = check.names("voters", voters, 0, check.VOTERS_MAX)
        if strategy is not None:
            fields["strategy"] = check.choice("strategy", strategy, check.VOTE_STRATEGIES)
        if deadline is not None:
            fields["deadline"] = check.ms("deadline", deadline)
        if id is not None:
            fields["vote"] = check.name("id", id)
        reply = self.request("vote.propose", **fields)
        return {"vote": reply["vote"], "count": reply["count"]}

    def vote_status(self, vote):
        """``vote.status.ok``: the vote's state, decision (``option``) and ballots."""
        return self._strip(self.request("vote.status", vote=check.name("vote", vote)))

    def votes(self):
        """Ids of the open votes and the ended ones kept, oldest first."""
        return self.request("vote.list").get("votes", [])

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

    @staticmethod
    def _strip(reply):
        return {k: v for k, v in reply.items() if k not in ("v", "t", "rid")}
