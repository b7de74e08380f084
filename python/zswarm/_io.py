"""The control socket's I/O thread.

ZeroMQ sockets must not be shared between threads, so one thread owns the DEALER and
does all its sends and receives. Callers hand it requests through a queue and wake it
through a pipe; it matches each reply to its request by ``rid`` and resolves the
request's futures. A request has one future per reply it expects: one, or two for a
``submit`` with ``wait`` (``submit.ok``, then ``wait.ok``). An ``error`` reply fails
every future still open for its rid, since no further reply follows one.

zswarm.Agent's session (zswarm._session) is this thread with more to do, through the
hooks a subclass overrides: a poll timeout and a tick (its timers), the messages no
request waits for, callables other threads run on it (``call``), what to do with a
frame that finds no peer, and a new socket in place of the old; and more sockets to
read (``add_reader``), which it owns as it owns the DEALER."""

import collections
import logging
import os
import threading
import time

import msgpack
import zmq

from .errors import ClientClosed, ProtocolError, error_from_reply

log = logging.getLogger("zswarm")


class IoThread(threading.Thread):
    def __init__(self, sock, name="zswarm-io"):
        super().__init__(name=name, daemon=True)
        self._sock = sock                      # the DEALER: this thread's alone
        self._lock = threading.Lock()          # guards _out and _closing
        self._out = collections.deque()        # (rid, frame, futures) or (fn,) to do
        self._closing = False
        self._pending = {}                     # rid -> deque of open futures
        self._unsent = collections.deque()     # (rid, frame) waiting for a peer
        self.last_send = 0.0                   # time.monotonic() of the last frame sent
        self._readers = {}                     # more sockets this thread reads -> fn()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)

    # -- callers' side

    def send(self, rid, frame, futures):
        """Queue a request; its futures resolve with its replies, in order. With no
        futures (rid None) the frame is a message that expects no reply."""
        self._queue((rid, frame, futures))

    def call(self, fn):
        """Run fn() on this thread, after what was queued before it."""
        self._queue((fn,))

    def _queue(self, item):
        with self._lock:
            if self._closing:
                raise ClientClosed("the client is closed")
            self._out.append(item)
        self._wake()

    def stop(self):
        """Ask the thread to end (any thread, a signal handler too); close() waits."""
        with self._lock:
            self._closing = True
        self._wake()

    def close(self):
        self.stop()
        if self.is_alive():
            self.join()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _wake(self):
        try:
            os.write(self._wake_w, b"x")
        except BlockingIOError:
            pass  # the pipe is full: the thread is awake already

    # -- the thread

    def run(self):
        self._poller = zmq.Poller()
        self._poller.register(self._sock, zmq.POLLIN)
        self._poller.register(self._wake_r, zmq.POLLIN)
        try:
            while True:
                ready = dict(self._poller.poll(self._timeout()))
                if self._wake_r in ready:
                    self._drain_wake()
                if self._send_queued():
                    break
                if ready.get(self._sock, 0) & zmq.POLLIN:
                    self._receive_all()
                for sock, fn in list(self._readers.items()):
                    if ready.get(sock, 0) & zmq.POLLIN and sock in self._readers:
                        fn()
                self._tick()
                # A DEALER with no peer (zswarmd not up yet, or a handshake that
                # failed) refuses to queue: wait for it rather than fail the request;
                # the caller's own timeout bounds the wait.
                self._poller.modify(self._sock, zmq.POLLIN |
                                    (zmq.POLLOUT if self._unsent else 0))
        finally:
            self._closed()
            self._fail_all(ClientClosed("the client is closed"))

    # -- hooks of a subclass

    def _timeout(self):
        """ms the next poll may wait; None: until something happens."""
        return None

    def _tick(self):
        """Called after each poll."""

    def _closed(self):
        """Called on this thread once it is ending, before open futures fail."""

    def _unsolicited(self, msg):
        """A message that answers no open request."""
        log.debug("zswarm: dropped a reply for no request: %r", msg)

    def _no_peer(self):
        """True to drop a frame that finds no peer (failing its request); the
        default keeps it until one is connected."""
        return False

    def _replace_socket(self, sock):
        """Use sock from now on; the old one is closed and what it had open fails."""
        self._poller.unregister(self._sock)
        self._sock.close(linger=0)
        self._sock = sock
        self._poller.register(sock, zmq.POLLIN)
        self._unsent.clear()
        for rid in list(self._pending):
            self._fail(rid, ClientClosed("the connection was replaced"))

    def add_reader(self, sock, fn):
        """Poll sock too, and call fn() when it has input (this thread only)."""
        self._readers[sock] = fn
        self._poller.register(sock, zmq.POLLIN)

    def remove_reader(self, sock):
        """Stop polling sock (this thread only); the caller closes it."""
        if self._readers.pop(sock, None):
            self._poller.unregister(sock)

    def _drain_wake(self):
        try:
            while os.read(self._wake_r, 4096):
                pass
        except BlockingIOError:
            pass

    def _send_queued(self):
        """Send what callers queued; True when the client is closing."""
        while True:
            with self._lock:
                if self._closing:
                    return True
                if not self._out:
                    break
                item = self._out.popleft()
            if len(item) == 1:
                try:
                    item[0]()
                except Exception:  # noqa: BLE001 - a bug there must not end the thread
                    log.exception("zswarm: a call on the I/O thread failed")
                continue
            rid, frame, futures = item
            live = [f for f in futures if f.set_running_or_notify_cancel()]
            if futures and not live:
                continue
            if live:
                self._pending[rid] = collections.deque(live)
            self._unsent.append((rid, frame))
        self._flush()
        return False

    def _flush(self):
        while self._unsent:
            rid, frame = self._unsent[0]
            try:
                self._sock.send(frame, zmq.NOBLOCK)
                self.last_send = time.monotonic()
            except zmq.Again:
                if not self._no_peer():
                    return
                self._fail(rid, ClientClosed("not connected"))
            except zmq.ZMQError as exc:
                self._fail(rid, ClientClosed(f"cannot send: {exc}"))
            self._unsent.popleft()

    def _receive_all(self):
        while True:
            try:
                frames = self._sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            if len(frames) != 1:
                log.warning("zswarm: dropped a reply of %d frames", len(frames))
                continue
            try:
                reply = msgpack.unpackb(frames[0], raw=False)
            except Exception as exc:  # noqa: BLE001 - any decode failure
                log.warning("zswarm: dropped an unreadable reply: %s", exc)
                continue
            if not isinstance(reply, dict) or not isinstance(reply.get("t"), str):
                log.warning("zswarm: dropped a reply that is no message: %r", reply)
                continue
            self._dispatch(reply)

    def _dispatch(self, reply):
        rid = reply.get("rid")
        futures = self._pending.get(rid) if rid else None
        if not futures:
            self._unsolicited(reply)
            return
        if reply["t"] == "error":
            self._fail(rid, error_from_reply(reply))
            return
        future = futures.popleft()
        if not futures:
            del self._pending[rid]
        if reply.get("v") != 1:
            future.set_exception(ProtocolError(f"reply of version {reply.get('v')!r}"))
        elif not future.cancelled():
            future.set_result(reply)

    def _fail(self, rid, exc):
        for future in self._pending.pop(rid, ()):
            if not future.done():
                future.set_exception(exc)

    def _fail_all(self, exc):
        for rid in list(self._pending):
            self._fail(rid, exc)
        with self._lock:
            queued, self._out = self._out, collections.deque()
        for item in queued:
            for future in item[2] if len(item) == 3 else ():
                if future.set_running_or_notify_cancel():
                    future.set_exception(exc)
