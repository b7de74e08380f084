# Agents on other hosts: Linux network namespaces stand in for machines. Namespace A is
# the coordinator's host, B (and C) agent hosts, each joined to A by its own veth pair
# with addresses from 10.231.N.0/24, which exist only inside the namespaces this file
# creates: nothing is routed to or bound outside them. zswarmd binds A's address on the
# A-B link (not loopback), so its swarm file has a 'security' section (CURVE, keys from
# zswarmctl keygen) or, for the plain case, 'insecure: true'.
#
# This pytest process stays in the root namespace and reaches nothing inside: every
# process runs under `ip netns exec NS ...`, which execs the command (no fork), so a
# Popen's pid is the process's own and is stopped by PID. zswarmd's control socket is
# on 127.0.0.1 inside A and driven by `ip netns exec A zswarmctl --json ...`.
#
# Needs root and iproute2; skipped otherwise. Namespace names carry the pid and a
# counter; a finalizer stops the processes and deletes the namespaces (and with them
# the veths) also when a test fails.

import json
import os
import re
import shutil
import subprocess

import pytest
import zmq.auth

from conftest import READY_RE, SLOW, binary, spawn, stop_process, wait_until

IP = shutil.which("ip") or "/usr/sbin/ip"
STOP_RE = re.compile(r"stopped: .*?(\d+) connections refused")


def explain(proc):
    return f"exit {proc.returncode}, stdout {proc.stdout!r}, stderr {proc.stderr!r}"


def ip(*args, check=True):
    proc = subprocess.run([IP, *args], capture_output=True, text=True, timeout=30)
    if check:
        assert proc.returncode == 0, f"ip {' '.join(args)}: {explain(proc)}"
    return proc


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except FileNotFoundError:
        return ""


class Net:
    """The namespaces and links of one test, and the processes started in them."""

    _serial = 0

    def __init__(self, workdir):
        Net._serial += 1
        self.workdir = workdir
        self.tag = f"{os.getpid()}-{Net._serial}"
        self.subnet = f"10.231.{os.getpid() % 200 + 20}"
        self.names = []
        self.links = 0
        self.procs = []

    def ns(self, letter):
        """Create namespace 'zs<pid>-<n><letter>' with lo up; returns its name."""
        name = f"zs{self.tag}{letter}"
        ip("netns", "add", name)
        self.names.append(name)
        ip("-n", name, "link", "set", "lo", "up")
        return name

    def link(self, near, far):
        """A veth pair near <-> far (created inside them, never in the root namespace)
        with a /30: returns (near address, far address, far-side interface)."""
        base = 4 * self.links
        self.links += 1
        near_if, far_if = f"zs{self.tag}v{base}", f"zs{self.tag}w{base}"
        assert len(near_if) <= 15 and len(far_if) <= 15, (near_if, far_if)
        ip("link", "add", near_if, "netns", near, "type", "veth", "peer", "name", far_if,
           "netns", far)
        near_addr, far_addr = f"{self.subnet}.{base + 1}", f"{self.subnet}.{base + 2}"
        ip("-n", near, "addr", "add", f"{near_addr}/30", "dev", near_if)
        ip("-n", far, "addr", "add", f"{far_addr}/30", "dev", far_if)
        ip("-n", near, "link", "set", near_if, "up")
        ip("-n", far, "link", "set", far_if, "up")
        return near_addr, far_addr, far_if

    def spawn(self, name, argv, log):
        """Start argv inside namespace name, stdout and stderr to files in workdir."""
        with open(os.path.join(self.workdir, f"{log}.stdout"), "ab") as out, \
                open(os.path.join(self.workdir, f"{log}.stderr"), "ab") as err:
            proc = spawn([IP, "netns", "exec", name, *argv], stdin=subprocess.DEVNULL,
                         stdout=out, stderr=err,
                         env=dict(os.environ, ZSWARM_AGENT=binary("ZSWARM_AGENT")))
        self.procs.append(proc)
        return proc

    def run(self, name, argv, timeout=30):
        return subprocess.run([IP, "netns", "exec", name, *argv], capture_output=True,
                              text=True, timeout=timeout * SLOW)

    def close(self):
        for proc in reversed(self.procs):
            stop_process(proc, seconds=10)
        failed = []
        for name in self.names:
            if ip("netns", "del", name, check=False).returncode != 0:
                failed.append(name)
        listed = ip("netns", "list").stdout.split()
        left = [n for n in self.names if n in listed]
        assert not failed and not left, f"namespaces not deleted: {failed} {left}"


@pytest.fixture
def net(workdir):
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root (ip netns add)")
    if not os.access(IP, os.X_OK):
        pytest.skip("iproute2's 'ip' is not installed")
    probe = f"zs{os.getpid()}probe"
    proc = subprocess.run([IP, "netns", "add", probe], capture_output=True, text=True,
                          timeout=30)
    if proc.returncode != 0:
        pytest.skip(f"'ip netns add' fails here: {proc.stderr.strip()}")
    ip("netns", "del", probe)
    net = Net(workdir)
    try:
        yield net
    finally:
        net.close()


def keygen(workdir, name):
    path = os.path.join(workdir, name)
    proc = subprocess.run([binary("ZSWARMCTL"), "keygen", path], capture_output=True,
                          text=True, timeout=30 * SLOW)
    assert proc.returncode == 0, explain(proc)
    return path


@pytest.fixture
def keys(workdir):
    """The coordinator's certificate, two authorised agents, one client, and a
    stranger no directory holds."""
    for sub in ("agents", "clients", "strangers"):
        os.mkdir(os.path.join(workdir, sub))
    names = {"coord": "coord", "agent": "agents/worker", "agent2": "agents/worker2",
             "client": "clients/alice", "stranger": "strangers/mallory"}
    return {k: keygen(workdir, v) for k, v in names.items()}


def remote_type(conc=1, nodes=None):
    """Agent type 'remote', joined only from other hosts (count 0), or placed on node
    daemons ({name: count}). Its tasks print the payload and the namespace they ran
    in; a payload 'hang in NS' hangs in NS."""
    script = ('p=$(cat); n=$(' + IP + ' netns identify $$); '
              'if [ "$p" = "hang in $n" ]; then exec sleep 600; fi; '
              'printf "%s on %s\\n" "$p" "$n"')
    placed = ", ".join(f"{name}: {n}" for name, n in (nodes or {}).items())
    return (f"{{type: remote, count: 0, handler: exec, "
            f"command: {json.dumps(['/bin/sh', '-c', script])}, concurrency: {conc}, "
            f"nodes: {{{placed}}}}}")


def swarm_text(name, agents_ep, agent_types, workdir=None, insecure=False,
               control_ep="tcp://127.0.0.1:*"):
    lines = [f"name: {name}",
             "bind:",
             f"  agents: \"{agents_ep}\"",
             "  events: \"tcp://127.0.0.1:*\"",
             f"  control: \"{control_ep}\"",
             "heartbeat: {interval_ms: 100, liveness: 4}"]
    if workdir:
        lines.append(f"security: {{cert: \"{workdir}/coord_secret\", "
                     f"agents: \"{workdir}/agents\", clients: \"{workdir}/clients\"}}")
    if insecure:
        lines.append("insecure: true")
    lines.append("agents:")
    lines += [f"  - {t}" for t in agent_types]
    return "\n".join(lines) + "\n"


class NsSwarm:
    """zswarmd inside a namespace, driven with zswarmctl inside the same namespace."""

    def __init__(self, net, ns, text, keys=None, name="swarm"):
        self.net, self.ns, self.keys, self.name = net, ns, keys, name
        self.path = os.path.join(net.workdir, f"{name}.yaml")
        with open(self.path, "w") as f:
            f.write(text)
        self.log_path = os.path.join(net.workdir, f"{name}.stderr")
        self.out_path = os.path.join(net.workdir, f"{name}.stdout")
        self.proc = net.spawn(ns, [binary("ZSWARMD"), self.path], name)

        def ready():
            text = read(self.out_path)
            if "\n" in text:
                return text.splitlines()[0]
            assert self.proc.poll() is None, (
                f"zswarmd exited with {self.proc.returncode} before ready:\n{self.log()}")
            return None
        line = wait_until(ready, 20, "zswarmd's ready line")
        match = READY_RE.match(line)
        assert match, f"zswarmd's first stdout line is not the ready line: {line!r}"
        self.agents_ep, self.events_ep, self.control_ep = match.groups()
        # `ip netns exec` execs: the pid we hold is zswarmd's own
        assert os.path.realpath(f"/proc/{self.proc.pid}/exe") == os.path.realpath(
            binary("ZSWARMD")), f"pid {self.proc.pid} is not zswarmd"

    def log(self):
        return read(self.log_path)

    def ctl(self, *args, timeout_ms=5000):
        argv = [binary("ZSWARMCTL"), "-e", self.control_ep, "--json",
                "--timeout", str(int(timeout_ms * SLOW))]
        if self.keys:
            argv += ["--cert", self.keys["client"] + "_secret",
                     "--server-key", self.keys["coord"]]
        return self.net.run(self.ns, argv + list(args), timeout=timeout_ms / 1000 + 30)

    def ctl_json(self, *args, timeout_ms=5000):
        proc = self.ctl(*args, timeout_ms=timeout_ms)
        assert proc.returncode == 0, f"zswarmctl {' '.join(args)}: {explain(proc)}"
        return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]

    def agents(self):
        (reply,) = self.ctl_json("agents")
        assert reply["t"] == "agents.ok", reply
        return {a["agent"]: a for a in reply["agents"]}

    def wait_agents(self, ids, seconds=20):
        return wait_until(lambda: (lambda a: a if set(ids) <= set(a) else None)(
            self.agents()), seconds, f"agents {sorted(ids)} to register", interval=0.1)

    def run(self, ttype, payload, seconds=20):
        (done,) = self.ctl_json("submit", "--type", ttype, "--payload", payload, "--wait",
                                timeout_ms=seconds * 1000)
        return done

    def stop_line(self):
        assert stop_process(self.proc) == 0, self.log()[-3000:]
        lines = [line for line in self.log().splitlines() if "stopped:" in line]
        assert lines, f"no stop line in zswarmd's log:\n{self.log()[-3000:]}"
        match = STOP_RE.search(lines[-1])
        assert match, f"stop line without a refused count: {lines[-1]!r}"
        return lines[-1], int(match.group(1))


def agent_argv(connect, agent_id, keys=None, cert="agent", conc=1):
    argv = [binary("ZSWARM_AGENT"), "--connect", connect, "--type", "remote",
            "--id", agent_id, "--concurrency", str(conc)]
    if keys and cert:
        argv += ["--cert", keys[cert] + "_secret", "--server-key", keys["coord"]]
    return argv


def node_argv(connect, name, keys, cert="agent", slots=4):
    return [binary("ZSWARM_NODE"), "--connect", connect, "--name", name,
            "--slots", str(slots), "--cert", keys[cert] + "_secret",
            "--server-key", keys["coord"]]


def two_hosts(net):
    a, b = net.ns("a"), net.ns("b")
    a_addr, b_addr, b_if = net.link(a, b)
    return a, b, a_addr, b_addr, b_if


# ---------------------------------------------------------------------------------------

def test_remote_agents_on_another_host_run_tasks(net, keys, workdir):
    a, b, a_addr, b_addr, _ = two_hosts(net)
    swarm = NsSwarm(net, a, swarm_text("far", f"tcp://{a_addr}:*", [remote_type()],
                                       workdir), keys)
    assert swarm.agents_ep.startswith(f"tcp://{a_addr}:"), swarm.agents_ep
    for n in (1, 2):
        net.spawn(b, agent_argv(swarm.agents_ep, f"far-{n}", keys,
                                "agent" if n == 1 else "agent2"), f"agent-far-{n}")
    agents = swarm.wait_agents({"far-1", "far-2"})
    assert set(agents) == {"far-1", "far-2"}, agents
    for record in agents.values():
        assert record["atype"] == "remote", record
        assert record["local"] is False, record
        assert record["host"] == os.uname().nodename, record  # same UTS namespace
        assert record["pid"] > 0, record
    ran_on = set()
    for i in range(6):
        done = swarm.run("remote", f"hello-{i}")
        assert done["state"] == "completed", done
        assert done["stdout"] == f"hello-{i} on {b}\n", done
        ran_on.add(done["agent"])
    assert ran_on <= {"far-1", "far-2"}, ran_on
    log = swarm.log()
    assert f"agent 'far-1' (remote) joined from '{os.uname().nodename}'" in log, log
    line, refused = swarm.stop_line()
    assert refused == 0, line


def test_refused_agents_across_the_link(net, keys, workdir):
    a, b, a_addr, b_addr, _ = two_hosts(net)
    swarm = NsSwarm(net, a, swarm_text("guarded", f"tcp://{a_addr}:*", [remote_type()],
                                       workdir), keys)
    stranger = net.spawn(b, agent_argv(swarm.agents_ep, "stranger", keys, "stranger"),
                         "agent-stranger")
    plain = net.spawn(b, agent_argv(swarm.agents_ep, "plain", None), "agent-plain")
    # a good agent on the same host proves the link works while the others are refused
    net.spawn(b, agent_argv(swarm.agents_ep, "good", keys), "agent-good")
    swarm.wait_agents({"good"})

    stranger_key = zmq.auth.load_certificate(keys["stranger"])[0].decode()

    def both_refused():
        log = swarm.log()
        # the unknown key is named with the peer's address on the far side of the link;
        # a plain-text peer fails before any key, so only the endpoint is known. Its
        # failure reads "not CURVE", or "Broken pipe" when it hung up first (timing)
        unknown = (f"refused agents connection from '{b_addr}': unknown key "
                   f"'{stranger_key}'")
        plain_text = f"refused agents connection on '{swarm.agents_ep}': handshake failed"
        return unknown in log and plain_text in log
    wait_until(both_refused, 20, "both refusals in zswarmd's log", interval=0.1)
    assert stranger.poll() is None and plain.poll() is None, "refused agents should retry"
    assert set(swarm.agents()) == {"good"}, swarm.agents()
    line, refused = swarm.stop_line()
    assert refused >= 2, line
    log = swarm.log()
    assert "'stranger'" not in log and "'plain'" not in log, log[-3000:]


def test_clients_on_another_host(net, keys, workdir):
    a, b, a_addr, b_addr, _ = two_hosts(net)
    swarm = NsSwarm(net, a, swarm_text("remote-ctl", f"tcp://{a_addr}:*", [remote_type()],
                                       workdir, control_ep=f"tcp://{a_addr}:*"), keys)
    assert swarm.control_ep.startswith(f"tcp://{a_addr}:"), swarm.control_ep

    def ctl_from_b(cert):
        return net.run(b, [binary("ZSWARMCTL"), "-e", swarm.control_ep, "--json",
                           "--timeout", str(int(2000 * SLOW)), "--cert",
                           keys[cert] + "_secret", "--server-key", keys["coord"], "status"])
    proc = ctl_from_b("client")
    assert proc.returncode == 0 and '"name":"remote-ctl"' in proc.stdout, explain(proc)
    # a client key no directory holds: refused at the handshake, so no reply comes
    proc = ctl_from_b("stranger")
    assert proc.returncode == 2 and not proc.stdout, explain(proc)
    stranger_key = zmq.auth.load_certificate(keys["stranger"])[0].decode()
    wait_until(lambda: (f"refused control connection from '{b_addr}': unknown key "
                        f"'{stranger_key}'") in swarm.log(), 20,
               "the stranger client's refusal", interval=0.1)
    # an agent's key is no client's key either
    proc = ctl_from_b("agent")
    assert proc.returncode == 2, explain(proc)
    line, refused = swarm.stop_line()
    assert refused >= 2, line


def test_cut_link_moves_tasks_and_the_agent_comes_back(net, keys, workdir):
    a, b = net.ns("a"), net.ns("b")
    c = net.ns("c")
    a_addr, _, b_if = net.link(a, b)
    a_addr_c, _, _ = net.link(a, c)
    # C reaches the coordinator's address (on A's other link) through A's end of its own
    ip("-n", c, "route", "add", f"{a_addr}/32", "via", a_addr_c)
    swarm = NsSwarm(net, a, swarm_text("cut", f"tcp://{a_addr}:*", [remote_type()],
                                       workdir), keys)
    net.spawn(b, agent_argv(swarm.agents_ep, "on-b", keys), "agent-on-b")
    swarm.wait_agents({"on-b"})
    # hangs on B until its timeout (which bounds the orphaned attempt later), not on C
    hang_s = 8 * SLOW
    (ack,) = swarm.ctl_json("submit", "--type", "remote", "--payload", f"hang in {b}",
                            "--timeout", str(int(hang_s * 1000)))
    task = ack["task"]

    def running_on_b():
        (record,) = swarm.ctl_json("task", task)
        return record if record.get("state") == "running" else None
    record = wait_until(running_on_b, 20, f"task {task} to run", interval=0.1)
    assert record["agent"] == "on-b" and record["att"] == 1, record
    # only now the agent on C: the task cannot have gone there first
    agent_c = net.spawn(c, agent_argv(swarm.agents_ep, "on-c", keys, "agent2"),
                        "agent-on-c")
    swarm.wait_agents({"on-b", "on-c"})

    ip("-n", b, "link", "set", b_if, "down")
    wait_until(lambda: "on-b" not in swarm.agents(), 20,
               "the agent behind the cut link to be declared dead", interval=0.1)
    assert "agent 'on-b' left: missed heartbeats" in swarm.log(), swarm.log()[-3000:]
    (done,) = swarm.ctl_json("wait", task, timeout_ms=20000)
    assert done["state"] == "completed", done
    assert done["agent"] == "on-c" and done["att"] == 2, done
    assert done["stdout"] == f"hang in {b} on {c}\n", done

    ip("-n", b, "link", "set", b_if, "up")
    agents = swarm.wait_agents({"on-b", "on-c"}, seconds=20)
    assert agents["on-b"]["local"] is False, agents
    # B is back, but may still run its orphaned attempt (at least once, PROTOCOL.md §7):
    # with concurrency 1 it answers 'busy' until that attempt's timeout kills it. Then,
    # with C gone, a task can only run on B.
    stop_process(agent_c)
    wait_until(lambda: "on-c" not in swarm.agents(), 20, "the agent on C to leave",
               interval=0.1)
    done = swarm.run("remote", "back", seconds=30 + hang_s)
    assert done["agent"] == "on-b" and done["stdout"] == f"back on {b}\n", done
    line, refused = swarm.stop_line()
    assert refused == 0, line


def test_insecure_swarm_on_another_host(net, workdir):
    a, b, a_addr, _, _ = two_hosts(net)
    # Without security or insecure: true, a non-loopback bind does not start
    text = swarm_text("open", f"tcp://{a_addr}:*", [remote_type()])
    path = os.path.join(workdir, "refused.yaml")
    with open(path, "w") as f:
        f.write(text)
    proc = net.run(a, [binary("ZSWARMD"), path])
    assert proc.returncode != 0, explain(proc)
    assert (f"bind 'tcp://{a_addr}:*' is not a loopback address: set 'security' to bind "
            "it with CURVE, or 'insecure: true' to bind it anyway") in proc.stderr, \
        explain(proc)
    assert "zswarmd ready" not in proc.stdout, explain(proc)

    swarm = NsSwarm(net, a, swarm_text("open", f"tcp://{a_addr}:*", [remote_type()],
                                       insecure=True))
    assert "insecure: true" in swarm.log(), swarm.log()
    net.spawn(b, agent_argv(swarm.agents_ep, "plain-b", None), "agent-plain-b")
    agents = swarm.wait_agents({"plain-b"})
    assert agents["plain-b"]["local"] is False, agents
    done = swarm.run("remote", "in the clear")
    assert done["state"] == "completed", done
    assert done["stdout"] == f"in the clear on {b}\n", done
    line, refused = swarm.stop_line()
    assert refused == 0, line


def test_a_node_starts_agents_on_request(net, keys, workdir):
    a, b, a_addr, b_addr, _ = two_hosts(net)
    swarm = NsSwarm(net, a, swarm_text("nodes", f"tcp://{a_addr}:*",
                                       [remote_type(nodes={"nb": 1})], workdir), keys)
    # The node's key is an authorised agent key; its agents use it too
    node = net.spawn(b, node_argv(swarm.agents_ep, "nb", keys), "node-nb")
    agents = swarm.wait_agents({"nb.remote-1"})
    assert agents["nb.remote-1"]["local"] is False, agents
    done = swarm.run("remote", "placed")
    assert done["agent"] == "nb.remote-1" and done["stdout"] == f"placed on {b}\n", done
    # The log names the host the node said and the address it really came from
    assert (f"node 'nb' joined from '{os.uname().nodename}' ('{b_addr}') with 4 slots"
            in swarm.log())
    assert f"agent 'nb.remote-1' (remote) joined from '{os.uname().nodename}' " \
           f"('{b_addr}')" in swarm.log()

    (reply,) = swarm.ctl_json("scale", "remote", "3", "--node", "nb")
    assert reply["t"] == "scale.ok" and reply["node"] == "nb", reply
    ids = {"nb.remote-1", "nb.remote-2", "nb.remote-3"}
    swarm.wait_agents(ids)
    for i in range(6):
        done = swarm.run("remote", f"more-{i}")
        assert done["agent"] in ids and done["stdout"] == f"more-{i} on {b}\n", done

    swarm.ctl_json("scale", "remote", "0", "--node", "nb")
    wait_until(lambda: not [a for a in swarm.agents() if a.startswith("nb.")], 20,
               "the node to stop its agents", interval=0.1)

    # A node with a key no directory holds is refused at the handshake, like an agent
    stranger = net.spawn(b, node_argv(swarm.agents_ep, "nx", keys, cert="stranger"),
                         "node-nx")
    stranger_key = zmq.auth.load_certificate(keys["stranger"])[0].decode()
    wait_until(lambda: f"unknown key '{stranger_key}'" in swarm.log(), 20,
               "the stranger node's refusal", interval=0.1)
    assert stranger.poll() is None and "node 'nx'" not in swarm.log()
    assert stop_process(node) == 0, read(os.path.join(workdir, "node-nb.stderr"))
    line, refused = swarm.stop_line()
    assert refused >= 1, line
