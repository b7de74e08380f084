# CurveZMQ security end to end: zswarmctl keygen, a swarm with a 'security' section on
# 127.0.0.1, authorised and refused agents and clients, the audit log, and the bind
# rule. Keys are made by zswarmctl keygen (czmq format) and read back with pyzmq's
# zmq.auth.load_certificate, which reads the same format.

import os
import stat
import subprocess

import pytest
import zmq
import zmq.auth

from conftest import (READY_RE, SLOW, CurveClient, binary, echo_type, explain, keygen,
                      run_ctl, spawn, stop_process, swarm_yaml, wait_until)


@pytest.fixture
def keys(workdir):
    """Certificates: the coordinator's, two authorised agents and two clients, and a
    stranger of each kind that no directory holds."""
    for sub in ("agents", "clients", "strangers"):
        os.mkdir(os.path.join(workdir, sub))
    names = {
        "coord": "coord", "agent": "agents/worker", "client": "clients/alice",
        "client2": "clients/bob", "stray_agent": "strangers/mallory",
        "stray_client": "strangers/eve",
    }
    return {k: keygen(os.path.join(workdir, v)) for k, v in names.items()}


def secure_yaml(workdir, agents, bind=None, extra=""):
    text = swarm_yaml("sec", agents, bind=bind)
    security = (f"security: {{cert: \"{workdir}/coord_secret\", "
                f"agents: \"{workdir}/agents\", clients: \"{workdir}/clients\"}}\n")
    return text.replace("agents:\n", security + extra + "agents:\n", 1)


def secure_swarm(make_swarm, ctx, workdir, keys, agents=None, extra=""):
    """A started CURVE swarm whose harness client is alice."""
    swarm = make_swarm(secure_yaml(workdir, agents or [echo_type(count=1)], extra=extra))
    swarm._control = CurveClient(ctx, swarm.control_ep, keys["client"], keys["coord"])
    swarm.sockets.append(swarm._control)
    return swarm


def ctl_as(swarm, keys, who, *args, **kwargs):
    return run_ctl("-e", swarm.control_ep, "--cert", keys[who] + "_secret",
                   "--server-key", keys["coord"], *args, **kwargs)


def stop_line(swarm):
    assert swarm.stop() == 0, swarm.log_tail()
    with open(swarm.log_path) as f:
        log = f.read()
    lines = [line for line in log.splitlines() if "stopped:" in line]
    assert lines, f"no stop line in the log:\n{log[-3000:]}"
    return log, lines[-1]


def refused_count(line):
    return int(line.split(" connections refused")[0].rsplit(" ", 1)[-1])


# ---------------------------------------------------------------------------------------
# keygen

def test_keygen_files_and_modes(workdir):
    path = os.path.join(workdir, "node1")
    proc = run_ctl("keygen", path)
    assert proc.returncode == 0, explain(proc)
    public, secret = path, path + "_secret"
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    assert os.path.exists(public)
    key, _ = zmq.auth.load_certificate(public)
    assert key.decode() in proc.stdout and public in proc.stdout and secret in proc.stdout
    _, secret_key = zmq.auth.load_certificate(secret)
    assert secret_key and len(secret_key) == 40
    with open(public) as f:
        assert 'name = "node1"' in f.read()
    again = run_ctl("keygen", path)
    assert again.returncode == 2 and "exists already" in again.stderr, explain(again)
    with open(secret) as f:
        assert secret_key.decode() in f.read(), "keygen overwrote the secret file"


# ---------------------------------------------------------------------------------------
# Agents and clients

def test_authorised_remote_agent_runs_a_task(make_swarm, ctx, workdir, keys, start_agent):
    swarm = secure_swarm(make_swarm, ctx, workdir, keys,
                         agents=["{type: remote, count: 0, capabilities: [noop]}"])
    start_agent(swarm.agents_ep, "remote", agent_id="far-1",
                extra=["--cert", keys["agent"] + "_secret", "--server-key",
                       keys["coord"]])
    swarm.wait_agents(1, atype="remote")
    proc = ctl_as(swarm, keys, "client", "--timeout", str(int(15000 * SLOW)), "submit",
                  "--type", "noop", "--payload", "x", "--wait")
    assert proc.returncode == 0, explain(proc)
    # --server-key also takes the key itself, as Z85
    server_key, _ = zmq.auth.load_certificate(keys["coord"])
    status = run_ctl("-e", swarm.control_ep, "--cert", keys["client2"] + "_secret",
                     "--server-key", server_key.decode(), "status")
    assert status.returncode == 0, explain(status)
    _, line = stop_line(swarm)
    assert refused_count(line) == 0, line


def test_local_agents_of_a_curve_swarm(make_swarm, ctx, workdir, keys):
    swarm = secure_swarm(make_swarm, ctx, workdir, keys, agents=[echo_type(count=2)])
    swarm.wait_agents(2)
    result = swarm.control.run("echo", b"local")
    assert result["state"] == "completed", result
    # The generated certificate lives in a private directory removed at exit. Which
    # one is this zswarmd's: its local agents' --cert says (other zswarmd processes,
    # of tests running beside this one, make directories of their own meanwhile)
    dirs = set()
    for pid, _ in swarm.children():
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().decode().split("\0")
        dirs.add(os.path.dirname(argv[argv.index("--cert") + 1]))
    (private,) = dirs
    assert os.path.basename(private).startswith("zswarmd-") and os.path.isdir(private), (
        private)
    log, line = stop_line(swarm)
    assert refused_count(line) == 0, log
    assert not os.path.exists(private), "zswarmd left its private directory behind"


@pytest.mark.parametrize("kind", ["unknown_key", "plain_text", "client_key"])
def test_refused_agents(make_swarm, ctx, workdir, keys, start_agent, kind):
    swarm = secure_swarm(make_swarm, ctx, workdir, keys,
                         agents=["{type: remote, count: 0}"])
    extra = {
        "unknown_key": ["--cert", keys["stray_agent"] + "_secret"],
        "plain_text": [],
        # a control client's key does not open the agents socket
        "client_key": ["--cert", keys["client"] + "_secret"],
    }[kind]
    if extra:
        extra += ["--server-key", keys["coord"]]
    agent = start_agent(swarm.agents_ep, "remote", agent_id="intruder", extra=extra)
    wait_until(lambda: refused_count_live(swarm) or None, 10, "a refusal in the log")
    assert agent.poll() is None, "the refused agent should keep trying, not exit"
    assert swarm.agents() == [], swarm.agents()
    log, line = stop_line(swarm)
    assert "agent 'intruder'" not in log and "joined" not in log, log[-2000:]
    assert refused_count(line) >= 1, line


def refused_count_live(swarm):
    with open(swarm.log_path) as f:
        return "refused agents connection" in f.read()


@pytest.mark.parametrize("who", ["stray_client", "agent", "plain"])
def test_refused_clients(make_swarm, ctx, workdir, keys, who):
    swarm = secure_swarm(make_swarm, ctx, workdir, keys)
    if who == "plain":
        proc = run_ctl("-e", swarm.control_ep, "--timeout", "1000", "shutdown")
    else:
        proc = ctl_as(swarm, keys, who, "--timeout", "1000", "shutdown")
    # Refused at the handshake: either the request waits for a reply that never comes,
    # or (when the refusal was quicker than the send) libzmq has no connection left
    refused = "no reply" in proc.stderr or "no connection" in proc.stderr
    assert proc.returncode == 2 and refused, explain(proc)
    assert swarm.alive(), "a refused client shut the swarm down"
    assert swarm.status()["name"] == "sec"
    log, line = stop_line(swarm)
    assert "refused control connection" in log, log[-2000:]
    assert "control: 'shutdown'" not in log
    assert refused_count(line) >= 1, line


def test_curve_events_for_authorised_subscribers(make_swarm, ctx, workdir, keys):
    swarm = secure_swarm(make_swarm, ctx, workdir, keys)
    public, secret = zmq.auth.load_certificate(keys["client"] + "_secret")
    server, _ = zmq.auth.load_certificate(keys["coord"])
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.curve_publickey, sub.curve_secretkey, sub.curve_serverkey = public, secret, server
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(swarm.events_ep)
    try:
        def seen():
            swarm.control.submit("zs-probe")
            return sub.poll(200, zmq.POLLIN) or None
        wait_until(seen, 10, "an event on the CURVE events socket")
    finally:
        sub.close(linger=0)


# ---------------------------------------------------------------------------------------
# Audit log

def test_audit_names_the_client(make_swarm, ctx, workdir, keys):
    swarm = secure_swarm(make_swarm, ctx, workdir, keys,
                         agents=[echo_type(count=1)])
    swarm.wait_agents(1)
    task = swarm.control.submit("nobody-runs-this")["task"]
    proc = ctl_as(swarm, keys, "client2", "cancel", task)
    assert proc.returncode == 0, explain(proc)
    proc = ctl_as(swarm, keys, "client", "stop", "echo-1")
    assert proc.returncode == 0, explain(proc)
    proc = ctl_as(swarm, keys, "client2", "shutdown")
    assert proc.returncode == 0, explain(proc)
    wait_until(lambda: swarm.proc.poll() is not None, 20, "zswarmd to stop")
    with open(swarm.log_path) as f:
        log = f.read()
    assert f"control: 'cancel' by 'bob' of '{task}'" in log, log[-2000:]
    assert "control: 'stop' by 'alice' of 'echo-1'" in log, log[-2000:]
    assert "control: 'shutdown' by 'bob'" in log, log[-2000:]


# ---------------------------------------------------------------------------------------
# Binding

def check(workdir, text):
    path = os.path.join(workdir, "check.yaml")
    with open(path, "w") as f:
        f.write(text)
    return subprocess.run([binary("ZSWARMD"), "--check", path], capture_output=True,
                          text=True, timeout=30 * SLOW)


def test_wildcard_bind_needs_security(workdir, keys):
    bind = {"agents": "tcp://0.0.0.0:*"}
    proc = check(workdir, swarm_yaml("open", [echo_type(count=0)], bind=bind))
    assert proc.returncode == 2, explain(proc)
    assert ("is not a loopback address: set 'security' to bind it with CURVE, or "
            "'insecure: true'") in proc.stderr, explain(proc)
    proc = check(workdir, secure_yaml(workdir, [echo_type(count=0)], bind=bind))
    assert proc.returncode == 0, explain(proc)


def test_wildcard_bind_starts_with_security(ctx, workdir, keys):
    # Bound on every address, but only ever contacted on 127.0.0.1
    text = secure_yaml(workdir, [echo_type(count=1)], bind={"agents": "tcp://0.0.0.0:*"})
    path = os.path.join(workdir, "wild.yaml")
    with open(path, "w") as f:
        f.write(text)
    out_path = os.path.join(workdir, "wild.stdout")
    with open(out_path, "wb") as out, open(os.path.join(workdir, "wild.stderr"), "ab") as err:
        proc = spawn([binary("ZSWARMD"), path], stdout=out, stderr=err,
                     stdin=subprocess.DEVNULL,
                     env=dict(os.environ, ZSWARM_AGENT=binary("ZSWARM_AGENT")))

    def ready():
        assert proc.poll() is None, "zswarmd exited"
        with open(out_path) as f:
            return READY_RE.match(f.readline().strip())
    match = wait_until(ready, 20, "the ready line")
    agents_ep, _, control_ep = match.groups()
    assert agents_ep.startswith("tcp://0.0.0.0:"), agents_ep
    client = CurveClient(ctx, control_ep, keys["client"], keys["coord"])
    try:
        # its local agent connects through 127.0.0.1 and joins
        wait_until(lambda: client.ok("agents")["agents"] or None, 20, "the local agent")
    finally:
        client.close()
    assert stop_process(proc) == 0


def test_missing_certificate_is_a_startup_error(make_swarm, workdir, keys):
    os.rename(os.path.join(workdir, "coord_secret"), os.path.join(workdir, "moved"))
    swarm = make_swarm(secure_yaml(workdir, [echo_type(count=1)]), start=False)
    proc = subprocess.run([binary("ZSWARMD"), swarm.path], capture_output=True,
                          text=True, timeout=30 * SLOW, env=swarm.env)
    assert proc.returncode == 1, explain(proc)
    assert f"{workdir}/coord_secret" in proc.stderr, explain(proc)
    os.rename(os.path.join(workdir, "moved"), os.path.join(workdir, "coord_secret"))
    text = secure_yaml(workdir, [echo_type(count=1)]).replace(
        f"{workdir}/clients", f"{workdir}/no-such-dir")
    with open(swarm.path, "w") as f:
        f.write(text)
    proc = subprocess.run([binary("ZSWARMD"), swarm.path], capture_output=True,
                          text=True, timeout=30 * SLOW, env=swarm.env)
    assert proc.returncode == 1 and "no-such-dir" in proc.stderr, explain(proc)
