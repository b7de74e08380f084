"""zswarm: a Python client of the zswarm swarm runtime, over pyzmq and msgpack.

    import zswarm
    with zswarm.Client("tcp://127.0.0.1:7602") as c:
        print(c.run("echo", b"hi").stdout)

See docs/python.md. The Agent half of the package is to come (issue 15).
"""

from .client import Client, TaskId, TaskResult, load_secret_cert, load_server_key
from .errors import (BudgetSpent, ClientClosed, Conflict, Finished, Forbidden, GapError,
                     Invalid, LimitReached, Malformed, NoKey, NotRegistered, NoTask,
                     NoVote, ProtocolError, QueueFull, ShuttingDown, Timeout,
                     UnknownType, ValidationError, VersionMismatch, ZswarmError)
from .events import Event, EventStream, Gap

__version__ = "0.1.0"
PROTOCOL_VERSION = 1

__all__ = [
    "Client", "TaskId", "TaskResult", "load_secret_cert", "load_server_key",
    "Event", "EventStream", "Gap",
    "ZswarmError", "Malformed", "VersionMismatch", "UnknownType", "NotRegistered",
    "NoTask", "QueueFull", "Invalid", "ShuttingDown", "Finished", "LimitReached",
    "Forbidden", "NoKey", "Conflict", "NoVote", "BudgetSpent",
    "ValidationError", "Timeout", "ClientClosed", "ProtocolError", "GapError",
]
