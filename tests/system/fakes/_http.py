"""The HTTP/1.1 server under every fake: threads, recording, clean shutdown.

A fake is an `http.server` on 127.0.0.1, port 0 (the OS picks a free one), served by a
daemon thread of the test process. Each connection gets its own handler thread, so a
request that hangs never blocks the others.

What this module gives every fake:

* Recording. Each request is kept as a `Request` (method, path, lowercased headers, raw
  body, parsed JSON, arrival time) as soon as its body has been read, before any answer,
  so that a test can wait for a request that the fake will never answer.
  `wait_for_requests(n, timeout)` blocks on a condition variable that every new record
  notifies: no polling, no sleeping.

* Waiting without sleeping, inside the fake too. A hung handler waits on a selector that
  watches its client socket (the client went away) and a self-pipe that `close()` writes
  to (the fake is closing). Throttling and paced streams wait on the `closing` event, so
  they stop as soon as the fake closes.

* Clean shutdown. `close()` stops accepting, closes the listening socket, shuts down the
  socket of every open connection (that wakes a handler blocked in recv or send; the
  handler thread closes the socket itself, so no fd is closed under another thread's
  feet) and joins every handler thread. A thread still alive after that is a bug in a
  fake and `close()` raises. `threads_alive()` and `open_connections()` let the tests
  prove that nothing leaked.

* Errors inside a handler are not printed and forgotten: they are kept in `errors`, so a
  test can assert that the fake itself did not fail (a traceback in a fake would otherwise
  show up only as a confusing client-side error).

References: RFC 9112 (HTTP/1.1 message syntax: Content-Length and chunked bodies, both
ways), RFC 9110 section 10.1.1 (Expect: 100-continue, which http.server answers for us
when protocol_version is HTTP/1.1).
"""

import itertools
import json
import os
import selectors
import socket
import socketserver
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Optional

# Same convention as conftest.py: sanitizer builds run ~3x slower, so every deadline a
# fake computes for itself is stretched by ZSWARM_TEST_SLOW.
SLOW = float(os.environ.get("ZSWARM_TEST_SLOW", "1"))

# Errors that mean "the client went away": expected in fault-injection tests, not a bug.
CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


@dataclass
class Request:
    """One request as the fake received it; fields after `client` are filled later."""

    method: str
    path: str                 # with the query string, as sent
    headers: dict             # lowercased name -> value (repeated names joined by ", ")
    raw_headers: list         # [(name as sent, value)], in order
    body: bytes
    json: Any                 # parsed body, or None when empty or not JSON
    time: float               # time.time() at arrival (body read)
    monotonic: float          # time.monotonic() at arrival
    client: tuple             # (host, port) of the client
    status: Optional[int] = None   # status code the fake answered, None if none (hang)
    bytes_sent: int = 0            # body bytes written for this request
    disconnected: bool = False     # the client went away before the fake finished
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    def wait_finished(self, timeout=10):
        """Wait until the fake is done with this request (answered, cut or abandoned)."""
        if not self.finished.wait(timeout * SLOW):
            raise TimeoutError(f"request {self.method} {self.path} not finished")
        return self


class _TCPServer(socketserver.TCPServer):
    """TCPServer with a thread per connection that the fake tracks and joins.

    socketserver.ThreadingMixIn would do the threading, but its bookkeeping of threads
    is private; the fake needs to know which threads and sockets are alive to shut them
    down and to prove that none leaked."""

    allow_reuse_address = True
    request_queue_size = 128   # "many requests at once": do not refuse a burst

    def __init__(self, fake, handler):
        self.fake = fake
        super().__init__(("127.0.0.1", 0), handler)

    def process_request(self, request, client_address):
        self.fake._track(request, client_address, self)

    def handle_error(self, request, client_address):
        self.fake._error(f"unhandled error for {client_address}")


class FakeServer:
    """Base of every fake: a threaded HTTP/1.1 server on 127.0.0.1 that records."""

    name = "fake"

    def __init__(self, handler=None):
        self._cond = threading.Condition()
        self._requests = []
        self._threads = set()      # live connection threads
        self._conns = set()        # sockets of live connections
        self._closing = threading.Event()
        self._closed = False
        self._counter = itertools.count(1)
        self.errors = []           # internal errors of the fake (tracebacks), see _error
        self._wake_r, self._wake_w = os.pipe()
        self._httpd = _TCPServer(self, handler or Handler)
        self.port = self._httpd.server_address[1]
        self.host = "127.0.0.1"
        self.base_url = f"http://{self.host}:{self.port}"
        self._serve_thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"{self.name}-{self.port}-accept", daemon=True)
        self._serve_thread.start()

    # -- context manager ------------------------------------------------------------

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def url(self, path="/"):
        return self.base_url + path

    # -- recording ------------------------------------------------------------------

    @property
    def requests(self):
        """A copy of the requests received so far, oldest first."""
        with self._cond:
            return list(self._requests)

    @property
    def last_request(self):
        with self._cond:
            return self._requests[-1] if self._requests else None

    def wait_for_requests(self, n, timeout=10):
        """Wait until at least n requests were received; return them all.

        Blocks on the condition variable every new request notifies (never sleeps) and
        raises TimeoutError after timeout seconds (stretched by ZSWARM_TEST_SLOW)."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._requests) >= n, timeout * SLOW):
                raise TimeoutError(
                    f"{self.name}: {len(self._requests)} request(s) received, "
                    f"waited for {n}")
            return list(self._requests)

    def wait_idle(self, timeout=10):
        """Wait until no connection is open (every handler thread has ended)."""
        with self._cond:
            if not self._cond.wait_for(lambda: not self._threads, timeout * SLOW):
                raise TimeoutError(f"{self.name}: {len(self._threads)} connection(s) open")

    def clear(self):
        """Forget the requests recorded so far."""
        with self._cond:
            self._requests.clear()

    def _record(self, request):
        with self._cond:
            self._requests.append(request)
            self._cond.notify_all()

    # -- threads and connections ----------------------------------------------------

    def threads_alive(self):
        """Threads of this fake still alive (the accept loop and connection threads)."""
        with self._cond:
            threads = set(self._threads)
        threads.add(self._serve_thread)
        return [t for t in threads if t.is_alive()]

    def open_connections(self):
        with self._cond:
            return len(self._conns)

    @property
    def closing(self):
        """Set when close() starts: paced writers and hung handlers stop on it."""
        return self._closing

    def _track(self, sock, client_address, httpd):
        thread = threading.Thread(
            target=self._serve_connection, args=(sock, client_address, httpd),
            name=f"{self.name}-{self.port}-conn-{next(self._counter)}", daemon=True)
        with self._cond:
            self._conns.add(sock)
            self._threads.add(thread)
        thread.start()

    def _serve_connection(self, sock, client_address, httpd):
        try:
            httpd.finish_request(sock, client_address)
        except CLIENT_GONE:
            pass
        except Exception:
            self._error(f"connection from {client_address}")
        finally:
            httpd.shutdown_request(sock)   # shutdown(SHUT_WR) then close, in this thread
            with self._cond:
                self._conns.discard(sock)
                self._threads.discard(threading.current_thread())
                self._cond.notify_all()

    def _error(self, what):
        text = f"{self.name}: {what}:\n{traceback.format_exc()}"
        with self._cond:
            self.errors.append(text)

    def wait_closing_or_gone(self, sock):
        """Block until the fake closes ('closing') or the client goes away ('gone').

        What a hung request does. Bytes the client sends meanwhile are read and dropped
        (a client does not pipeline behind a request it has no answer for)."""
        with selectors.DefaultSelector() as sel:
            sel.register(sock, selectors.EVENT_READ)
            sel.register(self._wake_r, selectors.EVENT_READ)
            while True:
                ready = [key.fileobj for key, _ in sel.select()]
                if self._wake_r in ready:
                    return "closing"
                try:
                    if not sock.recv(65536):
                        return "gone"
                except OSError:
                    return "gone"

    def close(self):
        """Stop the fake; wake and join every thread; raise if one does not end."""
        if self._closed:
            return
        self._closed = True
        self._closing.set()
        os.write(self._wake_w, b"x")          # wakes every wait_closing_or_gone
        self._httpd.shutdown()                 # the accept loop returns
        self._httpd.server_close()             # the listening socket is closed
        self._serve_thread.join()
        with self._cond:
            for sock in self._conns:
                try:
                    sock.shutdown(socket.SHUT_RDWR)   # wakes recv/send in the handler
                except OSError:
                    pass
            threads = list(self._threads)
        until = time.monotonic() + 10 * SLOW
        for thread in threads:
            thread.join(max(0.0, until - time.monotonic()))
        alive = [t.name for t in threads if t.is_alive()]
        if alive:
            # Keep the pipe open: a live thread may still select on it.
            raise RuntimeError(f"{self.name}: threads still alive after close: {alive}")
        os.close(self._wake_r)
        os.close(self._wake_w)

    # -- what a subclass implements -------------------------------------------------

    def handle(self, h, request):
        """Answer one recorded request through handler h. Subclasses override."""
        h.send_bytes(404, b"not found\n", content_type="text/plain")


class Handler(BaseHTTPRequestHandler):
    """Reads a request, records it, hands it to the fake; helpers to answer.

    HTTP/1.1 with persistent connections: every answer has a Content-Length or is
    chunked, so the connection stays open for the next request unless the client asked
    to close it or the fake cut it."""

    protocol_version = "HTTP/1.1"
    server_version = "zswarm-fake/1"

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):   # noqa: A002 - http.server's signature
        pass   # a test's output is not the place for an access log; see fake.requests

    @property
    def fake(self):
        return self.server.fake

    def _dispatch(self):
        self.record = None
        body = self._read_body()
        if body is None:
            return
        self.record = self._make_record(body)
        self.fake._record(self.record)
        try:
            self.fake.handle(self, self.record)
        except CLIENT_GONE:
            self.record.disconnected = True
            self.close_connection = True
        finally:
            self.record.finished.set()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    # -- reading --------------------------------------------------------------------

    def _read_body(self):
        """The request body (Content-Length or chunked), b"" when there is none.

        None when the framing is broken: then a 400 was sent and the connection is
        closed, as RFC 9112 section 6.3 says a server must do."""
        te = self.headers.get("Transfer-Encoding", "")
        if te:
            if te.strip().lower() != "chunked":
                self._bad_framing("unsupported Transfer-Encoding")
                return None
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not length.strip().isdigit():
            self._bad_framing("invalid Content-Length")
            return None
        return self._read_exactly(int(length))

    def _read_exactly(self, n):
        data = self.rfile.read(n)
        if len(data) != n:
            raise ConnectionResetError("client closed the connection inside the body")
        return data

    def _read_chunked(self):
        parts = []
        while True:
            line = self.rfile.readline(65537)
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                self._bad_framing("invalid chunk size")
                return None
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass   # trailer fields: ignored
                return b"".join(parts)
            parts.append(self._read_exactly(size))
            self.rfile.readline(3)   # the CRLF after the chunk data

    def _bad_framing(self, why):
        self.close_connection = True
        self.send_error(400, why)

    def _make_record(self, body):
        raw = list(self.headers.items())
        headers = {}
        for name, value in raw:
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        parsed = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        return Request(method=self.command, path=self.path, headers=headers,
                       raw_headers=raw, body=body, json=parsed, time=time.time(),
                       monotonic=time.monotonic(), client=self.client_address)

    # -- writing --------------------------------------------------------------------

    def start(self, status, headers=(), reason=None):
        """Status line and headers; the caller adds the framing headers."""
        self.send_response(status, reason)
        if self.record is not None:
            self.record.status = status
        for name, value in headers:
            self.send_header(name, value)

    def send_bytes(self, status, body, content_type="application/json", headers=(),
                   reason=None):
        """A whole answer with a Content-Length (no body for HEAD, as RFC 9110 says)."""
        self.start(status, headers, reason)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.write(body)

    def send_json(self, status, obj, headers=(), reason=None):
        self.send_bytes(status, json.dumps(obj).encode(), headers=headers, reason=reason)

    def write(self, data):
        """Body bytes, counted; raises one of CLIENT_GONE if the client went away."""
        self.wfile.write(data)
        if self.record is not None:
            self.record.bytes_sent += len(data)

    def start_chunked(self, status, content_type, headers=()):
        """Start a streamed answer: chunked transfer coding (RFC 9112 section 7.1)."""
        self.start(status, headers)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def write_chunk(self, data):
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            if self.record is not None:
                self.record.bytes_sent += len(data)

    def end_chunked(self):
        self.wfile.write(b"0\r\n\r\n")

    def cut(self):
        """Close the connection now, mid-answer: the client sees a truncated body."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def hang(self):
        """Answer nothing until the fake closes or the client goes away."""
        self.close_connection = True
        if self.fake.wait_closing_or_gone(self.connection) == "gone" and self.record:
            self.record.disconnected = True
