# Shared fixtures of the zswarm system tests, and a small protocol client written from
# the spec (proto/PROTOCOL.md), not from the C code: the tests prove
# that another language can drive zswarmd over its sockets.
#
# Every process a test starts is stopped by PID in a finalizer, also when the test
# fails. This pytest process makes itself a child subreaper, so agents orphaned by a
# killed zswarmd (or stray children of a task) are re-parented to it instead of init:
# the autouse `reaper` fixture kills what is left of them, by PID, after each test.
#
# Binaries come from the environment (meson passes them): ZSWARMD, ZSWARM_AGENT,
# ZSWARMCTL. Waiting is always a poll with a deadline, never a bare sleep; deadlines are
# generous (liveness, not speed) and scale with ZSWARM_TEST_SLOW (e.g. 3 under ASan).

import ctypes
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import msgpack
import pytest
import zmq
import zmq.auth

VERSION = 1
SLOW = float(os.environ.get("ZSWARM_TEST_SLOW", "1"))

# Error codes of "error" replies (proto/zs_msg.h, PROTOCOL.md)
E_MALFORMED = 1
E_VERSION = 2
E_UNKNOWN_TYPE = 3
E_NOT_REGISTERED = 4
E_NO_TASK = 5
E_QUEUE_FULL = 6
E_INVALID = 7
E_SHUTTING_DOWN = 8
E_FINISHED = 9
E_LIMIT = 10
E_FORBIDDEN = 11
E_NO_KEY = 12
E_CONFLICT = 13
E_NO_VOTE = 14

FINAL_STATES = ("completed", "dead", "cancelled")


def deadline(seconds):
    """A monotonic deadline `seconds` from now, stretched by ZSWARM_TEST_SLOW."""
    return time.monotonic() + seconds * SLOW


def left_ms(until):
    return max(0, int((until - time.monotonic()) * 1000))


def binary(name):
    path = os.environ.get(name)
    assert path, f"${name} is not set: run through 'meson test --suite system'"
    assert os.access(path, os.X_OK), f"${name}={path!r} is not an executable file"
    return path


# ---------------------------------------------------------------------------------------
# Processes: /proc, the subreaper, and a registry of what we started

PR_SET_CHILD_SUBREAPER = 36
_libc = ctypes.CDLL(None, use_errno=True)
_libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)

_started = []  # every Popen a test started, stopped by the reaper if still running


def proc_stat(pid):
    """(state, ppid, pgid, starttime) of a process, or None when it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("ascii", "replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    # comm may hold spaces and parentheses: the fields start after the last ')'
    fields = data[data.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[2]), int(fields[19])


def is_alive(pid, starttime=None):
    """True when pid runs (not a zombie), and is the same process if starttime given."""
    st = proc_stat(pid)
    if st is None or st[0] in ("Z", "X", "x"):
        return False
    return starttime is None or st[3] == starttime


def all_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def descendants(root):
    """Pids of every process below root (root excluded), zombies included."""
    children = {}
    for pid in all_pids():
        st = proc_stat(pid)
        if st:
            children.setdefault(st[1], []).append(pid)
    out, unvisited = [], [root]
    while unvisited:
        for child in children.get(unvisited.pop(), []):
            out.append(child)
            unvisited.append(child)
    return out


def group_members(pgid):
    """Live (non-zombie) processes of process group pgid."""
    found = []
    for pid in all_pids():
        st = proc_stat(pid)
        if st and st[2] == pgid and st[0] not in ("Z", "X", "x"):
            found.append(pid)
    return found


def wait_until(predicate, seconds, what, interval=0.01):
    """Poll predicate until it returns a true value (returned) or fail after seconds."""
    until = deadline(seconds)
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > until:
            pytest.fail(f"timed out after {seconds * SLOW:.1f} s waiting for {what}")
        time.sleep(interval)


def reap_zombies():
    """Reap zombies re-parented to us (we are a subreaper). Only called when every
    Popen we started has been waited for, so no Popen loses its exit status."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def spawn(argv, **kwargs):
    """Popen, registered so that the reaper stops it if the test does not."""
    proc = subprocess.Popen(argv, **kwargs)
    _started.append(proc)
    return proc


def stop_process(proc, sig=signal.SIGTERM, seconds=10):
    """Signal proc by PID, wait for it, SIGKILL it after seconds. Returns its status."""
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            return proc.wait(timeout=seconds * SLOW)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()


@pytest.fixture(autouse=True)
def reaper():
    """After each test: stop what it started and kill what its children left behind."""
    yield
    while _started:
        proc = _started.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for pid in descendants(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_until(lambda: not [p for p in descendants(os.getpid()) if is_alive(p)],
               10, "left-over processes to die")
    reap_zombies()


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "WARNING: ThreadSanitizer")


def sanitizer_reports(path):
    """Sanitizer reports in the *.stderr logs under path, as 'file: line' strings."""
    found = []
    for name in sorted(os.listdir(path)):
        if name.endswith(".stderr"):
            with open(os.path.join(path, name), "rb") as f:
                for line in f.read().decode(errors="replace").splitlines():
                    if any(mark in line for mark in SANITIZER_MARKS):
                        found.append(f"{name}: {line.strip()}")
    return found


@pytest.fixture
def workdir():
    """A private directory for swarm files and the logs of every process a test starts
    (not tmp_path: meson may run several pytest processes at once, and they must not
    rotate each other's directories away). At the end, a sanitizer report in any log
    fails the test: under ASan a crashing agent would otherwise only be restarted."""
    path = tempfile.mkdtemp(prefix="zswarm-system-")
    yield path
    reports = sanitizer_reports(path)
    shutil.rmtree(path, ignore_errors=True)
    if reports:
        pytest.fail("sanitizer reports in the logs:\n" + "\n".join(reports[:20]))


@pytest.fixture
def ctx():
    context = zmq.Context()
    yield context
    context.destroy(linger=0)


# ---------------------------------------------------------------------------------------
# Wire format: one msgpack map per frame, short string keys, "v" and "t" in every map

STR_KEYS = {"agent", "atype", "host", "handler", "why", "task", "ttype", "note", "status",
            "state", "name", "role", "lead", "topology", "key", "access", "prefix",
            "parent"}
BIN_KEYS = {"payload", "stdout", "stderr", "value", "ckpt", "data"}
UINT_KEYS = {"v", "rid", "seq", "conc", "pid", "hb", "live", "load", "code", "tmo",
             "tries", "att", "pct", "n_agents", "n_ready", "n_running", "n_completed",
             "n_dead", "n_cancelled", "n_submitted", "uptime_ms", "ended", "count",
             "n_pending", "n_forbidden", "ttl", "version", "expires", "queued_bytes",
             "results_bytes", "ckpt_bytes"}
INT_KEYS = {"pri", "exit"}
BOOL_KEYS = {"local", "wait", "dup", "cas", "full"}


def pack(msg):
    return msgpack.packb(msg, use_bin_type=True)


def check_wire(msg, where):
    """Check a map zswarmd sent against the spec's kinds; returns it."""
    assert isinstance(msg, dict), f"{where}: not a map: {msg!r}"
    assert msg.get("v") == VERSION, f"{where}: 'v' is not {VERSION}: {msg!r}"
    assert isinstance(msg.get("t"), str), f"{where}: no string 't': {msg!r}"
    for key, value in msg.items():
        if key in STR_KEYS:
            ok = isinstance(value, str)
        elif key in BIN_KEYS:
            ok = isinstance(value, bytes)
        elif key in UINT_KEYS:
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        elif key in INT_KEYS:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif key in BOOL_KEYS:
            ok = isinstance(value, bool)
        else:
            ok = True  # "t", lists and records: checked where used
        assert ok, f"{where}: field {key!r} has the wrong kind: {value!r} in {msg!r}"
    return msg


def unpack(frame, where):
    """Decode and check a map zswarmd sent. Every str must be UTF-8 (PROTOCOL.md §2.2):
    strict decoders, Python's included, refuse anything else."""
    try:
        msg = msgpack.unpackb(frame, raw=False, strict_map_key=False)
    except UnicodeDecodeError as exc:
        pytest.fail(f"{where}: a msgpack str is not UTF-8 ({exc}): {frame[:160]!r}")
    except Exception as exc:  # noqa: BLE001 - any decode failure is a protocol bug
        pytest.fail(f"{where}: frame is not valid msgpack ({exc}): {frame[:80]!r}")
    return check_wire(msg, where)


class Timeout(Exception):
    pass


class Client:
    """A control client on a DEALER (one frame per message) or REQ socket.

    request() sends a request with a fresh rid and returns the reply with that rid;
    replies for other rids (pipelined requests, wait.ok that follow a submit) are
    kept until asked for with reply()."""

    def __init__(self, ctx, endpoint, kind=zmq.DEALER):
        self.kind = kind
        self.sock = ctx.socket(kind)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.endpoint = endpoint
        self.next_rid = 1
        self.pending = {}  # rid -> replies not yet taken, in arrival order

    def close(self):
        self.sock.close(linger=0)

    def send(self, t, **fields):
        """Send request t with a new rid; returns the rid."""
        rid = self.next_rid
        self.next_rid += 1
        msg = {"v": VERSION, "t": t, "rid": rid}
        msg.update({k: v for k, v in fields.items() if v is not None})
        self.sock.send(pack(msg))
        return rid

    def recv(self, timeout_ms):
        """The next reply, whatever its rid; raises Timeout."""
        if not self.sock.poll(timeout_ms, zmq.POLLIN):
            raise Timeout(f"no reply from {self.endpoint} in {timeout_ms} ms")
        frames = self.sock.recv_multipart()
        assert len(frames) == 1, f"reply of {len(frames)} frames, expected 1: {frames!r}"
        return unpack(frames[0], f"reply from {self.endpoint}")

    def reply(self, rid, seconds=10):
        """The next reply with this rid."""
        until = deadline(seconds)
        while not self.pending.get(rid):
            try:
                msg = self.recv(max(1, left_ms(until)))
            except Timeout:
                pytest.fail(f"no reply with rid {rid} from {self.endpoint} "
                            f"within {seconds * SLOW:.1f} s")
            self.pending.setdefault(msg.get("rid"), []).append(msg)
        return self.pending[rid].pop(0)

    def request(self, t, seconds=10, **fields):
        return self.reply(self.send(t, **fields), seconds)

    def ok(self, t, seconds=10, **fields):
        """request() that must succeed: returns the "<t>.ok" reply."""
        msg = self.request(t, seconds, **fields)
        assert msg["t"] == t + ".ok", f"{t} {fields!r}: expected {t}.ok, got {msg!r}"
        return msg

    def error(self, t, code, seconds=10, **fields):
        """request() that must be refused with this error code."""
        msg = self.request(t, seconds, **fields)
        assert msg["t"] == "error" and msg.get("code") == code, (
            f"{t} {fields!r}: expected error code {code}, got {msg!r}")
        assert isinstance(msg.get("why"), str), f"error without 'why': {msg!r}"
        return msg

    def submit(self, ttype, payload=None, seconds=10, **fields):
        if isinstance(payload, str):
            payload = payload.encode()
        return self.ok("submit", seconds, ttype=ttype, payload=payload, **fields)

    def run(self, ttype, payload=None, seconds=15, **fields):
        """Submit with wait: true; returns the wait.ok."""
        if isinstance(payload, str):
            payload = payload.encode()
        rid = self.send("submit", ttype=ttype, payload=payload, wait=True, **fields)
        ack = self.reply(rid)
        assert ack["t"] == "submit.ok", f"submit {ttype}: expected submit.ok, got {ack!r}"
        try:
            done = self.reply(rid, seconds)
        except pytest.fail.Exception:
            if self.kind != zmq.DEALER:
                raise
            state = self.request("task", task=ack["task"])
            pytest.fail(f"task {ack['task']} of type {ttype!r} did not end within "
                        f"{seconds * SLOW:.0f} s; its record: {state!r}")
        assert done["t"] == "wait.ok", f"submit {ttype}: expected wait.ok, got {done!r}"
        assert done["task"] == ack["task"], f"wait.ok for another task: {done!r}"
        return done

    def wait(self, task, seconds=15):
        return self.ok("wait", seconds, task=task)


class ScriptedAgent:
    """An agent written in Python: hello, then requests with a rid (mem.*, vote.*) and
    whatever else the coordinator sends it. It answers heartbeats and nothing else.
    Messages read while waiting for another are kept for a later next(), unless a
    subclass sets keeps to False; seen() is called with every message read."""

    keeps = True

    def __init__(self, swarm, atype, agent, **hello):
        self.sock = swarm.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(swarm.agents_ep)
        swarm.sockets.append(self)
        self.id = agent
        self.rid = 0
        self.kept = []  # messages read while waiting for another, oldest first
        self.send("hello", atype=atype, agent=agent, **hello)
        assert self.next("welcome")["agent"] == agent

    def close(self):
        self.sock.close(0)

    def leave(self):
        """Say bye, then close: the coordinator retries at once what the agent ran,
        and a stopping zswarmd has nothing to drain (it would wait 5 s for it)."""
        self.send("bye", why="the test is over")
        self.sock.close(int(1000 * SLOW))

    def send(self, t, **fields):
        self.sock.send(pack({"v": VERSION, "t": t, **fields}))

    def next_match(self, match, what, seconds=10):
        """The next message for which match(msg) holds; the others are kept."""
        for msg in self.kept:
            if match(msg):
                self.kept.remove(msg)
                return msg
        until = deadline(seconds)
        while True:
            assert self.sock.poll(max(1, left_ms(until)), zmq.POLLIN), (
                f"{self.id}: no {what}")
            msg = unpack(self.sock.recv(), f"message to {self.id}")
            if msg["t"] == "heartbeat":
                self.send("heartbeat")
                continue
            self.seen(msg)
            if match(msg):
                return msg
            if self.keeps:
                self.kept.append(msg)

    def seen(self, msg):
        """Every message read but heartbeats, before it is matched."""

    def next(self, t, seconds=10, **fields):
        """The next message of type t with these fields."""
        return self.next_match(
            lambda m: m["t"] == t and all(m.get(k) == v for k, v in fields.items()),
            f"{t} {fields}", seconds)

    def request(self, t, **fields):
        """Send t with a new rid; its reply (ok or error)."""
        self.rid += 1
        rid = self.rid
        self.send(t, rid=rid, **fields)
        return self.next_match(lambda m: m.get("rid") == rid, f"reply {rid} to {t}")


class LeavingAgent(ScriptedAgent):
    """A ScriptedAgent that leaves (bye) when the harness closes it at the end of a test;
    die() closes it silently, as a crash."""

    def close(self):
        if not self.sock.closed:
            self.leave()

    def die(self):
        self.sock.close(0)


class Subscriber:
    """A SUB socket on the events endpoint that keeps every event it reads."""

    def __init__(self, ctx, endpoint):
        self.sock = ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVHWM, 0)  # we keep up; never drop on our side
        self.sock.setsockopt(zmq.SUBSCRIBE, b"")
        self.sock.connect(endpoint)
        self.seen = []

    def close(self):
        self.sock.close(linger=0)

    def read(self, timeout_ms):
        """Read one event into seen and return it, or None after timeout_ms."""
        if not self.sock.poll(timeout_ms, zmq.POLLIN):
            return None
        return self.read_ready()

    def read_ready(self):
        frames = self.sock.recv_multipart()
        assert len(frames) == 2, f"event of {len(frames)} frames, expected 2: {frames!r}"
        msg = unpack(frames[1], "event")
        assert frames[0] == msg["t"].encode(), f"topic {frames[0]!r} is not 't': {msg!r}"
        assert isinstance(msg.get("seq"), int), f"event without seq: {msg!r}"
        self.seen.append(msg)
        return msg

    def wait_for(self, predicate, seconds, what):
        """The first event, already seen or new, for which predicate is true."""
        for msg in self.seen:
            if predicate(msg):
                return msg
        until = deadline(seconds)
        while time.monotonic() < until:
            msg = self.read(max(1, left_ms(until)))
            if msg is not None and predicate(msg):
                return msg
        pytest.fail(f"no event {what} within {seconds * SLOW:.1f} s; saw "
                    f"{[(m['t'], m.get('agent') or m.get('task')) for m in self.seen[-20:]]}")

    def gaps(self):
        """(previous seq, next seq) pairs where seq did not go up by exactly 1."""
        seqs = [m["seq"] for m in self.seen]
        return [(a, b) for a, b in zip(seqs, seqs[1:]) if b != a + 1]


# ---------------------------------------------------------------------------------------
# Swarm files and zswarmd

LOOPBACK_ANY = "tcp://127.0.0.1:*"
BUILTIN_CAPS = "[noop, sleep, fail]"


def yaml_flow(value):
    """A Python value as a YAML flow node: dicts as {k: v}, lists as [a, b], strings
    double-quoted (JSON escapes are valid YAML), ints and bools plain."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {yaml_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(yaml_flow(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(value, "f")  # a plain decimal: swarm files refuse 1e-06
    return json.dumps(str(value))


def swarm_yaml(name, agents, hb=100, liveness=4, tasks=None, bind=None, journal=None,
               supervision=None, providers=None, budget=None):
    """A swarm file. agents: YAML flow mappings, one per type, e.g.
    "{type: echo, count: 2, handler: builtin, capabilities: [noop], concurrency: 4}".
    journal, supervision, providers and budget: dicts for those top-level mappings, e.g.
    journal={"path": "/tmp/x.journal", "fsync": "batch"}, supervision={"max_restarts": 3},
    providers={"fake": {"kind": "openai", "base_url": url, "model": "m"}},
    budget={"tokens": 100}."""
    bind = bind or {}
    lines = [
        f"name: {name}",
        "bind:",
        f"  agents: \"{bind.get('agents', LOOPBACK_ANY)}\"",
        f"  events: \"{bind.get('events', LOOPBACK_ANY)}\"",
        f"  control: \"{bind.get('control', LOOPBACK_ANY)}\"",
        f"heartbeat: {{interval_ms: {hb}, liveness: {liveness}}}",
    ]
    if tasks:
        lines.append("tasks: {" + ", ".join(f"{k}: {v}" for k, v in tasks.items()) + "}")
    if journal:
        lines.append(f"journal: {yaml_flow(journal)}")
    if supervision:
        lines.append(f"supervision: {yaml_flow(supervision)}")
    if providers:
        lines.append(f"providers: {yaml_flow(providers)}")
    if budget:
        lines.append(f"budget: {yaml_flow(budget)}")
    lines.append("agents:")
    lines += [f"  - {a}" for a in agents]
    return "\n".join(lines) + "\n"


def echo_type(count=2, concurrency=4, type_="echo", supervision=None):
    """A builtin agent type that runs echo, noop, sleep and fail; supervision: a dict for
    the type's own 'supervision' mapping, which overrides the swarm's."""
    more = f", supervision: {yaml_flow(supervision)}" if supervision else ""
    return (f"{{type: {type_}, count: {count}, handler: builtin, "
            f"capabilities: {BUILTIN_CAPS}, concurrency: {concurrency}{more}}}")


def gated_type(type_, count=1, concurrency=1):
    """An exec agent type whose task ends once the file its payload names exists
    (open_gate): a task that runs exactly as long as the test needs, however slow the
    machine, where a sleep of a fixed length could end too early."""
    return (f"{{type: {type_}, count: {count}, handler: exec, concurrency: {concurrency}, "
            "command: [/bin/sh, -c, 'gate=$(cat); until [ -e \"$gate\" ]; do sleep 0.01; "
            "done']}")


def open_gate(path):
    """Let the gated tasks waiting for path end."""
    with open(path, "w"):
        pass


READY_RE = re.compile(r"^zswarmd ready agents=(\S+) events=(\S+) control=(\S+)$")


class Swarm:
    """One zswarmd process and the sockets the test opened on it."""

    def __init__(self, ctx, workdir, text, name="swarm", env=None):
        self.ctx = ctx
        self.workdir = workdir
        self.path = os.path.join(workdir, f"{name}.yaml")
        with open(self.path, "w") as f:
            f.write(text)
        self.log_path = os.path.join(workdir, f"{name}.stderr")
        self.out_path = os.path.join(workdir, f"{name}.stdout")
        self.env = dict(os.environ, ZSWARM_AGENT=binary("ZSWARM_AGENT"))
        self.env.update(env or {})
        self.proc = None
        self.sockets = []
        self._control = None

    # -- life cycle

    def start(self, seconds=20):
        """Start zswarmd and wait for its ready line; sets agents/events/control."""
        with open(self.out_path, "wb") as out, open(self.log_path, "ab") as err:
            self.proc = spawn([binary("ZSWARMD"), self.path], stdout=out, stderr=err,
                              stdin=subprocess.DEVNULL, env=self.env)
        self.pid = self.proc.pid
        until = deadline(seconds)
        while True:
            with open(self.out_path, "rb") as f:
                text = f.read().decode(errors="replace")
            if "\n" in text:
                break
            if self.proc.poll() is not None:
                pytest.fail(f"zswarmd exited with {self.proc.returncode} before ready:\n"
                            f"{self.log_tail()}")
            if time.monotonic() > until:
                pytest.fail(f"zswarmd printed no ready line in {seconds * SLOW:.0f} s:\n"
                            f"{self.log_tail()}")
            time.sleep(0.005)
        lines = text.splitlines()
        match = READY_RE.match(lines[0])
        assert match, f"zswarmd's first stdout line is not the ready line: {lines[0]!r}"
        self.agents_ep, self.events_ep, self.control_ep = match.groups()
        for ep in match.groups():
            assert ep.startswith("tcp://127.0.0.1:") and not ep.endswith(":*"), (
                f"ready line names an endpoint without its real port: {lines[0]!r}")
        return self

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read().decode(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(data.splitlines()[-lines:])

    def close_sockets(self):
        for sock in self.sockets:
            sock.close()
        self.sockets = []
        self._control = None

    def stop(self, sig=signal.SIGTERM, seconds=20):
        """Signal zswarmd by PID and wait for it; returns its exit status."""
        self.close_sockets()
        if self.proc is None:
            return None
        return stop_process(self.proc, sig, seconds)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def children(self):
        """(pid, starttime) of zswarmd's live child processes (its local agents)."""
        found = []
        for pid in all_pids():
            st = proc_stat(pid)
            if st and st[1] == self.pid and st[0] not in ("Z", "X", "x"):
                found.append((pid, st[3]))
        return found

    def kill(self):
        """SIGKILL zswarmd, a crash: no drain, no bye, no journal flush. Returns the
        (pid, starttime) of the local agents it had, which are left to notice by
        themselves that their parent is gone (they are re-parented to this pytest
        process, a subreaper, so they cannot outlive the test)."""
        agents = self.children()
        self.close_sockets()
        self.proc.kill()
        self.proc.wait()
        return agents

    def restart(self, seconds=20):
        """Start zswarmd again with the same swarm file, after kill() or stop(). The
        file must bind fixed ports (fixed_bind()): the endpoints must come back the
        same, as clients and remote agents reconnect to them."""
        before = (self.agents_ep, self.events_ep, self.control_ep)
        assert not self.alive(), "restart() of a zswarmd that still runs"
        self.start(seconds)
        after = (self.agents_ep, self.events_ep, self.control_ep)
        assert after == before, f"zswarmd came back on other endpoints: {after} != {before}"
        return self

    # -- sockets

    def client(self, kind=zmq.DEALER):
        client = Client(self.ctx, self.control_ep, kind)
        self.sockets.append(client)
        return client

    @property
    def control(self):
        """A DEALER client kept for the harness's own requests."""
        if self._control is None:
            self._control = self.client()
        return self._control

    def subscribe(self, seconds=10):
        """A Subscriber whose subscription is known to be in effect.

        PUB/SUB subscriptions take effect some time after connect, and zswarmd has no
        request that publishes on demand. So we submit a probe task of a type no agent
        has ("zs-probe") and wait for its task.ready event, repeating the probe until
        one arrives, then cancel the probes. Probes count in status (submitted,
        cancelled): tests that check counters take deltas or use their own swarm."""
        sub = Subscriber(self.ctx, self.events_ep)
        self.sockets.append(sub)
        tag = uuid.uuid4().hex[:8]
        until = deadline(seconds)
        probes = []
        while True:
            probe = f"zs-probe-{tag}-{len(probes)}"
            self.control.submit("zs-probe", task=probe)
            probes.append(probe)
            step = time.monotonic() + 0.2
            found = False
            while time.monotonic() < step and not found:
                msg = sub.read(max(1, int((step - time.monotonic()) * 1000)))
                found = msg is not None and msg.get("task") == probe
            if found:
                break
            if time.monotonic() > until:
                pytest.fail(f"events socket {self.events_ep} delivered no probe event in "
                            f"{seconds * SLOW:.0f} s")
        for probe in probes:
            self.control.ok("cancel", task=probe)
        return sub

    # -- queries

    def agents(self):
        return self.control.ok("agents")["agents"]

    def status(self):
        return self.control.ok("status")

    def wait_agents(self, count, seconds=20, atype=None):
        """Poll agents.ok until `count` agents (of atype, if given) are registered."""
        def enough():
            found = [a for a in self.agents() if atype is None or a["atype"] == atype]
            return found if len(found) >= count else None
        return wait_until(enough, seconds, f"{count} {atype or ''} agents to register",
                          interval=0.02)


@pytest.fixture
def make_swarm(ctx, workdir):
    """Factory: make_swarm(yaml_text, name=..., env=..., start=True) -> Swarm.
    Each swarm is stopped (SIGTERM, then SIGKILL) when the test ends."""
    swarms = []

    def make(text, name="swarm", env=None, start=True):
        swarm = Swarm(ctx, workdir, text, name=name, env=env)
        swarms.append(swarm)
        return swarm.start() if start else swarm

    yield make
    for swarm in swarms:
        swarm.close_sockets()
        if swarm.proc is not None and swarm.proc.poll() is None:
            stop_process(swarm.proc, signal.SIGTERM, 10)


@pytest.fixture
def swarm(make_swarm):
    """A started swarm of two echo agents (builtin, concurrency 4)."""
    return make_swarm(swarm_yaml("t1", [echo_type()]))


@pytest.fixture
def start_agent(workdir):
    """Factory: start_agent(connect, atype, agent_id=None, conc=None) -> Popen of a
    remote zswarm-agent, logging to workdir; stopped when the test ends."""
    agents = []

    def start(connect, atype, agent_id=None, conc=None, extra=()):
        argv = [binary("ZSWARM_AGENT"), "--connect", connect, "--type", atype]
        if agent_id:
            argv += ["--id", agent_id]
        if conc:
            argv += ["--concurrency", str(conc)]
        argv += list(extra)
        log = open(os.path.join(workdir, f"agent-{len(agents)}.stderr"), "ab")
        proc = spawn(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        agents.append(proc)
        return proc

    yield start
    for proc in agents:
        stop_process(proc, signal.SIGTERM, 10)


def run_ctl(*args, timeout=30, input_=None, env=None):
    """Run zswarmctl; returns CompletedProcess (text mode)."""
    return subprocess.run([binary("ZSWARMCTL"), *args], input=input_, capture_output=True,
                          text=True, timeout=timeout * SLOW, env=env)


def explain(proc):
    return f"exit {proc.returncode}, stdout {proc.stdout!r}, stderr {proc.stderr!r}"


def keygen(path):
    proc = run_ctl("keygen", path)
    assert proc.returncode == 0, explain(proc)
    return path


class CurveClient(Client):
    """The conftest control client, as a CURVE client with the given secret cert."""

    def __init__(self, ctx, endpoint, cert, server):
        public, secret = zmq.auth.load_certificate(cert + "_secret")
        server_public, _ = zmq.auth.load_certificate(server)
        self.kind = zmq.DEALER
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.curve_publickey = public
        self.sock.curve_secretkey = secret
        self.sock.curve_serverkey = server_public
        self.sock.connect(endpoint)
        self.endpoint = endpoint
        self.next_rid = 1
        self.pending = {}


# ---------------------------------------------------------------------------------------
# Fault tolerance: fixed ports for restarts, journals, and figures for the summary


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_ports(count):
    """count distinct loopback TCP ports that are free now, for a zswarmd that is
    restarted on the same ports. Each is checked by binding a throwaway socket to it
    (all held at once, so they differ), then closed.

    They are taken below the kernel's ephemeral range, not from a bind to port 0: while
    zswarmd is down, agents and clients keep reconnecting to it, and every connect takes
    an ephemeral source port, which could be the very port zswarmd is about to bind
    again. Ports outside that range are never handed out by the kernel."""
    low, high = _ephemeral_range()
    candidates = range(10000, low) if low > 12000 else range(high + 1, 65536)
    held = []
    rng = random.Random(os.getpid() ^ time.monotonic_ns())
    try:
        for _ in range(200):
            if len(held) == count:
                break
            port = rng.choice(candidates)
            if any(s.getsockname()[1] == port for s in held):
                continue
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))  # fails if anyone listens on it
            except OSError:
                sock.close()
                continue
            held.append(sock)
        assert len(held) == count, f"found only {len(held)} free ports of {count}"
        return [s.getsockname()[1] for s in held]
    finally:
        for sock in held:
            sock.close()


def fixed_bind():
    """bind endpoints for swarm_yaml() on fixed free ports (see free_ports)."""
    agents, events, control = free_ports(3)
    return {"agents": f"tcp://127.0.0.1:{agents}", "events": f"tcp://127.0.0.1:{events}",
            "control": f"tcp://127.0.0.1:{control}"}


def journal_conf(workdir, name="swarm", fsync="batch"):
    """journal mapping for swarm_yaml(): a file in workdir, named after the swarm."""
    return {"path": os.path.join(workdir, f"{name}.journal"), "fsync": fsync}


def wall_ms():
    """Now as ms since the Unix epoch, the unit of 'ended'."""
    return time.time_ns() // 1_000_000


def log_text(path):
    """A log file's text so far, or "" before it exists."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def heard_broadcast(path, agent, text):
    """Whether agent logged, in the log at path, a broadcast of text (escaped as its
    log escapes it: zswarm-agent logs "agent 'ID': broadcast ... 'TEXT'")."""
    return any(f"agent '{agent}': broadcast" in line and line.endswith(f"'{text}'")
               for line in log_text(path).splitlines())


def agents_subscribed(swarm, path, agents):
    """Broadcast numbered probes until each of agents (ids) logged one in the log at
    path: their subscriptions to the events socket are in effect (a SUB misses what is
    published before that)."""
    probes = []

    def all_heard():
        probes.append(f"probe-{len(probes)}")
        swarm.control.ok("broadcast", payload=probes[-1].encode())
        until = deadline(0.3)
        while time.monotonic() < until:
            if all(any(heard_broadcast(path, a, p) for p in probes) for a in agents):
                return True
            time.sleep(0.01)
        return False
    wait_until(all_heard, 20, f"{agents} to hear a broadcast", interval=0)


_figures = []


def figure(line):
    """Record a measured figure (time, counts) to print in pytest's summary: tests never
    assert on timings, but the figures are worth seeing in the meson test log."""
    _figures.append(line)


def pytest_terminal_summary(terminalreporter):
    if _figures:
        terminalreporter.section("zswarm figures")
        for line in _figures:
            terminalreporter.write_line(line)
