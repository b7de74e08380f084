# Junk on the wire: random bytes, mutated and truncated msgpack, multi-frame messages
# sent to the agents socket and the control socket (DEALER and REQ). zswarmd must
# neither crash nor wedge, must answer what it can answer with an error of code 1, 2
# or 3, and must still serve a normal submit and wait afterwards.

import random
import uuid

import msgpack
import pytest
import zmq
from zmq.utils.monitor import recv_monitor_message

from conftest import (E_INVALID, E_MALFORMED, E_NOT_REGISTERED, E_UNKNOWN_TYPE,
                      E_VERSION, VERSION, deadline, left_ms, pack, unpack)

SEED = 20240601
DECODE_ERRORS = (E_MALFORMED, E_VERSION, E_UNKNOWN_TYPE)

CONTROL_TEMPLATES = [
    {"v": 1, "t": "submit", "rid": 7, "ttype": "noop", "task": "fz-1", "payload": b"x",
     "pri": 3, "tmo": 1000, "tries": 1},
    {"v": 1, "t": "task", "rid": 9, "task": "fz-2"},
    {"v": 1, "t": "cancel", "rid": 10, "task": "fz-3"},
    {"v": 1, "t": "status", "rid": 11},
    {"v": 1, "t": "agents", "rid": 12},
]
AGENT_TEMPLATES = [
    {"v": 1, "t": "hello", "atype": "fuzzer", "agent": "fz-agent", "caps": ["fz"],
     "conc": 1, "host": "fuzzhost", "pid": 1},
    {"v": 1, "t": "heartbeat", "load": 0},
    {"v": 1, "t": "task.result", "task": "fz-1", "att": 1, "status": "ok",
     "stdout": b"x"},
    {"v": 1, "t": "task.ack", "task": "fz-1", "att": 1},
    {"v": 1, "t": "task.progress", "task": "fz-1", "att": 1, "pct": 50, "note": "n"},
    {"v": 1, "t": "bye", "why": "fuzz"},
]


def near_misses():
    """Well-formed msgpack (and a few bad headers) breaking the schema in one way each,
    with the error codes a reply may carry."""
    bad = {E_MALFORMED}
    return [
        (pack({"t": "status"}), {E_VERSION}),                         # no v
        (pack({"v": 2, "t": "status"}), {E_VERSION}),                 # wrong version
        (pack({"v": 1}), bad),                                        # no t
        (pack({"v": 1, "t": "no.such.type"}), {E_UNKNOWN_TYPE}),      # unknown type
        (pack({"v": 1, "t": 7}), bad),                                # t not a string
        (pack({"v": "1", "t": "status"}), {E_VERSION}),               # v not a uint
        (pack({"v": 1, "t": "status", "rid": 1.0}), bad),             # float
        (pack({"v": 1, "t": "submit", "ttype": None}), bad),          # nil, required
        (pack({"v": 1, "t": "submit", "ttype": "e", "tmo": True}), bad),     # bool for uint
        (b"\x83\xa1v\x01\xa1t\xa6status\xa1v\x01", bad),                # duplicate key
        (b"\x83\xa1v\x01\xa1t\xa6submit\xa5ttype\xa2\xc0\x80", bad),      # overlong UTF-8
        (b"\x83\xa1v\x01\xa1t\xa6submit\xa5ttype\xa3\xed\xa0\x80", bad),  # surrogate
        (pack({"v": 1, "t": "status", "bogus": 1}), bad),             # key not allowed
        (pack({"v": 1, "t": "submit"}), bad),                         # ttype missing
        (pack({"v": 1, "t": "submit", "ttype": "x" * 65}), bad),      # name too long
        (pack({"v": 1, "t": "submit", "ttype": "a\x00b"}), bad),      # NUL in a string
        (pack({"v": 1, "t": "submit", "ttype": "e", "pri": 5000}), bad),     # range
        (pack({"v": 1, "t": "submit", "ttype": "e", "payload": "s"}), bad),  # str not bin
        (pack({"v": 1, "t": "submit", "ttype": "e", "wait": 1}), bad),       # int not bool
        (pack({"v": 1, "t": "submit", "ttype": "e", "rid": -1}), bad),       # negative
        (pack({"v": 1, "t": "status", 3: 4}), bad),                   # non-string key
        (pack([1, "status"]), bad),                                   # array, not map
        (pack("status"), bad),                                        # bare string
        (pack(None), bad),
        (b"\xc1", bad),                                               # never-used byte
        (b"\x82\xa1v\x01\xa1t\xa6status" + b"\x00" * 10, bad),       # trailing bytes
        (b"\xdf\xff\xff\xff\xff", bad),                               # map32: 4G pairs
        (b"\xdd\xff\xff\xff\xff", bad),                               # array32: 4G items
        (b"\x82\xa1v\x01\xa1t\xdb\xff\xff\xff\xff", bad),             # str32: 4 GiB
        (b"\x83\xa1v\x01\xa1t\xa6submit\xa5ttype\xc6\x7f\xff\xff\xff", bad),  # bin32
        (pack({"v": 1, "t": "submit", "ttype": "e", "task": {"a": [1] * 100}}), bad),
        (b"\x91" * 4000 + b"\xc0", bad),                              # deep nesting
    ]


def mutate(rng, frame):
    data = bytearray(frame)
    how = rng.randrange(4)
    if how == 0 and data:                          # flip bytes
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif how == 1:                                 # truncate
        del data[rng.randrange(len(data) + 1):]
    elif how == 2 and data:                        # insert junk
        pos = rng.randrange(len(data))
        data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    else:                                          # append junk
        data += bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(data)


def junk_frames(rng, templates, count):
    """count single frames: random bytes, near misses, mutated or truncated templates.
    Left out: the empty frame (from a DEALER it reads as a REQ envelope without a body,
    which has no well-defined reply), and whatever decodes to a shutdown (it would stop
    the swarm) or a wait (its reply comes when a task ends, so replies would not come
    one per request, in order)."""
    packed = [pack(t) for t in templates]
    frames = []
    while len(frames) < count:
        kind = rng.randrange(3)
        if kind == 0:
            frame = bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
        else:
            frame = mutate(rng, rng.choice(packed))
        try:
            # lenient here: drop a shutdown or wait even if another str is not UTF-8
            msg = msgpack.unpackb(frame, raw=False, strict_map_key=False,
                                  unicode_errors="surrogateescape")
            if isinstance(msg, dict) and (msg.get("t") in ("shutdown", "wait")
                                          or msg.get("wait") is True):
                continue
        except Exception:  # noqa: BLE001 - undecodable is what we want
            pass
        if frame:
            frames.append(frame)
    return frames


def is_random_junk(frame):
    """True when the frame is not a map with v == 1 and a known-looking t: then any
    reply must be an error with a decode code."""
    try:
        msg = msgpack.unpackb(frame, raw=False, strict_map_key=False)
    except Exception:  # noqa: BLE001 - includes str that is not UTF-8: refused (§2.2)
        return True
    return not (isinstance(msg, dict) and msg.get("v") == VERSION
                and isinstance(msg.get("t"), str))


def drain(sock, seconds):
    """Every frame list that arrives until seconds pass with nothing new."""
    got = []
    while sock.poll(int(seconds * 1000), zmq.POLLIN):
        got.append(sock.recv_multipart())
    return got


SENTINEL_RID = 999999999


def replies_until_sentinel(sock, socket, seconds=30):
    """Send a request whose reply is recognisable after everything else sent on sock,
    and collect the replies that come before that one. zswarmd handles a connection's
    messages in order, so once the sentinel's reply is in, every reply to what was
    sent before it is in too: no guessing how long to listen. On the control socket the
    sentinel is a status with a known rid; on the agents socket a hello with a unique
    agent id, answered by a welcome naming it."""
    if socket == "control":
        sock.send(pack({"v": 1, "t": "status", "rid": SENTINEL_RID}))
    else:
        sock.send(pack({"v": 1, "t": "hello", "atype": "sentinel",
                        "agent": f"sentinel-{uuid.uuid4().hex[:12]}"}))
    got = []
    until = deadline(seconds)
    while True:
        left = left_ms(until)
        assert left and sock.poll(left, zmq.POLLIN), (
            f"{socket}: no reply to the sentinel within {seconds} s "
            f"(zswarmd wedged?) after {len(got)} replies")
        frames = sock.recv_multipart()
        if len(frames) == 1:
            msg = unpack(frames[0], f"{socket} reply")
            if msg.get("rid") == SENTINEL_RID or (
                    msg["t"] == "welcome" and msg["agent"].startswith("sentinel-")):
                return got
        got.append(frames)


def assert_serves(swarm, what):
    assert swarm.alive(), f"zswarmd died after {what}:\n{swarm.log_tail()}"
    client = swarm.client()
    done = client.run("echo", f"still serving after {what}", seconds=30)
    assert done["state"] == "completed" and done["stdout"] == (
        f"still serving after {what}".encode()), f"after {what}: {done!r}"
    client.close()


@pytest.mark.parametrize("socket", ["control", "agents"])
def test_near_misses_get_one_error_each(swarm, ctx, socket):
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(swarm.control_ep if socket == "control" else swarm.agents_ep)
    cases = near_misses()
    if socket == "agents":
        # well-formed, but not taken on this socket (and we are not registered)
        cases.append((pack({"v": 1, "t": "status"}), {E_UNKNOWN_TYPE, E_NOT_REGISTERED}))
    else:
        cases.append((pack({"v": 1, "t": "hello", "atype": "x"}), {E_UNKNOWN_TYPE}))
    for frame, codes in cases:
        sock.send(frame)
        assert sock.poll(10000, zmq.POLLIN), (
            f"{socket}: no reply to {frame[:48]!r}; zswarmd alive: {swarm.alive()}")
        reply = sock.recv_multipart()
        assert len(reply) == 1, f"{socket}: reply of {len(reply)} frames: {reply!r}"
        msg = unpack(reply[0], f"{socket} reply to {frame[:48]!r}")
        assert msg["t"] == "error" and msg.get("code") in codes, (
            f"{socket}: {frame[:48]!r} got {msg!r}, expected error code in {sorted(codes)}")
        assert isinstance(msg.get("why"), str) and msg["why"], f"error without why: {msg!r}"
    extra = replies_until_sentinel(sock, socket)
    assert not extra, f"{socket}: extra replies {extra!r}"
    sock.close()
    assert_serves(swarm, f"{socket} near misses")


def test_control_dealer_junk_gets_one_error_each(swarm, ctx):
    rng = random.Random(SEED)
    frames = junk_frames(rng, CONTROL_TEMPLATES, 2000)
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(swarm.control_ep)
    replies = []
    for i, frame in enumerate(frames):
        sock.send(frame)
        if i % 100 == 99:  # stay well below the high-water marks
            replies += drain(sock, 0.001)
    replies += replies_until_sentinel(sock, "control")
    sock.close()

    # one reply per single-frame request, in order, and for junk an error 1..3
    assert len(replies) == len(frames), (
        f"sent {len(frames)} single-frame requests, got {len(replies)} replies")
    for frame, reply in zip(frames, replies):
        assert len(reply) == 1, f"reply of {len(reply)} frames to {frame[:40]!r}"
        msg = unpack(reply[0], f"reply to {frame[:40]!r}")
        if is_random_junk(frame):
            assert msg["t"] == "error" and msg.get("code") in DECODE_ERRORS, (
                f"junk {frame[:40]!r} got {msg!r}, expected error code 1, 2 or 3")
            assert isinstance(msg.get("why"), str) and msg["why"], f"no why: {msg!r}"
    assert_serves(swarm, "control junk")


def test_control_req_junk(swarm, ctx):
    rng = random.Random(SEED + 1)
    frames = junk_frames(rng, CONTROL_TEMPLATES, 500)
    sock = ctx.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(swarm.control_ep)
    for frame in frames:
        sock.send(frame)
        assert sock.poll(int(10000), zmq.POLLIN), (
            f"no reply to {frame[:40]!r} on a REQ socket: zswarmd wedged or dropped it")
        msg = unpack(sock.recv(), f"REQ reply to {frame[:40]!r}")
        if is_random_junk(frame):
            assert msg["t"] == "error" and msg.get("code") in DECODE_ERRORS, (
                f"junk {frame[:40]!r} on REQ got {msg!r}")
    sock.close()
    assert_serves(swarm, "REQ junk")


def test_multi_frame_junk(swarm, ctx):
    """PROTOCOL.md §1.1: a message of several frames from a DEALER is dropped without a
    reply; on the control socket [empty][map] is a REQ envelope, answered in one."""
    rng = random.Random(SEED + 2)
    for endpoint in (swarm.control_ep, swarm.agents_ep):
        sock = ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(endpoint)
        envelopes = 0
        for i in range(600):
            parts = [bytes(rng.randrange(256) for _ in range(rng.randint(0, 24)))
                     for _ in range(rng.randint(2, 5))]
            if i % 3 == 0:  # a valid request followed by junk
                parts[0] = pack({"v": 1, "t": "status", "rid": i + 1})
            elif i % 3 == 1:  # starts like a REQ envelope
                parts[0] = b""
            envelopes += parts[0] == b"" and len(parts) == 2
            sock.send_multipart(parts)
        socket = "control" if endpoint == swarm.control_ep else "agents"
        replies = replies_until_sentinel(sock, socket)
        sock.close()
        expected = envelopes if socket == "control" else 0
        assert len(replies) == expected, (
            f"{endpoint}: {len(replies)} replies to 600 multi-frame messages, expected "
            f"{expected} (one per [empty][map] on control); first: {replies[:3]!r}")
        for reply in replies:
            assert len(reply) == 2 and reply[0] == b"", f"not a REQ envelope: {reply!r}"
            msg = unpack(reply[1], "reply to [empty][junk]")
            assert msg["t"] == "error" and msg.get("code") in DECODE_ERRORS, (
                f"[empty][junk] got {msg!r}")
    assert_serves(swarm, "multi-frame junk")


def test_agents_socket_junk(swarm, ctx):
    rng = random.Random(SEED + 3)
    frames = junk_frames(rng, AGENT_TEMPLATES, 3000)
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(swarm.agents_ep)
    replies = []
    for i, frame in enumerate(frames):
        sock.send(frame)
        if i % 100 == 99:
            replies += drain(sock, 0.001)
    replies += replies_until_sentinel(sock, "agents")
    sock.close()

    assert replies, "no error reply at all to 3000 junk frames on the agents socket"
    codes = {}
    for reply in replies:
        assert len(reply) == 1, f"multi-frame reply on the agents socket: {reply!r}"
        msg = unpack(reply[0], "agents socket reply")
        # a mutated hello may register us: then welcome, heartbeats and even tasks
        assert msg["t"] in ("error", "welcome", "heartbeat", "task.assign", "task.cancel",
                            "bye"), f"odd message on the agents socket: {msg!r}"
        if msg["t"] == "error":
            assert msg.get("code") in DECODE_ERRORS + (E_NOT_REGISTERED,), (
                f"agents socket junk got error {msg!r}")
            codes[msg["code"]] = codes.get(msg["code"], 0) + 1
    assert set(codes) & set(DECODE_ERRORS), f"no decode error among replies: {codes}"
    assert_serves(swarm, "agents junk")
    swarm.agents()  # still decodes strictly, whatever our junk hellos registered


def test_oversized_frame_disconnects_only_the_sender(swarm, ctx):
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    monitor = sock.get_monitor_socket(zmq.EVENT_DISCONNECTED)
    sock.connect(swarm.control_ep)
    sock.send(pack({"v": 1, "t": "submit", "ttype": "echo",
                    "payload": b"\x00" * (4 * 1024 * 1024 + 16)}))
    # zswarmd drops the connection; an oversized frame taken would be answered instead
    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)
    poller.register(monitor, zmq.POLLIN)
    until = deadline(10)
    try:
        while True:
            ready = dict(poller.poll(max(1, left_ms(until))))
            if sock in ready:
                msg = unpack(sock.recv(), "reply to an oversized frame")
                assert msg["t"] == "error", f"an oversized frame was accepted: {msg!r}"
            if monitor in ready and recv_monitor_message(monitor)["event"] == (
                    zmq.EVENT_DISCONNECTED):
                break
            assert left_ms(until) > 0, "zswarmd kept the connection of an oversized frame"
    finally:
        sock.disable_monitor()
        monitor.close(linger=0)
        sock.close()
    assert_serves(swarm, "a 4 MiB+ frame")


# Zero is "absent" for every optional field (tries 0, tmo 0 take the defaults), so the
# bounds tested are the upper ones and the id syntax
OUT_OF_BOUNDS = {
    "payload-1MiB+1": ("payload", b"\x01" * (1024 * 1024 + 1)),
    "task-spaces": ("task", "bad id with spaces"),
    "task-65-chars": ("task", "x" * 65),
    "task-slash": ("task", "a/b"),
    "tries-102": ("tries", 102),
    "tmo-86400001": ("tmo", 86400001),
    "pri-1001": ("pri", 1001),
    "pri-minus-1001": ("pri", -1001),
}


@pytest.mark.parametrize("case", sorted(OUT_OF_BOUNDS))
def test_submit_out_of_bounds_is_refused(swarm, case):
    field, value = OUT_OF_BOUNDS[case]
    client = swarm.client()
    msg = client.request("submit", ttype="echo", **{field: value})
    assert msg["t"] == "error" and msg.get("code") in (E_MALFORMED, E_INVALID), (
        f"submit with {field}={value!r:.40} should be refused (code 1 or 7): {msg!r}")
    assert msg.get("rid") == client.next_rid - 1, f"rid not echoed: {msg!r}"
    # And nothing else follows: zswarmd answers a connection's requests in order, so
    # another reply would come before the one to a status sent after
    client.ok("status")
    assert not any(client.pending.values()), f"extra replies: {client.pending!r}"


def raw_str(data):
    """A msgpack str holding these exact bytes (which may not be UTF-8)."""
    assert len(data) < 32
    return bytes([0xa0 | len(data)]) + data


def test_non_utf8_names_are_refused(swarm, ctx):
    """PROTOCOL.md §2.2: a str that is not valid UTF-8 is refused (error 1). Were it
    taken, agents.ok and the events would carry it to every client, and strict
    msgpack decoders (Python's among them) cannot decode those messages."""
    sub = swarm.subscribe()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(swarm.agents_ep)
    frame = (b"\x85" + pack("v") + pack(1) + pack("t") + pack("hello")
             + pack("atype") + raw_str(b"ty\xffpe") + pack("agent") + raw_str(b"ag\xc3ent")
             + pack("host") + raw_str(b"h\x80st"))
    sock.send(frame)
    assert sock.poll(10000, zmq.POLLIN), "no reply to a hello with non-UTF-8 names"
    reply = unpack(sock.recv(), "reply to a non-UTF-8 hello")
    sock.close()
    assert reply["t"] == "error" and reply.get("code") == E_MALFORMED, (
        f"a hello with non-UTF-8 str fields should get error 1, got {reply!r}")
    swarm.agents()  # decodes strictly
    # Every event up to a task finished after the hello decodes strictly too
    done = swarm.control.run("echo", "after")
    sub.wait_for(lambda m: m["t"] == "task.completed" and m["task"] == done["task"], 10,
                 "task.completed of a task run after the hello")
