# Registration at scale: every local agent a swarm file asks for registers under its
# slot's id, and the event stream announces each one exactly once.

import os
import stat
import time

from conftest import binary, deadline, is_alive, proc_stat, swarm_yaml

TYPES = {"alpha": 30, "beta": 20}  # 50 agents in all, two types to check per-type ids


def gated_agent(workdir):
    """An agent program that waits for a gate file, then execs the real agent (same
    pid). zswarmd spawns its agents before it prints its ready line, so without a gate
    their agent.joined events could be published before our SUB socket is connected."""
    gate = os.path.join(workdir, "gate")
    path = os.path.join(workdir, "gated-agent")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n"
                f"while [ ! -e '{gate}' ]; do sleep 0.01; done\n"
                f"exec '{binary('ZSWARM_AGENT')}' \"$@\"\n")
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path, gate


def test_fifty_agents_register_and_join(make_swarm, workdir):
    exe, gate = gated_agent(workdir)
    types = [f"{{type: {t}, count: {n}, handler: builtin, capabilities: [noop]}}"
             for t, n in TYPES.items()]
    swarm = make_swarm(swarm_yaml("fifty", types, hb=200, liveness=10),
                       env={"ZSWARM_AGENT": exe})
    sub = swarm.subscribe()
    open(gate, "w").close()

    expected = {f"{t}-{i}": t for t, n in TYPES.items() for i in range(1, n + 1)}
    records = swarm.wait_agents(len(expected), seconds=60)
    by_id = {r["agent"]: r for r in records}
    assert len(by_id) == len(records), f"agent ids repeat in agents.ok: {sorted(by_id)}"
    assert set(by_id) == set(expected), (
        f"agents.ok ids differ: missing {sorted(set(expected) - set(by_id))}, "
        f"unexpected {sorted(set(by_id) - set(expected))}")
    for agent, record in by_id.items():
        assert record["atype"] == expected[agent], f"wrong atype: {record!r}"
        assert record.get("local") is True, f"a spawned agent must be local: {record!r}"
        assert record.get("conc") == 1, f"conc should default to 1: {record!r}"
        assert record.get("state") == "idle", f"a new agent should be idle: {record!r}"
        pid = record.get("pid")
        assert pid and is_alive(pid), f"agent pid is not a live process: {record!r}"
        assert proc_stat(pid)[1] == swarm.pid, (
            f"agent {agent} pid {pid} is not a child of zswarmd {swarm.pid}")

    # agent.joined: one per agent, with the same pid agents.ok reports
    joined = {}
    until = deadline(30)
    while len(joined) < len(expected):
        assert swarm.alive(), f"zswarmd died:\n{swarm.log_tail()}"
        msg = sub.read(500)
        if msg is not None and msg["t"] == "agent.joined":
            assert msg["agent"] not in joined, f"agent.joined twice: {msg!r}"
            joined[msg["agent"]] = msg
        if len(joined) < len(expected):
            assert time.monotonic() < until, (
                f"agent.joined missing for {sorted(set(expected) - set(joined))}")
    for agent, msg in joined.items():
        assert agent in expected, f"agent.joined for an unknown agent: {msg!r}"
        assert msg["atype"] == expected[agent], f"agent.joined with wrong atype: {msg!r}"
        assert msg.get("local") is True, f"agent.joined without local: true: {msg!r}"
        assert msg.get("pid") == by_id[agent]["pid"], (
            f"agent.joined pid differs from agents.ok: {msg!r} vs {by_id[agent]!r}")
    assert not sub.gaps(), f"event seq gaps: {sub.gaps()}"

    status = swarm.status()
    assert status["n_agents"] == len(expected), f"status n_agents: {status!r}"
    lost = [m for m in sub.seen if m["t"] in ("agent.left", "agent.exited")]
    assert not lost, f"agents left or exited while registering: {lost!r}"
