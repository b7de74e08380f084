"""What an agent's handlers and callbacks use to talk to the swarm.

:class:`Peer` is the agent as a sender on the agents socket: messages to its neighbours
(``send``, ``share``, §6.1) and the requests an agent may make (shared memory §8.1,
votes §8.2, tasks), the same methods with the same checks as zswarm.Client's. Every
request blocks the calling thread on its reply (a Future the agent's I/O thread
resolves), for at most ``timeout`` seconds, so a Peer is for threads: callbacks, sync
handlers. :class:`Context` is a Peer bound to one attempt of a task, which a sync
handler gets; an ``async def`` handler gets an :class:`AsyncContext`, the same object
whose requests are coroutines (each runs the blocking call in a worker thread, so the
event loop never blocks).
"""

import asyncio
import threading

from . import _check as check
from ._requests import Requests
from .errors import ValidationError

DEFAULT_TIMEOUT = 10.0      # seconds a request from an agent waits for its reply
MESSAGE_MAX = 64 * 1024     # a msg.send or msg.share payload (§6.1)
CHECKPOINT_MAX = 64 * 1024  # a task.checkpoint's data
PCT_MAX = 100
TEXT_BODY_MAX = 64 * 1024   # task.progress text
PROVIDER_OUTCOMES = ("ok", "rate_limit", "overloaded", "server", "timeout", "connect",
                     "auth", "bad_request", "context", "malformed", "cancelled")


class Fail(Exception):
    """Raised by a handler: the attempt fails with ``why``. ``final``: no retry
    would mend it (the coordinator ends the task dead although attempts are left);
    ``exit`` and ``stdout`` go into the result."""

    def __init__(self, why, *, final=False, exit=None, stdout=None):
        super().__init__(why)
        self.why = why
        self.final = final
        self.exit = exit
        self.stdout = stdout


class Peer(Requests):
    """The agent as a sender: messages and requests on its agents socket."""

    def __init__(self, session, timeout=DEFAULT_TIMEOUT):
        self._session = session
        self.timeout = timeout

    @property
    def endpoint(self):
        return self._session.endpoint

    def _ask(self, t, replies=1, **fields):
        return self._session.ask(t, replies, **fields)

    def send(self, agent, data=b""):
        """Send ``data`` (bytes or str, at most 64 KiB) to the neighbour ``agent``; it
        gets it in its ``on_message``. No acknowledgement: a refusal (not a
        neighbour, error 11) is only logged."""
        self._session.message("msg.send", agent=check.name("agent", agent),
                              payload=check.blob("data", data, MESSAGE_MAX))

    def share(self, data=b""):
        """Send ``data`` to every neighbour (not under topology star)."""
        self._session.message("msg.share", payload=check.blob("data", data, MESSAGE_MAX))


class Context(Peer):
    """One attempt of a task, as a sync handler gets it.

    ``task``, ``ttype``, ``attempt`` (its number, from 1), ``payload`` (bytes),
    ``time_limit`` of the attempt (seconds, None for none), ``parent`` (the task that
    submitted this one, or None), ``checkpoint`` (the data the task's last attempt saved
    with :meth:`save_checkpoint`, or None when it starts afresh), ``inputs`` (the results
    of the tasks it named as ``inputs``: dicts with ``task``, ``status``, ``stdout``,
    ``exit``, in the order asked), ``agent`` (this agent's id) and ``cancelled`` (true
    once the attempt was cancelled or timed out: a sync handler that runs long checks
    it and returns). Requests (:meth:`submit`, :meth:`wait`, ``mem_*``, :meth:`vote`)
    block for their reply; a submit names this task as the new task's ``parent``, and
    so does a wait, which lends the attempt's slot while it waits (§7.4)."""

    def __init__(self, session, attempt, agent_id):
        super().__init__(session)
        msg = attempt.assign
        self._attempt = attempt
        self.agent = agent_id
        self.task = msg["task"]
        self.ttype = msg["ttype"]
        self.attempt = msg["att"]
        self.payload = msg.get("payload") or b""
        self.time_limit = msg["tmo"] / 1000 if msg.get("tmo") else None
        self.parent = msg.get("parent")
        self.checkpoint = msg.get("ckpt")
        self.inputs = [dict({"stdout": b"", "exit": 0}, **record)
                       for record in msg.get("inputs") or () if isinstance(record, dict)]
        self._cancelled = threading.Event()

    @property
    def cancelled(self):
        return self._cancelled.is_set()

    def _own_fields(self, t):
        return {"parent": self.task} if t in ("submit", "wait") else {}

    def _fields(self, **fields):
        return dict(task=self.task, att=self.attempt, **fields)

    def progress(self, pct=None, note=None, *, bytes=None, total=None, rate=None,
                 text=None):
        """Report progress (``task.progress``): ``pct`` 0..100, ``note`` for people,
        a transfer's ``bytes`` so far, ``total`` and ``rate`` (bytes/s), or ``text``
        streamed since the last report. Watchers see it as a ``task.progress`` event."""
        fields = {}
        if pct is not None:
            fields["pct"] = check.integer("pct", pct, 0, PCT_MAX)
        if note is not None:
            fields["note"] = check.text("note", note, 0, check.TEXT_MAX)
        for key, value in (("bytes", bytes), ("total", total), ("rate", rate)):
            if value is not None:
                fields[key] = check.integer(key, value, 0, 2 ** 64 - 1)
        if text is not None:
            fields["text"] = check.text("text", text, 0, TEXT_BODY_MAX)
        self._session.call_soon(lambda: self._attempt.progress(self._fields(**fields)))

    def save_checkpoint(self, data):
        """Save ``data`` (bytes or str, at most 64 KiB; empty clears it) as the task's
        checkpoint; returns once the coordinator journaled it. A later attempt of the
        task gets it back as ``ctx.checkpoint``."""
        data = check.blob("data", data, CHECKPOINT_MAX)
        self.request("task.checkpoint", **self._fields(data=data))

    def future(self, task):
        """As Client.future. Until the wait is answered this attempt lends its slot
        (§7.4): neither the coordinator nor the agent counts it in the agent's load,
        so a handler waiting for its own subtask on an agent of concurrency 1 leaves
        room for it."""
        self._session.call(lambda: self._attempt.lend(+1))
        future = super().future(task)
        future.add_done_callback(lambda f: self._session.call_soon(
            lambda: self._attempt.lend(-1)))
        return future

    def view(self, task):
        """A task's view (Client.task; in a context ``task`` is the attempt's id)."""
        return Requests.task(self, task)

    def run(self, ttype, payload=None, *, wait_timeout=None, **options):
        """Submit a subtask and wait for its end (a wait that lends the slot)."""
        return self.wait(self.submit(ttype, payload, **options), wait_timeout)

    def report_provider(self, provider, outcome, *, tok_in=None, tok_out=None, ms=None,
                        http=None, retry=None, why=None):
        """Report one call of an LLM provider of the swarm file (``provider.report``,
        §8.3): its ``outcome``, the tokens it took, how long (``ms``), the HTTP
        status, the ``retry`` delay it asked for (ms). No reply."""
        fields = {"provider": check.name("provider", provider),
                  "outcome": check.choice("outcome", outcome, PROVIDER_OUTCOMES)}
        for key, value, hi in (("tok_in", tok_in, 10 ** 9), ("tok_out", tok_out, 10 ** 9),
                               ("ms", ms, 2 ** 64 - 1), ("http", http, 999),
                               ("retry", retry, check.MS_MAX)):
            if value is not None:
                fields[key] = check.integer(key, value, 0, hi)
        if why is not None:
            fields["why"] = check.text("why", why, 0, check.TEXT_MAX)
        self._session.message("provider.report", **self._fields(**fields))


# The methods of a Context that wait for a reply: coroutines in an AsyncContext
_BLOCKING = frozenset(("request", "submit", "run", "wait", "view", "cancel", "mem_put",
                       "mem_get", "mem_del", "mem_list", "mem_query", "mem_deposit",
                       "vote", "vote_status", "votes", "save_checkpoint"))


class AsyncContext:
    """A :class:`Context` for an ``async def`` handler: the same attributes and
    methods, where those that wait for a reply are coroutines (``await
    ctx.mem_get(key)``) and ``future(task)`` gives an asyncio future."""

    def __init__(self, ctx):
        self._ctx = ctx

    def __getattr__(self, name):
        value = getattr(self._ctx, name)
        if name in _BLOCKING:
            async def call(*args, **kwargs):
                return await asyncio.to_thread(value, *args, **kwargs)
            call.__name__ = name
            return call
        if name == "future":
            return lambda task: asyncio.wrap_future(value(task))
        return value


def check_option(ask, answer):
    """The vote.cast fields for an on_vote answer: an option, or (option,
    confidence) or (option, confidence, weight); None abstains."""
    if answer is None:
        return None
    option, confidence, weight = (tuple(answer) + (None, None))[:3] \
        if isinstance(answer, (tuple, list)) else (answer, None, None)
    if option not in ask["options"]:
        raise ValidationError(f"vote '{ask['vote']}': {option!r} is not one of the "
                              f"options {ask['options']}")
    fields = {"vote": ask["vote"], "option": option}
    if confidence is not None:
        fields["confidence"] = check.integer("confidence", confidence, 1, 1000)
    if weight is not None:
        fields["weight"] = check.integer("weight", weight, 1, 10)
    return fields
