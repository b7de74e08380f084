"""zswarm.Agent: a process that registers an agent type with zswarmd and runs Python
functions as its handlers (PROTOCOL.md §5, §6).

    import zswarm

    def upper(ctx):                      # a sync handler: runs in a worker thread
        ctx.progress(50, "halfway")
        return ctx.payload.upper()       # bytes or str: the result's stdout

    async def slow(ctx):                 # an async handler: runs on the asyncio loop
        await asyncio.sleep(1)
        return b"done"

    zswarm.run_agent({"upper": upper, "slow": slow}, atype="py")

Threads. One thread owns the agents socket and the whole session (zswarm._session):
hello, heartbeats, liveness, the running attempts, their timeouts and cancellations;
nothing else touches that state, other threads hand it messages and callables. Sync
handlers run in a thread pool (an attempt per thread, at most ``conc`` at once, since
the agent answers ``busy`` past that); ``async def`` handlers run as asyncio tasks on
one event loop in a thread of its own. A handler's context (zswarm.context) makes its
requests through the socket thread and waits on a future for the reply: blocking in a
sync handler, awaited in an async one. Callbacks (``on_message``, ``on_vote``,
``on_broadcast``) run in one callback thread, in order, or on the event loop when they
are coroutines.

Events. Once welcomed, the agent subscribes to the events addressed to agents
(§9.1, zswarm._listen) with a SUB socket that the socket thread owns and reads too:
broadcasts go to ``on_broadcast``, pauses and resumes set ``paused``, and a gap in their
``aseq`` is repaired with ``agent.sync``.

An attempt ends when its handler returns (status ``ok``, the value as stdout), raises
(``fail``, why the exception; :class:`~zswarm.context.Fail` for a chosen why or a final
failure), or is stopped: a ``task.cancel`` (``cancelled``) or its ``tmo`` running out
(``timeout``). Stopping cancels an async handler's task and sets ``ctx.cancelled`` for
a sync one, which cannot be interrupted: the result goes out at once, and the attempt
still counts against ``conc`` until its function returns.
"""

import argparse
import asyncio
import concurrent.futures
import ctypes
import inspect
import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback

from . import _check as check
from ._listen import Listen, resolve
from ._session import Session, shown
from .client import curve_keys
from .context import AsyncContext, Context, Fail, Peer, check_option
from .errors import ValidationError

log = logging.getLogger("zswarm.agent")

DEFAULT_AGENTS = "tcp://127.0.0.1:7600"
SECRET_ENV = "ZSWARM_AGENT_SECRET"  # zswarmd's proof of a local slot (PROTOCOL §5.3)
SECRET_SIZE = 64                    # hex digits
CONC_MAX = 1024
CAPS_MAX = 64                       # capabilities in a hello
OUTPUT_MAX = 64 * 1024              # stdout, stderr (§2.5)
PARENT_CHECK_S = 0.25               # how often --parent is checked, as zswarm-agent


def _bounded_text(text, limit=check.TEXT_MAX):
    """A str field from any text: no NUL, at most limit bytes of whole characters."""
    data = text.replace("\0", "\\0").encode("utf-8", "replace")[:limit]
    return data.decode("utf-8", "ignore")


def _output(value):
    """(stdout bytes, why) of a handler's return value."""
    if value is None:
        return b"", None
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"a handler returns bytes, str or None, not "
                        f"{type(value).__name__}")
    value = bytes(value)
    if len(value) > OUTPUT_MAX:
        return value[:OUTPUT_MAX], f"stdout truncated to {OUTPUT_MAX} bytes"
    return value, None


def _ok(value):
    stdout, why = _output(value)
    return {"status": "ok", "stdout": stdout, "why": why}


def _failed(exc):
    if isinstance(exc, Fail):
        stdout, _ = _output(exc.stdout)
        return {"status": "fail", "why": _bounded_text(str(exc.why)), "stdout": stdout,
                "exit": exc.exit or None, "final": exc.final or None}
    trace = "".join(traceback.format_exception(exc)).encode("utf-8", "replace")
    return {"status": "fail", "why": _bounded_text(f"{type(exc).__name__}: {exc}"),
            "stderr": trace[-OUTPUT_MAX:]}


def _wipe_original_env(name):
    """Overwrite the value of name in the environment block the process started with,
    which os.environ.pop (unsetenv) leaves in memory; best effort."""
    try:
        libc = ctypes.CDLL(None)
        libc.getenv.restype = ctypes.c_void_p
        libc.getenv.argtypes = [ctypes.c_char_p]
        address = libc.getenv(name.encode())
        if address:
            ctypes.memset(address, 0, len(ctypes.string_at(address)))
    except (OSError, AttributeError):
        pass


def _run_sync(handler, ctx):
    try:
        return _ok(handler(ctx))
    except Exception as exc:  # noqa: BLE001 - any failure of the handler is the task's
        return _failed(exc)


async def _run_async(handler, ctx):
    try:
        return _ok(await handler(ctx))
    except Exception as exc:  # noqa: BLE001 - as above; CancelledError passes
        return _failed(exc)


class _Attempt:
    """One attempt this agent runs, owned by the socket thread."""

    def __init__(self, session, assign):
        self.session = session
        self.assign = assign
        self.key = (assign["task"], assign["att"])
        self.ctx = None
        self.future = None       # the handler's run: a concurrent Future
        self.ended = False       # its result was sent, or it will never be
        self.lent = 0            # waits in progress: the slot is lent (Context.wait)
        tmo = assign.get("tmo")
        self.deadline = time.monotonic() + tmo / 1000 if tmo else None

    def progress(self, fields):
        if not self.ended:
            self.session.post("task.progress", **fields)

    def lend(self, delta):
        self.lent += delta

    def stop(self):
        self.ended = True
        self.ctx._cancelled.set()
        self.future.cancel()

    def result(self, **fields):
        self.ended = True
        self.session.post("task.result", task=self.key[0], att=self.key[1], **fields)


class Agent:
    """An agent of type ``atype`` whose handlers are Python functions.

    ``handlers``: task type -> function(ctx) or ``async def`` function(ctx); more may be
    added with :meth:`handler` before the agent starts. The task types besides
    ``atype`` are announced as the agent's capabilities. ``connect``: the agents socket
    (default ``$ZSWARM_AGENTS``, else ``tcp://127.0.0.1:7600``). ``id``: the agent id to
    ask for (default: the coordinator makes one; after a welcome the agent keeps the id
    it was given). ``concurrency``: attempts at once, 1..1024 (default: the swarm
    file's). CURVE: ``cert`` (or ``public_key``, ``secret_key``) and ``server_key``, as
    for :class:`~zswarm.Client`. ``parent``: stop when this pid is no longer our
    parent (zswarmd passes its own). ``secret``: a local slot's proof (default: taken
    from ``$ZSWARM_AGENT_SECRET``, which is then removed from the environment, so no
    child process inherits it). ``events``: the events endpoint to subscribe to
    (default: the welcome's, a wildcard host replaced by ``connect``'s); subscribed
    with the same CURVE keys. ``on_message(sender, payload)``: a neighbour's message.
    ``on_broadcast(payload, type)``: a broadcast to every agent (``type`` None) or to
    this agent's type. ``paused`` is true while the coordinator holds new tasks from
    this agent (``pause``, §8); running ones go on. ``on_vote(ask)``: a
    ``vote.ask`` (a dict: ``vote``, ``question``, ``options``, ``strategy``,
    ``deadline``, ``agent``); returns an option, ``(option, confidence)`` or ``(option,
    confidence, weight)``, or None to abstain. Without it the swarm file's ``vote``
    answer, if any, is cast.
    """

    def __init__(self, atype, handlers=None, *, connect=None, id=None, concurrency=None,
                 cert=None, public_key=None, secret_key=None, server_key=None,
                 parent=None, secret=None, events=None, on_message=None, on_vote=None,
                 on_broadcast=None):
        self.atype = check.name("atype", atype)
        self.id = None if id is None else check.name("id", id)
        self.concurrency = (None if concurrency is None else
                            check.integer("concurrency", concurrency, 1, CONC_MAX))
        self.parent = parent
        self.events_endpoint = (None if events is None else
                                check.text("events", events, 1, check.ENDPOINT_MAX))
        self.secret = self._take_secret() if secret is None else secret
        self.on_message = on_message
        self.on_vote = on_vote
        self.on_broadcast = on_broadcast
        self._handlers = {}
        self._started = False
        self._ended = False
        self._bye_why = "stopping"
        for ttype, fn in (handlers or {}).items():
            self.handler(ttype)(fn)
        # What the last welcome said, the neighbours (§6.1), providers' states (§8.3)
        self.welcome = None
        self.neighbours = set()
        self.role = None
        self.lead = None
        self.provider_states = {}
        self.paused = False            # the coordinator holds new tasks from us (§9.1)
        self._attempts = {}            # (task, att) -> _Attempt, until its handler ends
        self._next_parent_check = 0.0
        self._usage_at = self._usage_cpu = None   # when usage() last measured, and what
        endpoint = connect or os.environ.get("ZSWARM_AGENTS") or DEFAULT_AGENTS
        self._session = Session(self, endpoint,
                                curve_keys(cert, public_key, secret_key, server_key))
        self.peer = Peer(self._session)
        self._listen = Listen(self._session, self._agent_event, self._gap)
        self._pool = concurrent.futures.ThreadPoolExecutor(
            CONC_MAX, thread_name_prefix="zswarm-handler")
        self._callbacks = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="zswarm-callback")
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self._loop.run_forever,
                                             name="zswarm-asyncio", daemon=True)

    @staticmethod
    def _take_secret():
        """The secret, out of the environment: the process's original copy is wiped
        too, so that /proc/PID/environ no longer shows it (as zswarm-agent does)."""
        if SECRET_ENV not in os.environ:
            return None
        _wipe_original_env(SECRET_ENV)
        value = os.environ.pop(SECRET_ENV)
        if len(value) != SECRET_SIZE or value.strip("0123456789abcdef"):
            raise ValidationError(f"${SECRET_ENV} must be {SECRET_SIZE} hex digits")
        return value

    def handler(self, ttype=None):
        """Decorator: register fn as the handler of ``ttype`` (default: its name)."""
        def register(fn):
            if self._started:
                raise RuntimeError("handlers are registered before the agent starts")
            name = check.name("task type", ttype or fn.__name__)
            if name != self.atype and name not in self._handlers and \
                    len([t for t in self._handlers if t != self.atype]) >= CAPS_MAX:
                raise ValidationError(f"at most {CAPS_MAX} task types besides "
                                      f"'{self.atype}' (capabilities, §2.5)")
            self._handlers[name] = fn
            return fn
        return register

    # -- life cycle

    def start(self):
        """Run the agent in background threads; returns self. Stop it with close()."""
        self._begin()
        self._session.start()
        return self

    def run(self):
        """Run the agent in this thread until SIGTERM or SIGINT (when this is the main
        thread), close() from another thread, or the parent's end; it then says bye,
        stops its attempts and returns 0."""
        self._begin()
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, self._on_signal)
        try:
            self._session.run()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self._end()
        return 0

    def close(self):
        """Say bye, stop the attempts and every thread. Idempotent."""
        self._session.stop()
        if self._session.is_alive():
            self._session.join()
        self._end()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def _begin(self):
        if self._started:
            raise RuntimeError("an agent runs once")
        self._started = True
        self._loop_thread.start()

    def _on_signal(self, signum, frame):
        self._bye_why = f"stopping on {signal.Signals(signum).name}"
        self._session.stop()

    def _end(self):
        if self._ended:
            return
        self._ended = True
        if self._loop_thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop_thread.join()
        self._loop.close()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._callbacks.shutdown(wait=False, cancel_futures=True)
        self._session.close()
        self._session.terminate()

    # -- the session's owner (all on the socket thread)

    def hello_fields(self):
        caps = [t for t in self._handlers if t != self.atype]
        return {"atype": self.atype, "agent": self.id, "caps": caps or None,
                "conc": self.concurrency, "host": _bounded_text(socket.gethostname(),
                                                                check.NAME_MAX) or None,
                "pid": os.getpid(), "secret": self.secret}

    def welcomed(self, msg, renewed, again):
        self.welcome = {k: v for k, v in msg.items() if k not in ("v", "t")}
        self.id = msg["agent"]
        # again: a hello retried crossed the first welcome; the session goes on
        if not again:
            self.neighbours = set()
            self._listen.restart(msg.get("aseq") or 0)
            # A new session after a lost one: the coordinator retried what the old
            # one ran, or will from its journal; those stop without results (§5.3)
            for attempt in self._attempts.values() if renewed else ():
                if not attempt.ended:
                    attempt.stop()
        self._subscribe(msg.get("events"))
        self._set_paused(bool(msg.get("paused")), "welcome")

    def _subscribe(self, welcome_events):
        """Subscribe where the events are: ``events``, else the welcome's."""
        events = self.events_endpoint or welcome_events
        if not events:
            log.warning("zswarm: no events endpoint: broadcasts and pauses will not "
                        "be heard")
            return
        try:
            self._listen.connect(resolve(events, self._session.endpoint))
        except ValidationError as exc:
            log.warning("zswarm: %s", exc)

    def load(self):
        """Attempts whose function still runs, but those lending their slot."""
        return sum(1 for a in self._attempts.values() if not a.lent)

    def usage(self):
        """A heartbeat's ``cpu`` (CPU time this process used since the last call, per
        mille of one CPU over that wall time) and ``rss`` (its resident memory, bytes),
        as zswarm-agent reports them; what cannot be measured is left out."""
        now, cpu = time.monotonic(), time.process_time()
        fields = {}
        if self._usage_at is not None and now > self._usage_at:
            fields["cpu"] = max(0, round((cpu - self._usage_cpu) * 1000 /
                                         (now - self._usage_at)))
        self._usage_at, self._usage_cpu = now, cpu
        try:
            with open("/proc/self/statm", "rb") as f:
                fields["rss"] = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            pass
        return fields

    def deadline(self):
        times = [a.deadline for a in self._attempts.values()
                 if a.deadline is not None and not a.ended]
        if self.parent:
            times.append(self._next_parent_check)
        return min(times) if times else None

    def tick(self, now):
        for attempt in list(self._attempts.values()):
            if attempt.deadline is not None and not attempt.ended and \
                    now >= attempt.deadline:
                tmo = attempt.assign["tmo"]
                attempt.stop()
                attempt.result(status="timeout", why=f"timed out after {tmo} ms")
        if self.parent and now >= self._next_parent_check:
            self._next_parent_check = now + PARENT_CHECK_S
            if os.getppid() != self.parent:
                log.info("zswarm: parent process %d is gone: stopping", self.parent)
                self._bye_why = "parent process is gone"
                self._session.stop()

    def closing(self):
        self._listen.close()
        for attempt in self._attempts.values():
            if not attempt.ended:
                attempt.stop()
        self._session.bye(self._bye_why)

    def received(self, msg):
        handle = self._RECEIVE.get(msg["t"])
        if handle:
            handle(self, msg)
        else:
            log.debug("zswarm: no use for a %s", shown(msg["t"]))

    # -- tasks (§6)

    def _assign(self, msg):
        task, att = msg["task"], msg["att"]
        conc = self.welcome["conc"] if self.welcome else 1
        if self.load() >= conc:   # attempts it still runs that zswarmd no longer counts
            self._session.post("task.result", task=task, att=att, status="busy")
            return
        handler = self._handlers.get(msg["ttype"])
        if handler is None:
            self._session.post("task.result", task=task, att=att, status="fail",
                               why=_bounded_text(f"no handler for task type "
                                                 f"'{msg['ttype']}'"))
            return
        attempt = _Attempt(self._session, msg)
        attempt.ctx = Context(self._session, attempt, self.id)
        self._session.post("task.ack", task=task, att=att)
        if inspect.iscoroutinefunction(handler):
            coro = _run_async(handler, AsyncContext(attempt.ctx))
            attempt.future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        else:
            attempt.future = self._pool.submit(_run_sync, handler, attempt.ctx)
        self._attempts[attempt.key] = attempt
        attempt.future.add_done_callback(
            lambda f: self._session.call_soon(lambda: self._attempt_ended(attempt)))

    def _attempt_ended(self, attempt):
        if self._attempts.get(attempt.key) is attempt:
            del self._attempts[attempt.key]
        if attempt.ended:
            return
        future = attempt.future
        if future.cancelled():
            attempt.result(status="cancelled")
        elif future.exception() is not None:
            attempt.result(**_failed(future.exception()))
        else:
            attempt.result(**{k: v for k, v in future.result().items() if v is not None})

    def _cancel(self, msg):
        attempt = self._attempts.get((msg["task"], msg["att"]))
        if attempt and not attempt.ended:
            attempt.stop()
            attempt.result(status="cancelled", why="cancelled")

    # -- messages, votes, the rest (§6.1, §8.2, §8.3)

    def _callback(self, fn, *args, then=None):
        if inspect.iscoroutinefunction(fn):
            future = asyncio.run_coroutine_threadsafe(fn(*args), self._loop)
        else:
            future = self._callbacks.submit(fn, *args)

        def done(f):
            if f.cancelled():
                return
            if f.exception() is not None:
                log.warning("zswarm: %s failed: %s", getattr(fn, "__name__", "callback"),
                            shown(str(f.exception())))
            elif then:
                then(f.result())
        future.add_done_callback(done)

    def _message(self, msg):
        if self.on_message:
            self._callback(self.on_message, msg["agent"], msg.get("payload") or b"")
        else:
            log.debug("zswarm: a message from %s, and no on_message", shown(msg["agent"]))

    def _vote_ask(self, msg):
        ask = {k: v for k, v in msg.items() if k not in ("v", "t")}
        if self.on_vote:
            self._callback(self.on_vote, ask, then=lambda answer: self._cast(ask, answer))
        elif self.welcome and self.welcome.get("option") in ask["options"]:
            self._cast(ask, self.welcome["option"])

    def _cast(self, ask, answer):
        try:
            fields = check_option(ask, answer)
        except ValidationError as exc:
            log.warning("zswarm: no ballot: %s", exc)
            return
        if fields:
            future = self._session.ask("vote.cast", **fields)[0]
            future.add_done_callback(
                lambda f: f.exception() and log.warning(
                    "zswarm: ballot refused: %s", shown(str(f.exception()))))

    def _neighbours(self, msg):
        if msg.get("full"):
            self.neighbours = set()
        self.neighbours.update(p for p in msg.get("peers") or () if isinstance(p, str))
        self.neighbours.difference_update(msg.get("gone") or ())
        self.role, self.lead = msg["role"], msg.get("lead")

    def _provider_state(self, msg):
        self.provider_states[msg["provider"]] = {
            k: v for k, v in msg.items() if k not in ("v", "t", "provider")}

    # -- the events addressed to agents (§9.1)

    def _set_paused(self, paused, why):
        if paused != self.paused:
            log.info("zswarm: agent %s %s (%s): %s", shown(self.id),
                     "paused" if paused else "resumed", why,
                     "no new tasks will come; running ones go on" if paused
                     else "new tasks may come")
        self.paused = paused

    def _for_us(self, event):
        """A pause, resume or broadcast for our id, our type, or (neither) all."""
        if event.get("agent") is not None:
            return event["agent"] == self.id
        return event.get("atype") is None or event["atype"] == self.atype

    def _agent_event(self, event):
        if not self._for_us(event):
            return
        if event["t"] != "agent.broadcast":
            self._set_paused(event["t"] == "agent.paused", "event")
            return
        payload, atype = event["payload"], event.get("atype")
        log.info("zswarm: broadcast%s (%d bytes): %s",
                 f" to type {shown(atype)}" if atype else "", len(payload),
                 shown(payload.decode("utf-8", "replace")))
        if self.on_broadcast:
            self._callback(self.on_broadcast, payload, atype)

    def _gap(self):
        log.info("zswarm: missed events addressed to agents: asking the coordinator "
                 "for our state")
        if not self._session.post("agent.sync"):
            self._listen.sync_failed()

    def _heartbeat(self, msg):
        if msg.get("aseq"):
            self._listen.heard(msg["aseq"])

    def _synced(self, msg):
        self._listen.synced(msg["aseq"])
        self._set_paused(bool(msg.get("paused")), "sync")

    def _error(self, msg):
        log.warning("zswarm: error %d from the coordinator: %s%s", msg["code"],
                    shown(msg["why"]), f" (task {shown(msg['task'])})"
                    if msg.get("task") else "")

    _RECEIVE = {"task.assign": _assign, "task.cancel": _cancel, "msg": _message,
                "vote.ask": _vote_ask, "neighbours": _neighbours,
                "provider.state": _provider_state, "error": _error,
                "heartbeat": _heartbeat, "agent.sync.ok": _synced}

    # -- command line

    @classmethod
    def from_argv(cls, handlers=None, argv=None, *, atype=None, **options):
        """An agent from a command line, as zswarmd starts an agent program (swarm
        file ``program``): ``--connect EP --type T --id ID --parent PID`` and, under
        CURVE, ``--cert F --server-key K``; also ``--concurrency N``, ``--events EP``
        and ``--debug``. ``atype`` makes ``--type`` optional; ``options`` go to
        the constructor (``on_message``, ``on_vote``, ``on_broadcast``)."""
        args = _parser(atype).parse_args(argv)
        logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO,
                            format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
        try:
            return cls(args.type, handlers, connect=args.connect, id=args.id,
                       concurrency=args.concurrency, cert=args.cert,
                       server_key=args.server_key, parent=args.parent,
                       events=args.events, **options)
        except ValidationError as exc:
            _parser(atype).error(str(exc))


def _parser(atype):
    parser = argparse.ArgumentParser(description="A zswarm agent whose handlers are "
                                     "Python functions (zswarm.Agent).")
    parser.add_argument("--connect", "-c", metavar="ENDPOINT",
                        help="the coordinator's agents socket (default $ZSWARM_AGENTS, "
                        f"else {DEFAULT_AGENTS})")
    parser.add_argument("--type", "-t", metavar="TYPE", default=atype,
                        required=atype is None, help="the agent type")
    parser.add_argument("--id", "-i", metavar="ID", help="the agent id to ask for")
    parser.add_argument("--concurrency", "-n", metavar="N", type=int,
                        help="tasks at once (default: the swarm file's)")
    parser.add_argument("--parent", "-p", metavar="PID", type=int,
                        help="exit when process PID is no longer this one's parent")
    parser.add_argument("--cert", metavar="FILE", help="CURVE: our secret certificate")
    parser.add_argument("--server-key", metavar="KEY",
                        help="CURVE: the coordinator's key (Z85) or public certificate")
    parser.add_argument("--events", metavar="ENDPOINT",
                        help="the coordinator's events socket (default: the one its "
                        "welcome names)")
    parser.add_argument("--debug", action="store_true", help="log debug lines")
    return parser


def run_agent(handlers, argv=None, *, atype=None, **options):
    """Run an agent made from the command line (:meth:`Agent.from_argv`) until it is
    stopped; returns its exit status, 0."""
    return Agent.from_argv(handlers, argv, atype=atype, **options).run()
