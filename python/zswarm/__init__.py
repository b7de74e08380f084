"""zswarm: Python for the zswarm swarm runtime, over pyzmq and msgpack: a control
client of zswarmd, and agents whose handlers are Python functions.

    import zswarm
    with zswarm.Client("tcp://127.0.0.1:7602") as c:
        print(c.run("echo", b"hi").stdout)

    zswarm.run_agent({"upper": lambda ctx: ctx.payload.upper()}, atype="py")

See docs/python.md.
"""

from .agent import Agent, run_agent
from .client import Client, TaskId, TaskResult, load_secret_cert, load_server_key
from .context import AsyncContext, Context, Fail, Peer
from .errors import (BudgetSpent, ClientClosed, Conflict, Finished, Forbidden, GapError,
                     Invalid, LimitReached, Malformed, NoKey, NotRegistered, NoTask,
                     NoVote, ProtocolError, QueueFull, ShuttingDown, Timeout,
                     UnknownType, ValidationError, VersionMismatch, ZswarmError)
from .events import Event, EventStream, Gap

__version__ = "0.2.0"
PROTOCOL_VERSION = 1

__all__ = [
    "Client", "TaskId", "TaskResult", "load_secret_cert", "load_server_key",
    "Agent", "run_agent", "Context", "AsyncContext", "Peer", "Fail",
    "Event", "EventStream", "Gap",
    "ZswarmError", "Malformed", "VersionMismatch", "UnknownType", "NotRegistered",
    "NoTask", "QueueFull", "Invalid", "ShuttingDown", "Finished", "LimitReached",
    "Forbidden", "NoKey", "Conflict", "NoVote", "BudgetSpent",
    "ValidationError", "Timeout", "ClientClosed", "ProtocolError", "GapError",
]
