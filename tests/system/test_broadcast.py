# Agents on the events socket: zswarmctl broadcast reaches every agent, or the agents of
# one type only, through each agent's SUB socket, also under CURVE with a remote agent's
# own certificate; bad broadcasts are refused. Agents log what they hear ("agent 'ID':
# broadcast ..."), which is what these tests read.

import os

import pytest

from conftest import (CurveClient, agents_subscribed, echo_type, explain, heard_broadcast,
                      keygen, log_text, run_ctl, swarm_yaml, wait_until)


def ctl(swarm, *args, **kwargs):
    return run_ctl("-e", swarm.control_ep, *args, **kwargs)


def test_broadcast_to_all_and_to_one_type(make_swarm):
    swarm = make_swarm(swarm_yaml("bc", [echo_type(count=1, type_="alpha"),
                                         echo_type(count=2, type_="beta")]))
    swarm.wait_agents(3)
    log = swarm.log_path
    agents_subscribed(swarm, log, ["alpha-1", "beta-1", "beta-2"])
    proc = ctl(swarm, "broadcast", "--type", "alpha", "only for alpha")
    assert proc.returncode == 0, explain(proc)
    assert proc.stdout == "broadcast to 1 agent\n", explain(proc)
    # stdin, to all: once the beta agents heard it, they had every earlier event
    proc = ctl(swarm, "--json", "broadcast", "-", input_="to\tall\n")
    assert proc.returncode == 0, explain(proc)
    assert '"t":"broadcast.ok"' in proc.stdout and '"count":3' in proc.stdout, explain(
        proc)
    for agent in ("alpha-1", "beta-1", "beta-2"):
        wait_until(lambda: heard_broadcast(log, agent, "to\\x09all\\x0a"), 10,
                   f"{agent} to hear it")
    wait_until(lambda: heard_broadcast(log, "alpha-1", "only for alpha"), 10,
               "alpha to hear it")
    assert not heard_broadcast(log, "beta-1", "only for alpha"), log_text(log)[-3000:]
    assert not heard_broadcast(log, "beta-2", "only for alpha"), log_text(log)[-3000:]
    # the event itself, as a client subscriber sees it
    sub = swarm.subscribe()
    swarm.control.ok("broadcast", payload=b"evt", atype="beta")
    event = sub.wait_for(lambda m: m["t"] == "agent.broadcast", 10, "agent.broadcast")
    assert event["payload"] == b"evt" and event["atype"] == "beta", event
    assert event["aseq"] >= 1 and event["seq"] >= event["aseq"], event


def test_bad_broadcasts(make_swarm):
    swarm = make_swarm(swarm_yaml("bcbad", [echo_type(count=1)]))
    control = swarm.control
    too_big = control.error("broadcast", 7, payload=b"x" * (64 * 1024 + 1))
    assert "payload must be 1-65536 bytes" in too_big["why"], too_big
    empty = control.error("broadcast", 7, payload=b"")
    assert "payload" in empty["why"], empty
    control.error("broadcast", 7, payload=b"x", atype="no spaces")
    control.error("broadcast", 1)  # payload is required
    # the largest is taken, to nobody of that type
    ok = control.ok("broadcast", payload=b"y" * (64 * 1024), atype="nobody")
    assert ok["count"] == 0, ok
    proc = ctl(swarm, "broadcast", "--type", "bad type", "x")
    assert proc.returncode == 2, explain(proc)
    for args, input_ in ((["broadcast"], None), (["broadcast", ""], None),
                         (["broadcast", "-"], "")):
        proc = ctl(swarm, *args, input_=input_)
        assert proc.returncode == 2, explain(proc)
    proc = ctl(swarm, "broadcast", "-", input_="x" * (64 * 1024 + 1))
    assert proc.returncode == 1 and "payload must be" in proc.stderr, explain(proc)


@pytest.fixture
def keys(workdir):
    for sub in ("agents", "clients"):
        os.mkdir(os.path.join(workdir, sub))
    names = {"coord": "coord", "agent": "agents/worker", "client": "clients/alice"}
    return {k: keygen(os.path.join(workdir, v)) for k, v in names.items()}


def test_broadcast_under_curve(make_swarm, ctx, workdir, keys, start_agent):
    # Local agents use the certificate zswarmd makes them, a remote one its own; both
    # subscribe at the welcome's events endpoint with it (zs_listen_resolve's unit test
    # covers a wildcard bind there)
    text = swarm_yaml("bcsec", [echo_type(count=1, type_="loc"),
                                "{type: far, count: 0, capabilities: [noop]}"])
    security = (f"security: {{cert: \"{workdir}/coord_secret\", "
                f"agents: \"{workdir}/agents\", clients: \"{workdir}/clients\"}}\n")
    swarm = make_swarm(text.replace("agents:\n", security + "agents:\n", 1))
    swarm._control = CurveClient(ctx, swarm.control_ep, keys["client"], keys["coord"])
    swarm.sockets.append(swarm._control)
    remote_log = os.path.join(workdir, "agent-0.stderr")
    start_agent(swarm.agents_ep, "far", agent_id="far-1",
                extra=["--cert", keys["agent"] + "_secret", "--server-key",
                       keys["coord"]])
    swarm.wait_agents(2)
    creds = ("--cert", keys["client"] + "_secret", "--server-key", keys["coord"])
    agents_subscribed(swarm, swarm.log_path, ["loc-1"])
    agents_subscribed(swarm, remote_log, ["far-1"])
    proc = ctl(swarm, *creds, "broadcast", "--type", "far", "secret words")
    assert proc.returncode == 0 and proc.stdout == "broadcast to 1 agent\n", explain(proc)
    wait_until(lambda: heard_broadcast(remote_log, "far-1", "secret words"), 10,
               "far-1 to hear it")
    assert not heard_broadcast(swarm.log_path, "loc-1", "secret words")
