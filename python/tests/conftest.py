# Fixtures of the zswarm Python package's tests: a real zswarmd on loopback ports.
#
# Each swarm is started on a swarm file written to a private directory, with every
# endpoint on tcp://127.0.0.1:* (zswarmd prints the ports it bound in its ready line),
# and is stopped by PID (SIGTERM, then SIGKILL) when the test ends. The package is
# imported from this tree (python/), not from an installed copy. Binaries come from the
# environment, as for tests/system: ZSWARMD and ZSWARM_AGENT (meson passes them);
# deadlines scale with ZSWARM_TEST_SLOW (3 under ASan).

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

PACKAGE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, PACKAGE_DIR)

import zswarm  # noqa: E402 - after the path is set

SLOW = float(os.environ.get("ZSWARM_TEST_SLOW", "1"))
READY_RE = re.compile(r"^zswarmd ready agents=(\S+) events=(\S+) control=(\S+)$")
BUILTIN_CAPS = "[echo, sleep, fail, noop]"
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def binary(name):
    path = os.environ.get(name)
    if not path:
        pytest.fail(f"${name} is not set: run through 'meson test' or set it")
    return path


def seconds(s):
    return s * SLOW


def swarm_yaml(agents, extra=""):
    lines = ["name: py", "bind:", '  agents: "tcp://127.0.0.1:*"',
             '  events: "tcp://127.0.0.1:*"', '  control: "tcp://127.0.0.1:*"',
             "heartbeat: {interval_ms: 100, liveness: 5}"]
    return "\n".join(lines) + "\n" + extra + "agents:\n" + "".join(
        f"  - {a}\n" for a in agents)


def echo_type(count=1, type_="echo", extra=""):
    return (f"{{type: {type_}, count: {count}, handler: builtin, "
            f"capabilities: {BUILTIN_CAPS}, concurrency: 4{extra}}}")


class Swarm:
    def __init__(self, workdir, text):
        self.workdir = workdir
        self.path = os.path.join(workdir, "swarm.yaml")
        with open(self.path, "w") as f:
            f.write(text)
        self.proc = None
        self.clients = []
        self.agents = []

    def start(self):
        out_path = os.path.join(self.workdir, "zswarmd.stdout")
        self.log_path = os.path.join(self.workdir, "zswarmd.stderr")
        # PYTHONPATH: agent programs (swarm file 'program') import this tree's zswarm
        env = dict(os.environ, ZSWARM_AGENT=binary("ZSWARM_AGENT"),
                   PYTHONPATH=os.pathsep.join(
                       p for p in (PACKAGE_DIR, os.environ.get("PYTHONPATH")) if p))
        with open(out_path, "wb") as out, open(self.log_path, "wb") as err:
            self.proc = subprocess.Popen([binary("ZSWARMD"), self.path], stdout=out,
                                         stderr=err, stdin=subprocess.DEVNULL, env=env,
                                         cwd=self.workdir)
        until = time.monotonic() + seconds(20)
        while True:
            with open(out_path, "rb") as f:
                text = f.read().decode(errors="replace")
            if "\n" in text:
                break
            if self.proc.poll() is not None or time.monotonic() > until:
                pytest.fail(f"zswarmd did not get ready:\n{self.log_tail()}")
            time.sleep(0.005)
        match = READY_RE.match(text.splitlines()[0])
        assert match, f"not a ready line: {text!r}"
        self.agents_ep, self.events_ep, self.control_ep = match.groups()
        return self

    def client(self, **kwargs):
        client = zswarm.Client(self.control_ep, self.events_ep,
                               timeout=seconds(kwargs.pop("timeout", 10)), **kwargs)
        self.clients.append(client)
        return client

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_agents(self, client, count):
        until = time.monotonic() + seconds(20)
        while len(client.agents()) < count:
            assert time.monotonic() < until, f"{count} agents did not register"
            time.sleep(0.02)

    def agent(self, atype, handlers=None, **options):
        """A zswarm.Agent of this swarm, started; closed when the swarm stops."""
        agent = zswarm.Agent(atype, handlers, connect=self.agents_ep, **options).start()
        self.agents.append(agent)
        return agent

    def sanitizer_reports(self):
        """Lines of zswarmd's log (its local agents' too) that report a sanitizer
        error: under ASan a crashing agent would otherwise only be restarted."""
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines()
                if any(mark in line for mark in SANITIZER_MARKS)]

    def stop(self):
        for agent in self.agents:
            agent.close()
        self.agents = []
        for client in self.clients:
            client.close()
        self.clients = []
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=seconds(10))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def workdir():
    path = tempfile.mkdtemp(prefix="zswarm-python-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def make_swarm(workdir):
    """make_swarm(yaml_text) -> a started Swarm, stopped by PID at the end."""
    swarms = []

    def make(text):
        swarm = Swarm(workdir, text)
        swarms.append(swarm)
        return swarm.start()

    yield make
    reports = []
    for swarm in swarms:
        swarm.stop()
        reports += swarm.sanitizer_reports()
    if reports:
        pytest.fail("sanitizer reports in zswarmd's log:\n" + "\n".join(reports[:20]))


@pytest.fixture
def swarm(make_swarm):
    """A swarm of two builtin echo agents; its agents are registered."""
    s = make_swarm(swarm_yaml([echo_type(count=2)]))
    s.wait_agents(s.client(), 2)
    return s


def until(condition, what, timeout=10):
    """Wait (polling) until condition() is true; fail with what after timeout s."""
    deadline = time.monotonic() + seconds(timeout)
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} did not happen"
        time.sleep(0.01)


def next_event(stream, match, timeout=10):
    """The next event for which match(event) is true."""
    deadline = time.monotonic() + seconds(timeout)
    while time.monotonic() < deadline:
        item = stream.get(0.05)
        if isinstance(item, dict) and match(item):
            return item
    pytest.fail("the event awaited did not come")


def probe_events(client, stream, tag):
    """Make sure stream's subscription is in effect: submit tasks of a type no agent
    has until one's task.ready comes through, then cancel them (PUB/SUB subscriptions
    take effect some time after connect, and nothing is published on demand)."""
    probes = []
    until = time.monotonic() + seconds(10)
    while True:
        probes.append(client.submit("zs-probe", id=f"probe-{tag}-{len(probes)}"))
        step = time.monotonic() + 0.2
        while time.monotonic() < step:
            item = stream.get(0.05)
            if isinstance(item, dict) and item.get("task") in probes:
                for probe in probes:
                    client.cancel(probe)
                return
        assert time.monotonic() < until, "the events socket delivered no probe event"


def agent_subscribed(client, heard, type=None):
    """Broadcast numbered probes (to type, or all) until one reaches heard, the
    queue.Queue an agent's on_broadcast puts (payload, type) in: its subscription to
    the events socket is in effect. Empties heard."""
    probes = []
    deadline = time.monotonic() + seconds(20)
    while True:
        probes.append(f"probe-{len(probes)}".encode())
        client.broadcast(probes[-1], type=type)
        step = time.monotonic() + 0.2
        while time.monotonic() < step:
            try:
                payload, _ = heard.get(timeout=0.05)
            except queue.Empty:
                continue
            if payload in probes:
                while not heard.empty():
                    heard.get_nowait()
                return
        assert time.monotonic() < deadline, "no broadcast reached the agent"


def next_broadcast(heard, timeout=10):
    """The next (payload, type) in heard that is not a probe of agent_subscribed."""
    deadline = time.monotonic() + seconds(timeout)
    while True:
        left = deadline - time.monotonic()
        assert left > 0, "the broadcast awaited did not come"
        try:
            payload, atype = heard.get(timeout=left)
        except queue.Empty:
            continue
        if not payload.startswith(b"probe-"):
            return payload, atype
