# Who may register an agent id, and what reaches the log (issue 12): a local agent's id
# only with the secret zswarmd gave its process, never with its public pid; under CURVE
# an id (and a node name) only from the key that owns it, first come or bound in the
# swarm file; without CURVE a takeover is allowed but says from where; wire text in the
# log escaped; task types held to the name rule; bad frames logged without their bytes.

import os
import re
import signal

import pytest
import zmq
import zmq.auth

from conftest import (E_FORBIDDEN, E_INVALID, E_MALFORMED, SLOW, VERSION, CurveClient,
                      echo_type, keygen, pack, run_ctl, stop_process, swarm_yaml, unpack,
                      wait_until)

REMOTE = "{type: remote, count: 0, capabilities: [noop]}"
SECRET_RE = re.compile(rb"ZSWARM_AGENT_SECRET=[0-9a-f]{64}")


def dealer(swarm, cert=None, server=None, source=None):
    """A DEALER on the agents socket: plain, or a CURVE client with cert (a secret
    certificate's base path), connecting from source (a loopback address) if given."""
    sock = swarm.ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    if cert:
        public, secret = zmq.auth.load_certificate(cert + "_secret")
        server_public, _ = zmq.auth.load_certificate(server)
        sock.curve_publickey, sock.curve_secretkey = public, secret
        sock.curve_serverkey = server_public
    endpoint = swarm.agents_ep
    if source:
        endpoint = endpoint.replace("tcp://", f"tcp://{source}:0;", 1)
    sock.connect(endpoint)
    swarm.sockets.append(sock)
    return sock


def say(sock, t, **fields):
    """Send one message and return the first answer that is not a heartbeat."""
    sock.send(pack({"v": VERSION, "t": t, **fields}))
    while True:
        assert sock.poll(int(10000 * SLOW), zmq.POLLIN), f"no answer to {t}"
        reply = unpack(sock.recv(), f"answer to {t}")
        if reply["t"] != "heartbeat":
            return reply


def refused(reply, code=E_FORBIDDEN):
    assert reply["t"] == "error" and reply["code"] == code, f"{reply!r}"
    return reply["why"]


def log_text(swarm):
    with open(swarm.log_path, "rb") as f:
        return f.read()


def wait_log(swarm, needle, what):
    return wait_until(lambda: needle in log_text(swarm) or None, 10, what)


def agent_record(swarm, agent_id):
    found = [a for a in swarm.agents() if a["agent"] == agent_id]
    return found[0] if found else None


# ---------------------------------------------------------------------------------------
# Local agents: the secret of their slot

def test_a_local_agents_id_needs_the_secret_of_its_process(make_swarm):
    """`agents` publishes every local agent's pid: a hello with that id and that pid (or
    a made-up secret) is refused, and the local agent keeps its place and its tasks."""
    swarm = make_swarm(swarm_yaml("local", [echo_type(count=1)]))
    (local,) = swarm.wait_agents(1)
    assert local["local"] is True and local["agent"] == "echo-1", f"{local!r}"
    tries = [
        {"pid": local["pid"], "host": local.get("host", "")},
        {"pid": local["pid"], "secret": "0" * 64},
        {"pid": local["pid"], "secret": "not-hex"},
    ]
    for extra in tries:
        why = refused(say(dealer(swarm), "hello", atype="echo", agent="echo-1", **extra))
        assert "local agent" in why, why
    still = agent_record(swarm, "echo-1")
    assert still and still["pid"] == local["pid"] and still["local"], f"{still!r}"
    result = swarm.client().run("echo", b"mine")
    assert result["state"] == "completed" and result["agent"] == "echo-1", f"{result!r}"
    wait_log(swarm, b"refused hello as agent 'echo-1'", "the refusal in the log")


def test_a_stopped_local_slot_keeps_its_id(make_swarm):
    """A slot stopped on command runs nothing, yet its id stays the coordinator's."""
    swarm = make_swarm(swarm_yaml("stopped", [echo_type(count=1)]))
    swarm.wait_agents(1)
    swarm.control.ok("stop", agent="echo-1")
    wait_until(lambda: agent_record(swarm, "echo-1") is None, 10, "echo-1 to leave")
    refused(say(dealer(swarm), "hello", atype="echo", agent="echo-1"))
    assert agent_record(swarm, "echo-1") is None


def test_tasks_never_see_the_secret(make_swarm):
    """The agent takes the secret out of its environment first: no task inherits it,
    and the agent's /proc/PID/environ shows it no more."""
    exec_type = ("{type: env, count: 1, handler: exec, "
                 "command: [/bin/sh, -c, 'env; echo done']}")
    swarm = make_swarm(swarm_yaml("env", [exec_type]))
    (agent,) = swarm.wait_agents(1)
    result = swarm.client().run("env", b"")
    assert result["state"] == "completed", f"{result!r}"
    out = result["stdout"]
    assert out.endswith(b"done\n") and b"ZSWARM_AGENT_SECRET" not in out, out
    with open(f"/proc/{agent['pid']}/environ", "rb") as f:
        environ = f.read()
    assert not SECRET_RE.search(environ), "the agent's environ still shows its secret"
    with open(f"/proc/{agent['pid']}/cmdline", "rb") as f:
        assert b"SECRET" not in f.read().upper()


# ---------------------------------------------------------------------------------------
# CURVE: ids and node names belong to keys

@pytest.fixture
def curve(workdir):
    """A coordinator key, two agent keys (alice and bob) and a control client's."""
    for sub in ("agents", "clients"):
        os.mkdir(os.path.join(workdir, sub))
    keys = {"coord": keygen(os.path.join(workdir, "coord")),
            "ctl": keygen(os.path.join(workdir, "clients", "ctl"))}
    for name in ("alice", "bob"):
        keys[name] = keygen(os.path.join(workdir, "agents", name))
    return keys


def curve_swarm(make_swarm, workdir, curve, agents, ids=""):
    """A started CURVE swarm whose harness client speaks CURVE too."""
    text = swarm_yaml("keys", agents)
    security = (f"security:\n  cert: \"{workdir}/coord_secret\"\n"
                f"  agents: \"{workdir}/agents\"\n  clients: \"{workdir}/clients\"\n"
                f"{ids}")
    swarm = make_swarm(text.replace("agents:\n", security + "agents:\n", 1))
    swarm._control = CurveClient(swarm.ctx, swarm.control_ep, curve["ctl"],
                                 curve["coord"])
    swarm.sockets.append(swarm._control)
    return swarm


def test_an_id_belongs_to_the_key_that_registered_it(make_swarm, workdir, curve,
                                                     start_agent):
    swarm = curve_swarm(make_swarm, workdir, curve, [REMOTE])
    alice = start_agent(swarm.agents_ep, "remote", agent_id="w-1",
                        extra=["--cert", curve["alice"] + "_secret", "--server-key",
                               curve["coord"]])
    swarm.wait_agents(1, atype="remote")

    why = refused(say(dealer(swarm, curve["bob"], curve["coord"]), "hello",
                      atype="remote", agent="w-1"))
    assert "another key" in why and "alice" not in why, why
    assert agent_record(swarm, "w-1"), "bob's hello took w-1 from alice"
    result = swarm.control.run("noop", b"")
    assert result["state"] == "completed" and result["agent"] == "w-1", f"{result!r}"
    wait_log(swarm, b"(key 'bob'): the id belongs to key 'alice'", "the refusal logged")

    # Gone, the id is still alice's; alice herself may come back on a new connection
    # before the old session expired (a takeover by the owner)
    stop_process(alice, signal.SIGKILL)
    refused(say(dealer(swarm, curve["bob"], curve["coord"]), "hello", atype="remote",
                agent="w-1"))
    welcome = say(dealer(swarm, curve["alice"], curve["coord"]), "hello", atype="remote",
                  agent="w-1")
    assert welcome["t"] == "welcome" and welcome["agent"] == "w-1", f"{welcome!r}"
    wait_log(swarm, b"agent 'w-1' left: taken over by a new connection from '127.0.0.1'",
             "the takeover in the log")
    # bob's own id is bob's
    assert say(dealer(swarm, curve["bob"], curve["coord"]), "hello", atype="remote",
               agent="b-1")["t"] == "welcome"
    refused(say(dealer(swarm, curve["alice"], curve["coord"]), "hello", atype="remote",
                agent="b-1"))


def test_the_swarm_file_binds_ids_and_prefixes(make_swarm, workdir, curve):
    ids = "  ids:\n    bob: [gpu-1, 'edge1.*']\n"
    swarm = curve_swarm(make_swarm, workdir, curve, [REMOTE], ids=ids)
    for agent_id in ("gpu-1", "edge1.remote-3"):
        refused(say(dealer(swarm, curve["alice"], curve["coord"]), "hello",
                    atype="remote", agent=agent_id))
        welcome = say(dealer(swarm, curve["bob"], curve["coord"]), "hello",
                      atype="remote", agent=agent_id)
        assert welcome["t"] == "welcome", f"{welcome!r}"
    assert say(dealer(swarm, curve["alice"], curve["coord"]), "hello", atype="remote",
               agent="gpu-2")["t"] == "welcome"


def test_a_node_name_belongs_to_its_key(make_swarm, workdir, curve):
    swarm = curve_swarm(make_swarm, workdir, curve, [REMOTE])
    hello = {"node": "n1", "slots": 4}
    assert say(dealer(swarm, curve["alice"], curve["coord"]), "node.hello",
               **hello)["t"] == "node.welcome"
    why = refused(say(dealer(swarm, curve["bob"], curve["coord"]), "node.hello", **hello))
    assert "another key" in why, why


# ---------------------------------------------------------------------------------------
# Without CURVE: a takeover is allowed, and says from where

def test_a_takeover_from_elsewhere_is_visible(make_swarm, start_agent):
    swarm = make_swarm(swarm_yaml("open", [REMOTE]))
    start_agent(swarm.agents_ep, "remote", agent_id="r-1")
    swarm.wait_agents(1, atype="remote")
    sub = swarm.subscribe()
    welcome = say(dealer(swarm, source="127.0.0.2"), "hello", atype="remote", agent="r-1")
    assert welcome["t"] == "welcome", f"{welcome!r}"
    left = sub.wait_for(lambda m: m["t"] == "agent.left" and m["agent"] == "r-1", 10,
                        "agent.left of r-1")
    assert "from '127.0.0.2' (was '127.0.0.1')" in left["why"], f"{left!r}"
    joined = sub.wait_for(lambda m: m["t"] == "agent.joined" and m["agent"] == "r-1" and
                          m.get("addr") == "127.0.0.2", 10, "agent.joined from 127.0.0.2")
    assert joined["atype"] == "remote"
    wait_log(swarm, b"W: ", "a warning")
    line = [ln for ln in log_text(swarm).splitlines()
            if b"taken over" in ln and ln.split(b" ", 1)[0].endswith(b"W:")]
    assert line, log_text(swarm)[-2000:]


# ---------------------------------------------------------------------------------------
# The log: escaped wire text, no payload bytes

def test_wire_text_in_the_log_is_escaped(make_swarm):
    swarm = make_swarm(swarm_yaml("inject", [REMOTE]))
    forged = "evil\n26-12-06 10:00:00 I: (zswarmd) forged line\x1b[31m"
    sock = dealer(swarm)
    assert say(sock, "hello", atype="remote", agent="x-1", host=forged)["t"] == "welcome"
    sock.send(pack({"v": VERSION, "t": "bye", "why": "gone\nI: forged bye\x07"}))
    node = dealer(swarm)
    assert say(node, "node.hello", node="n2", slots=1, host=forged)["t"] == "node.welcome"
    wait_log(swarm, b"agent 'x-1' left", "x-1's departure")
    wait_log(swarm, b"node 'n2' joined", "n2's arrival")
    log = log_text(swarm)
    assert b"evil\\x0a26-12-06" in log and b"\\x1b[31m" in log, log[-2000:]
    assert b"gone\\x0aI: forged bye\\x07" in log, log[-2000:]
    assert b"\x1b" not in log and b"\x07" not in log
    assert not [ln for ln in log.splitlines() if b"forged" in ln and
                not (b"evil\\x0a" in ln or b"gone\\x0a" in ln)], log[-2000:]


def test_bad_frames_are_logged_without_their_bytes(make_swarm):
    swarm = make_swarm(swarm_yaml("frames", [REMOTE]))
    marker = b"TOPSECRET-PAYLOAD-BYTES"
    control = swarm.ctx.socket(zmq.DEALER)
    control.setsockopt(zmq.LINGER, 0)
    control.connect(swarm.control_ep)
    swarm.sockets.append(control)
    bad = [
        pack({"v": VERSION, "t": "submit", "rid": 1, "ttype": "x", "payload": marker,
              "pri": 5000}),
        marker + b"\xc1 not msgpack",
        pack({"v": VERSION, "t": "submit", "rid": 2, "ttype": "x", "bogus": marker}),
    ]
    for frame in bad:
        control.send(frame)
        assert control.poll(int(10000 * SLOW), zmq.POLLIN)
        assert unpack(control.recv(), "error")["code"] in (E_MALFORMED, 2, 3)
    agent = dealer(swarm)
    agent.send(pack({"v": VERSION, "t": "task.result", "task": "t", "att": 1,
                     "status": "ok", "stdout": marker, "exit": "no"}))
    assert agent.poll(int(10000 * SLOW), zmq.POLLIN)
    wait_log(swarm, b"bad message on agents socket", "the agents socket's bad frame")
    log = log_text(swarm)
    assert marker not in log, log[-2000:]
    assert b"field 'pri'" in log and b"field 'exit'" in log, log[-2000:]
    assert b"unknown key 'bogus' for 'submit'" in log, log[-2000:]


# ---------------------------------------------------------------------------------------
# Task types

@pytest.mark.parametrize("fields", [
    {"ttype": "echo\n"}, {"ttype": "../x"}, {"ttype": "e;rm -rf /"},
    {"ttype": "echo", "items": [b"a"], "agg": "a b"},
    {"ttype": "echo", "requires": ["gpu", "x/y"]},
])
def test_task_types_follow_the_name_rule(make_swarm, fields):
    swarm = make_swarm(swarm_yaml("names", [echo_type(count=1)]))
    before = swarm.status().get("n_submitted", 0)
    error = swarm.control.error("submit", E_INVALID, **fields)
    assert "1-64 characters" in error["why"], f"{error!r}"
    assert swarm.status().get("n_submitted", 0) == before
    if fields["ttype"] == "echo":
        return
    proc = run_ctl("-e", swarm.control_ep, "submit", "--type", fields["ttype"],
                   "--payload", "x")
    assert proc.returncode != 0, proc
