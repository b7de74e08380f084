"""An agent's subscription to the events addressed to agents (PROTOCOL.md §9.1), as
zswarm-agent's agent/zs_listen.c does it.

The SUB socket belongs to the session's thread (zswarm._session), which reads it
with the DEALER; everything here runs on that thread. Those events carry ``aseq``,
which counts only them: an event at or below the last one known is old and dropped;
one past the next is taken, and is a gap. A heartbeat's ``aseq`` ahead of ours is a
gap when the next heartbeat still is (the event had a heartbeat interval to come).
On a gap the owner asks ``agent.sync``, once until it is answered (``synced``).
"""

import logging

import msgpack
import zmq

from . import _check as check
from ._session import shown, well_formed
from .errors import ValidationError

log = logging.getLogger("zswarm.agent")

TOPICS = ("agent.broadcast", "agent.paused", "agent.resumed")
BATCH = 64                 # events read at a time, so that a burst starves nothing
_WILDCARDS = ("0.0.0.0", "*", "[::]")


def resolve(events, agents):
    """The events endpoint to connect to: a wildcard host (as the coordinator bound
    it) replaced by the host of the agents endpoint, when both are tcp://."""
    prefix = "tcp://"
    if not events.startswith(prefix) or not agents.startswith(prefix):
        return events
    host, sep, port = events[len(prefix):].rpartition(":")
    agents_host = agents[len(prefix):].rpartition(":")[0]
    if sep and host in _WILDCARDS and agents_host:
        return f"{prefix}{agents_host}:{port}"
    return events


class Listen:
    """``on_event(msg)``: a new event (checked); ``on_gap()``: events were missed."""

    def __init__(self, session, on_event, on_gap):
        self._session = session
        self._on_event = on_event
        self._on_gap = on_gap
        self._sock = None
        self.endpoint = None     # where the socket is connected
        self.aseq = 0            # the last aseq whose state we know
        self._ahead = 0          # a heartbeat's aseq past ours, not caught up with yet
        self._syncing = False    # a sync was asked for and not answered

    def connect(self, endpoint):
        """Subscribe at endpoint (not again where we are); ValidationError if not."""
        if endpoint == self.endpoint:
            return
        if len(endpoint.encode("utf-8", "replace")) > check.ENDPOINT_MAX:
            raise ValidationError(f"events endpoint longer than {check.ENDPOINT_MAX} "
                                  "bytes")
        self.close()
        self._sock = self._session.subscribe(endpoint, TOPICS, self._read)
        self.endpoint = endpoint

    def close(self):
        if self._sock is not None:
            self._session.unsubscribe(self._sock)
        self._sock = self.endpoint = None

    def restart(self, aseq):
        """A new session: its welcome's aseq is where we start."""
        self.aseq, self._ahead, self._syncing = aseq, 0, False

    def heard(self, aseq):
        """A heartbeat's aseq."""
        if aseq <= self.aseq:
            self._ahead = 0
        elif self._ahead:
            self._gap()      # a heartbeat ago we were behind already: the event is lost
        else:
            self._ahead = aseq

    def synced(self, aseq):
        """An agent.sync.ok: its state is as of aseq."""
        self._syncing = False
        self.aseq = max(self.aseq, aseq)
        if self._ahead <= self.aseq:
            self._ahead = 0

    def sync_failed(self):
        """The sync could not be sent: the next gap asks again."""
        self._syncing = False

    def _gap(self):
        self._ahead = 0
        if not self._syncing:
            self._syncing = True
            self._on_gap()

    def _read(self):
        for _ in range(BATCH):
            try:
                frames = self._sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            event = self._decode(frames)
            if event is not None:
                self._take(event)

    @staticmethod
    def _decode(frames):
        """The event in frames, checked, or None (logged)."""
        try:
            topic, body = frames
            event = msgpack.unpackb(body, raw=False)
        except Exception as exc:  # noqa: BLE001 - any framing or decode failure
            log.warning("zswarm: dropped an unreadable event: %s", shown(str(exc)))
            return None
        if not isinstance(event, dict) or event.get("v") != 1 or \
                event.get("t") not in TOPICS or event["t"].encode() != topic:
            log.warning("zswarm: dropped an event that is none of ours: %s",
                        shown(event))
            return None
        problem = well_formed(event)
        if problem:
            log.warning("zswarm: dropped a malformed %s: %s", event["t"], problem)
            return None
        return event

    def _take(self, event):
        if event["aseq"] <= self.aseq:
            return
        gap = event["aseq"] > self.aseq + 1
        self.aseq = event["aseq"]
        if self._ahead <= self.aseq:
            self._ahead = 0
        self._on_event(event)
        if gap:
            self._gap()
