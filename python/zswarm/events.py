"""The events socket (PROTOCOL.md §9) as an iterator, with gap detection.

Each event is a map with a swarm-wide sequence number ``seq``. An event stream made
with ``gaps=True`` (the default) subscribes to *every* topic on the socket and applies
the topic filters itself: zswarmd numbers all events in one sequence, so a subscriber
that filtered on the socket would see every other topic's events as holes. Seeing all
of them, any hole is a loss (a slow reader passed the high-water mark), reported as a
:class:`Gap` in the stream, or raised as :class:`GapError` with ``on_gap='raise'``.
A sequence number that goes back means the coordinator restarted (it numbers from 1
again): that is reported as a ``Gap`` with ``restarted`` true. With ``gaps=False`` the
socket filters by topic (less traffic) and no gaps are reported.

The first event a stream sees sets where it starts: what was published before the
subscription took effect is not a gap (PUB/SUB does not replay; ask ``status`` for the
state). A stream is not thread-safe: read it from one thread.
"""

import time

import msgpack
import zmq

from .errors import GapError, ProtocolError


class Event(dict):
    """One event: the wire map (``t``, ``seq`` and the type's fields, §4.5)."""

    @property
    def type(self):
        return self["t"]

    @property
    def seq(self):
        return self["seq"]


class Gap:
    """Events ``first`` .. ``last`` (inclusive) were lost; with ``restarted``, the
    coordinator restarted and numbers from ``last + 1`` again (``first`` is then the
    number that was expected)."""

    def __init__(self, first, last, restarted=False):
        self.first = first
        self.last = last
        self.restarted = restarted

    @property
    def count(self):
        return 0 if self.restarted else self.last - self.first + 1

    def __repr__(self):
        if self.restarted:
            return (f"Gap(coordinator restarted: expected {self.first}, "
                    f"got {self.last + 1})")
        return f"Gap({self.first}..{self.last}, {self.count} events lost)"

    def __eq__(self, other):
        return (isinstance(other, Gap) and
                (self.first, self.last, self.restarted) ==
                (other.first, other.last, other.restarted))


class EventStream:
    """Iterate to get :class:`Event` (and :class:`Gap`) items. ``timeout`` (seconds):
    iteration ends after that long without an item; None waits for ever. ``get()``
    reads one item or returns None after its own timeout."""

    def __init__(self, sock, topics, gaps=True, on_gap="yield", timeout=None):
        if on_gap not in ("yield", "raise"):
            raise ValueError(f"on_gap: expected 'yield' or 'raise', got {on_gap!r}")
        self._sock = sock
        self._topics = tuple(topics)
        self._gaps = gaps
        self._on_gap = on_gap
        self._timeout = timeout
        self._next_seq = None   # the seq expected next; None before the first event
        self._held = None       # an event read after a gap, given after the Gap
        self.lost = 0           # events lost so far, over all gaps

    def close(self):
        self._sock.close(linger=0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __iter__(self):
        return self

    def __next__(self):
        item = self.get(self._timeout)
        if item is None:
            raise StopIteration
        return item

    def get(self, timeout=None):
        """The next Event or Gap, or None when nothing came within timeout seconds."""
        if self._held is not None:
            event, self._held = self._held, None
            return event
        until = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None
            if until is not None:
                left = max(0, int((until - time.monotonic()) * 1000))
            if not self._sock.poll(left, zmq.POLLIN):
                return None
            event = self._read()
            if event is None:
                continue
            gap = self._check_seq(event["seq"])
            if not self._wanted(event["t"]):
                if gap is None:
                    continue
                event = None
            if gap is None:
                return event
            if self._on_gap == "raise":
                self._held = event
                raise GapError(gap)
            self._held = event
            return gap

    def _read(self):
        frames = self._sock.recv_multipart()
        if len(frames) != 2:
            raise ProtocolError(f"event of {len(frames)} frames, expected 2")
        try:
            event = msgpack.unpackb(frames[1], raw=False)
        except Exception as exc:  # noqa: BLE001 - any decode failure
            raise ProtocolError(f"unreadable event: {exc}") from exc
        if not isinstance(event, dict) or not isinstance(event.get("seq"), int):
            raise ProtocolError(f"event without seq: {event!r}")
        return Event(event)

    def _wanted(self, t):
        return any(t.startswith(topic) for topic in self._topics)

    def _check_seq(self, seq):
        """The Gap before seq, or None; then expect seq + 1."""
        if not self._gaps:
            return None
        expected, self._next_seq = self._next_seq, seq + 1
        if expected is None or seq == expected:
            return None
        if seq < expected:
            return Gap(expected, seq - 1, restarted=True)
        self.lost += seq - expected
        return Gap(expected, seq - 1)


def open_stream(ctx, endpoint, topics, curve, gaps, on_gap, timeout):
    """A SUB socket on endpoint, wrapped in an EventStream."""
    sock = ctx.socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.MAXMSGSIZE, 4 * 1024 * 1024)
    if curve:
        curve(sock)
    for topic in ([""] if gaps else topics):
        sock.setsockopt_string(zmq.SUBSCRIBE, topic)
    sock.connect(endpoint)
    return EventStream(sock, topics, gaps=gaps, on_gap=on_gap, timeout=timeout)
