"""Exceptions of the zswarm client.

Every refusal from zswarmd (an ``error`` reply, PROTOCOL.md §3) is raised as an
instance of :class:`ZswarmError` carrying the protocol's ``code`` and ``why``. Each
code of §3 has a subclass, so callers may catch the one they handle
(``except NoTask``) or test ``.code``. A code this package does not know (a newer
coordinator) is raised as a plain ``ZswarmError`` with that code: the protocol says
to treat unknown codes as failures.

Errors found before anything is sent (an argument out of the protocol's bounds) are
:class:`ValidationError`, a ``ValueError``; no reply in time is :class:`Timeout`, a
``TimeoutError``.
"""

MALFORMED = 1
VERSION = 2
UNKNOWN_TYPE = 3
NOT_REGISTERED = 4
NO_TASK = 5
QUEUE_FULL = 6
INVALID = 7
SHUTTING_DOWN = 8
FINISHED = 9
LIMIT = 10
FORBIDDEN = 11
NO_KEY = 12
CONFLICT = 13
NO_VOTE = 14
BUDGET = 15


class ZswarmError(Exception):
    """zswarmd refused a request: ``code`` (PROTOCOL.md §3), ``why`` (for people),
    and ``task`` or ``vote`` when the reply named one."""

    code = None

    def __init__(self, why, code=None, task=None, vote=None, reply=None):
        if code is not None:
            self.code = code
        self.why = why
        self.task = task
        self.vote = vote
        self.reply = reply or {}
        super().__init__(f"error {self.code} ({self.name}): {why}")

    @property
    def name(self):
        return _NAMES.get(self.code, "UNKNOWN")


class Malformed(ZswarmError):
    code = MALFORMED


class VersionMismatch(ZswarmError):
    code = VERSION


class UnknownType(ZswarmError):
    code = UNKNOWN_TYPE


class NotRegistered(ZswarmError):
    code = NOT_REGISTERED


class NoTask(ZswarmError):
    code = NO_TASK


class QueueFull(ZswarmError):
    code = QUEUE_FULL


class Invalid(ZswarmError):
    code = INVALID


class ShuttingDown(ZswarmError):
    code = SHUTTING_DOWN


class Finished(ZswarmError):
    code = FINISHED


class LimitReached(ZswarmError):
    code = LIMIT


class Forbidden(ZswarmError):
    code = FORBIDDEN


class NoKey(ZswarmError):
    code = NO_KEY


class Conflict(ZswarmError):
    code = CONFLICT


class NoVote(ZswarmError):
    code = NO_VOTE


class BudgetSpent(ZswarmError):
    code = BUDGET


ERRORS = {cls.code: cls for cls in (
    Malformed, VersionMismatch, UnknownType, NotRegistered, NoTask, QueueFull, Invalid,
    ShuttingDown, Finished, LimitReached, Forbidden, NoKey, Conflict, NoVote,
    BudgetSpent)}

_NAMES = {
    MALFORMED: "MALFORMED", VERSION: "VERSION", UNKNOWN_TYPE: "UNKNOWN_TYPE",
    NOT_REGISTERED: "NOT_REGISTERED", NO_TASK: "NO_TASK", QUEUE_FULL: "QUEUE_FULL",
    INVALID: "INVALID", SHUTTING_DOWN: "SHUTTING_DOWN", FINISHED: "FINISHED",
    LIMIT: "LIMIT", FORBIDDEN: "FORBIDDEN", NO_KEY: "NO_KEY", CONFLICT: "CONFLICT",
    NO_VOTE: "NO_VOTE", BUDGET: "BUDGET",
}


def error_from_reply(reply):
    """The exception for an ``error`` reply (a decoded map)."""
    code = reply.get("code")
    cls = ERRORS.get(code, ZswarmError)
    return cls(reply.get("why", ""), code=code, task=reply.get("task"),
               vote=reply.get("vote"), reply=reply)


class ValidationError(ValueError):
    """An argument is outside the protocol's bounds: nothing was sent."""


class Timeout(TimeoutError):
    """No reply from zswarmd in time. The request may still be served."""


class ClientClosed(RuntimeError):
    """The client was closed before the reply came."""


class ProtocolError(RuntimeError):
    """zswarmd sent something this client cannot read (a bug on one side)."""


class GapError(RuntimeError):
    """Events were lost (raised by an event stream made with ``on_gap='raise'``):
    ``first`` .. ``last`` are the missing sequence numbers, inclusive."""

    def __init__(self, gap):
        self.gap = gap
        super().__init__(str(gap))
