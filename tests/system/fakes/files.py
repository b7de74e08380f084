"""A fake HTTP/1.1 file server for download tests and plain HTTP handler tests.

    with FileServer() as fs:
        fs.add("/small.txt", b"hello\\n")
        fs.add_generated("/big.bin", 1 << 30, seed=7)   # 1 GiB, never all in memory
        fs.drop_after("/big.bin", 1_000_000)             # next request: cut after 1 MB
        ...download fs.url("/big.bin")...
        assert fs.requests[-1].headers["range"] == "bytes=1000000-"
        assert fs.sha256("/big.bin") == sha256 of what the client wrote

Resources: bytes given by the test (add), a file on disk (add_file, sent with
sendfile), or content generated from a seed (add_generated). Generated content is a
1 MiB pseudo-random block from the seed, rotated by a different offset in every 1 MiB
block of the file: serving it is slicing a memoryview (no per-byte work in Python), and
a block in the wrong place, a resumed download at the wrong offset or a repeated range
all change the digest. content(path, start, end) and sha256(path, start, end) give the
expected bytes so that tests can check what a client wrote.

Every answer carries Content-Length, ETag (strong), Last-Modified and Accept-Ranges:
bytes. Range requests follow RFC 9110: "bytes=N-", "bytes=N-M", "bytes=-N" (suffix) and
several ranges (multipart/byteranges) are answered 206 with Content-Range; a set of
ranges none of which is satisfiable is answered 416 with "Content-Range: bytes */len";
a Range header that is not valid, or not in bytes, is ignored (full 200), as is one on
a method other than GET. If-Range (ETag or date), If-None-Match and If-Modified-Since
(304) are honoured, in the order of RFC 9110 section 13.2.2.

Scripting, per path (path None: whatever the next request's path); each takes times=
(how many requests it applies to; None: until cleared with clear_scripts). The scripts
of a path apply in the order given; one with times=None stays first until cleared.
drop/stall/throttle act on single-range and full bodies, not on multipart ones:
    drop_after(path, nbytes)     send nbytes of the body, then close the connection
    stall_after(path, nbytes)    send nbytes, then send nothing more (connection open)
    throttle(path, bytes_per_s)  pace the body at that rate (default: until cleared)
    hang(path)                   accept the request and never answer
    redirect(path, location, code=302)  301/302/303/307/308 to a path or a full URL
                                 (e.g. another fake's url()), default: until cleared
    status(path, code, body=b"", headers=None)
The echo endpoint, /echo and anything under it, any method, answers a JSON object with
what it received: method, path, headers ([name, value] pairs as sent), body (text),
body_base64 and body_length. Request bodies may be sent with Content-Length or chunked,
with or without "Expect: 100-continue".

Recording as in every fake (fakes._http.Request): requests, wait_for_requests(n),
and per request the Range header in headers["range"], the status answered, the body
bytes sent and whether the client went away (wait_finished() before reading those).

References (read, not copied): RFC 9110 sections 8.8.2 (Last-Modified), 8.8.3 (ETag,
strong and weak comparison), 13.1.1-13.1.5 and 13.2.2 (conditional requests and their
order), 14.1.1-14.1.2 (byte-range syntax and satisfiability), 14.2 (Range: ignore it
for methods other than GET, or when invalid), 14.3 (Accept-Ranges), 14.4 (Content-Range,
"*/length" in a 416), 14.6 (multipart/byteranges), 15.3.7 (206), 15.4 (redirections),
15.5.17 (416); RFC 9112 section 7.1 (chunked bodies). The MDN page "416 Range Not
Satisfiable" for the shape of the 416.
"""

import base64
import hashlib
import os
import random
import re
import time
from collections import deque
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from typing import Optional

from ._http import FakeServer

__all__ = ["FileServer"]

PIECE = 1 << 20                      # largest write: 1 MiB
DEFAULT_DATE = "Mon, 01 Jan 2024 00:00:00 GMT"


# ---------------------------------------------------------------------------------------
# Resources: where the bytes come from


class _Bytes:
    """Bytes registered by the test."""

    def __init__(self, data):
        self.data = memoryview(bytes(data))
        self.size = len(self.data)
        self.etag = '"b-%s"' % hashlib.sha1(self.data).hexdigest()[:20]

    def pieces(self, start, end):
        """memoryviews covering [start, end), at most PIECE bytes each."""
        for at in range(start, end, PIECE):
            yield self.data[at:min(end, at + PIECE)]


class _Generated:
    """size bytes generated from seed, a 1 MiB random block rotated per 1 MiB block."""

    def __init__(self, size, seed):
        block = random.Random(seed).randbytes(PIECE)
        self.twice = memoryview(block + block)   # any rotation is one slice of this
        self.size = size
        self.etag = '"g-%d-%d"' % (seed, size)

    def _block(self, index):
        shift = (index * 7919) % PIECE          # 7919 is odd: distinct shifts for 1 TiB
        return self.twice[shift:shift + PIECE]

    def pieces(self, start, end):
        at = start
        while at < end:
            index, offset = divmod(at, PIECE)
            piece = self._block(index)[offset:offset + min(PIECE - offset, end - at)]
            yield piece
            at += len(piece)


class _File:
    """A file on disk, sent with os.sendfile when nothing asks for a slower path."""

    def __init__(self, filename):
        self.filename = filename
        st = os.stat(filename)
        self.size = st.st_size
        self.etag = '"f-%x-%x"' % (st.st_ino, int(st.st_mtime_ns))

    def pieces(self, start, end):
        with open(self.filename, "rb") as f:
            for at in range(start, end, PIECE):
                yield memoryview(os.pread(f.fileno(), min(PIECE, end - at), at))


@dataclass
class _Entry:
    source: object
    content_type: str
    last_modified: str


@dataclass
class _Script:
    """One scripted behaviour for a path; times None means until cleared."""

    kind: str                 # drop stall throttle hang redirect status
    times: Optional[int]
    nbytes: int = 0
    rate: float = 0.0
    location: str = ""
    code: int = 200
    body: bytes = b""
    headers: Optional[dict] = None


# ---------------------------------------------------------------------------------------
# Range: RFC 9110 section 14

_RANGE_SPEC = re.compile(r"^(\d*)-(\d*)$")


def parse_ranges(header, size):
    """The byte ranges a Range header asks for, as [(first, last)] inclusive.

    None: ignore the header (not bytes, or not valid: RFC 9110 14.2). []: valid but
    unsatisfiable (answer 416). Ranges are clipped to the representation."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec.strip():
        return None
    ranges = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue   # the list syntax allows empty elements
        match = _RANGE_SPEC.match(part)
        if not match or match.groups() == ("", ""):
            return None
        first, last = match.groups()
        if first == "":                       # suffix: the last N bytes
            n = int(last)
            if n > 0 and size > 0:
                ranges.append((max(0, size - n), size - 1))
            continue
        first = int(first)
        if last != "" and int(last) < first:
            return None                       # invalid: ignore the whole header
        if first < size:
            last = size - 1 if last == "" else min(int(last), size - 1)
            ranges.append((first, last))
    return ranges


def _strong_match(etag, tag):
    return not tag.startswith("W/") and tag == etag


def _weak_match(etag, header):
    tags = [t.strip() for t in header.split(",")]
    plain = etag.removeprefix("W/")
    return "*" in tags or any(t.removeprefix("W/") == plain for t in tags)


def _date(text):
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


# ---------------------------------------------------------------------------------------
# The server


class FileServer(FakeServer):
    """Serves registered resources over HTTP/1.1 on 127.0.0.1; see the module docstring."""

    name = "file-fake"

    def __init__(self):
        self._entries = {}
        self._scripts = {}     # path (or None) -> deque of _Script
        super().__init__()

    # -- resources ------------------------------------------------------------------

    def add(self, path, data, content_type="application/octet-stream",
            last_modified=DEFAULT_DATE):
        self._put(path, _Bytes(data), content_type, last_modified)

    def add_generated(self, path, size, seed=0, content_type="application/octet-stream",
                      last_modified=DEFAULT_DATE):
        self._put(path, _Generated(size, seed), content_type, last_modified)

    def add_file(self, path, filename, content_type="application/octet-stream"):
        mtime = os.stat(filename).st_mtime
        self._put(path, _File(filename), content_type, formatdate(mtime, usegmt=True))

    def remove(self, path):
        with self._cond:
            self._entries.pop(path, None)

    def _put(self, path, source, content_type, last_modified):
        with self._cond:
            self._entries[path] = _Entry(source, content_type, last_modified)

    def etag(self, path):
        return self._entries[path].source.etag

    def last_modified(self, path):
        return self._entries[path].last_modified

    def content(self, path, start=0, end=None):
        """The bytes [start, end) of a resource: what a client should have written."""
        source = self._entries[path].source
        end = source.size if end is None else end
        return b"".join(bytes(p) for p in source.pieces(start, end))

    def sha256(self, path, start=0, end=None):
        source = self._entries[path].source
        digest = hashlib.sha256()
        for piece in source.pieces(start, source.size if end is None else end):
            digest.update(piece)
        return digest.hexdigest()

    # -- scripting ------------------------------------------------------------------

    def _script(self, path, script):
        with self._cond:
            self._scripts.setdefault(path, deque()).append(script)
        return self

    def drop_after(self, path, nbytes, times=1):
        return self._script(path, _Script("drop", times, nbytes=nbytes))

    def stall_after(self, path, nbytes, times=1):
        return self._script(path, _Script("stall", times, nbytes=nbytes))

    def throttle(self, path, bytes_per_second, times=None):
        return self._script(path, _Script("throttle", times, rate=bytes_per_second))

    def hang(self, path, times=1):
        return self._script(path, _Script("hang", times))

    def redirect(self, path, location, code=302, times=None):
        assert code in (301, 302, 303, 307, 308), code
        return self._script(path, _Script("redirect", times, location=location, code=code))

    def status(self, path, code, body=b"", headers=None, times=1):
        body = body.encode() if isinstance(body, str) else body
        return self._script(path, _Script("status", times, code=code, body=body,
                                          headers=headers))

    def clear_scripts(self, path=...):
        """Forget the scripts of path (None: the any-path ones), of every path if none."""
        with self._cond:
            if path is ...:
                self._scripts.clear()
            else:
                self._scripts.pop(path, None)

    def _take_script(self, path):
        """The script for this request (path first, then any-path), used up once."""
        with self._cond:
            for key in (path, None):
                queue = self._scripts.get(key)
                if queue:
                    script = queue[0]
                    if script.times is not None:
                        script.times -= 1
                        if script.times <= 0:
                            queue.popleft()
                    return script
        return None

    # -- answering ------------------------------------------------------------------

    def handle(self, h, request):
        path = request.path.split("?", 1)[0]
        script = self._take_script(path)
        if script and script.kind == "hang":
            return h.hang()
        if script and script.kind == "redirect":
            return h.send_bytes(script.code, b"", content_type=None,
                                headers=[("Location", script.location)])
        if script and script.kind == "status":
            return h.send_bytes(script.code, script.body, content_type="text/plain",
                                headers=list((script.headers or {}).items()))
        if path == "/echo" or path.startswith("/echo/"):
            return self._echo(h, request)
        with self._cond:
            entry = self._entries.get(path)
        if entry is None:
            return h.send_bytes(404, b"not found\n", content_type="text/plain")
        if request.method not in ("GET", "HEAD"):
            return h.send_bytes(405, b"", content_type=None,
                                headers=[("Allow", "GET, HEAD")])
        self._serve(h, request, entry, script)

    def _echo(self, h, request):
        h.send_json(200, {
            "method": request.method, "path": request.path,
            "headers": [[name, value] for name, value in request.raw_headers],
            "body": request.body.decode("utf-8", "replace"),
            "body_base64": base64.b64encode(request.body).decode(),
            "body_length": len(request.body)})

    def _validators(self, entry):
        return [("ETag", entry.source.etag), ("Last-Modified", entry.last_modified),
                ("Accept-Ranges", "bytes")]

    def _not_modified(self, request, entry):
        """RFC 9110 13.2.2 steps 3-4: If-None-Match, else If-Modified-Since."""
        inm = request.headers.get("if-none-match")
        if inm is not None:
            return _weak_match(entry.source.etag, inm)
        ims = _date(request.headers.get("if-modified-since", ""))
        modified = _date(entry.last_modified)
        return ims is not None and modified is not None and modified <= ims

    def _range_applies(self, request, entry):
        """RFC 9110 13.1.5: If-Range makes Range apply only to the same representation."""
        if_range = request.headers.get("if-range")
        if if_range is None:
            return True
        if if_range.startswith('"') or if_range.startswith("W/"):
            return _strong_match(entry.source.etag, if_range.strip())
        return if_range.strip() == entry.last_modified

    def _serve(self, h, request, entry, script):
        size = entry.source.size
        if self._not_modified(request, entry):
            return h.send_bytes(304, b"", content_type=None,
                                headers=self._validators(entry))
        header = request.headers.get("range")
        ranges = None
        if header is not None and request.method == "GET" and \
                self._range_applies(request, entry):
            ranges = parse_ranges(header, size)
        if ranges == []:
            return h.send_bytes(416, b"", content_type=None,
                                headers=[("Content-Range", f"bytes */{size}")])
        if ranges is None:
            return self._send_body(h, request, entry, 200, [(0, size - 1)], script)
        if len(ranges) == 1:
            return self._send_body(h, request, entry, 206, ranges, script)
        return self._send_multipart(h, request, entry, ranges, script)

    def _send_body(self, h, request, entry, status, ranges, script):
        (first, last), = ranges
        headers = self._validators(entry)
        if status == 206:
            headers.append(("Content-Range", f"bytes {first}-{last}/{entry.source.size}"))
        h.start(status, headers)
        h.send_header("Content-Type", entry.content_type)
        h.send_header("Content-Length", str(max(0, last - first + 1)))
        h.end_headers()
        if request.method == "HEAD":
            return
        self._write_range(h, entry.source, first, last + 1, script)

    def _send_multipart(self, h, request, entry, ranges, script):
        """RFC 9110 14.6: one part per range, each with its Content-Range."""
        boundary = "zswarm-fake-" + "%016x" % random.getrandbits(64)
        size = entry.source.size
        heads = [(f"\r\n--{boundary}\r\nContent-Type: {entry.content_type}\r\n"
                  f"Content-Range: bytes {a}-{b}/{size}\r\n\r\n").encode()
                 for a, b in ranges]
        closing = f"\r\n--{boundary}--\r\n".encode()
        length = (sum(len(x) for x in heads) + sum(b - a + 1 for a, b in ranges)
                  + len(closing))
        h.start(206, self._validators(entry))
        h.send_header("Content-Type", f"multipart/byteranges; boundary={boundary}")
        h.send_header("Content-Length", str(length))
        h.end_headers()
        for head, (a, b) in zip(heads, ranges):
            h.write(head)
            self._write_range(h, entry.source, a, b + 1, None)
        h.write(closing)

    def _write_range(self, h, source, start, end, script):
        """Body bytes [start, end): fast path, or paced / cut / stalled by the script."""
        if script is None or script.kind not in ("drop", "stall", "throttle"):
            if isinstance(source, _File):
                return self._sendfile(h, source, start, end)
            for piece in source.pieces(start, end):
                h.write(piece)
            return
        limit = script.nbytes if script.kind in ("drop", "stall") else None
        pacer = _Pacer(script.rate, self.closing) if script.kind == "throttle" else None
        for piece in source.pieces(start, end):
            if limit is not None and h.record.bytes_sent + len(piece) >= limit:
                h.write(piece[:max(0, limit - h.record.bytes_sent)])
                return h.cut() if script.kind == "drop" else h.hang()
            if pacer is None:
                h.write(piece)
            elif not pacer.write(h, piece):
                return h.cut()

    def _sendfile(self, h, source, start, end):
        h.wfile.flush()
        with open(source.filename, "rb") as f:
            at = start
            while at < end:
                sent = os.sendfile(h.connection.fileno(), f.fileno(), at,
                                   min(end - at, 1 << 24))
                if sent == 0:
                    raise BrokenPipeError("sendfile wrote nothing")
                at += sent
                h.record.bytes_sent += sent


class _Pacer:
    """Writes at `rate` bytes per second on average, in slices of 1/20 s.

    Waits on the fake's closing event (not sleep) so that close() is never held up."""

    def __init__(self, rate, closing):
        self.rate, self.closing = float(rate), closing
        self.slice = max(1, int(self.rate / 20))
        self.sent = 0
        self.t0 = None

    def write(self, h, piece):
        if self.t0 is None:
            self.t0 = time.monotonic()
        for at in range(0, len(piece), self.slice):
            due = self.t0 + self.sent / self.rate
            wait = due - time.monotonic()
            if wait > 0 and self.closing.wait(wait):
                return False
            chunk = piece[at:at + self.slice]
            h.write(chunk)
            self.sent += len(chunk)
        return True

