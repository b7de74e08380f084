# Node daemons (zswarm-node) against a real zswarmd, on loopback: placement from the
# swarm file, scale --node, supervision by the node, its stop, a coordinator restart,
# and the node events. The same over separate network namespaces (and CURVE) is in
# test_netns.py.

import os
import signal
import subprocess

import pytest

from conftest import (E_INVALID, E_LIMIT, binary, fixed_bind, is_alive,
                      proc_stat, run_ctl, spawn, stop_process, swarm_yaml, wait_until)


def node_type(nodes, count=0, type_="work"):
    """A builtin type placed on nodes ({name: count}), with count local agents."""
    placed = ", ".join(f"{name}: {n}" for name, n in nodes.items())
    return (f"{{type: {type_}, count: {count}, handler: builtin, "
            f"capabilities: [echo, noop, sleep, fail], concurrency: 2, "
            f"nodes: {{{placed}}}}}")


@pytest.fixture
def start_node(workdir):
    """Factory: start_node(connect, name, slots) -> Popen of zswarm-node, after its
    ready line; its log is workdir/node-NAME.stderr. Stopped when the test ends."""
    nodes = []

    def start(connect, name, slots=4, wait_ready=True):
        out_path = os.path.join(workdir, f"node-{name}.stdout")
        err_path = os.path.join(workdir, f"node-{name}.stderr")
        with open(out_path, "ab") as out, open(err_path, "ab") as err:
            proc = spawn([binary("ZSWARM_NODE"), "--connect", connect, "--name", name,
                          "--slots", str(slots)],
                         stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                         env=dict(os.environ, ZSWARM_AGENT=binary("ZSWARM_AGENT")))
        proc.log_path = err_path
        nodes.append(proc)
        if wait_ready:
            def ready():
                assert proc.poll() is None, f"zswarm-node exited with {proc.returncode}"
                with open(out_path, "rb") as f:
                    return b"zswarm-node ready" in f.read()
            wait_until(ready, 10, "zswarm-node's ready line")
        return proc

    yield start
    for proc in nodes:
        stop_process(proc, signal.SIGTERM, 10)


def read(path):
    with open(path, "rb") as f:
        return f.read().decode(errors="replace")


def node_agents(swarm, node):
    """{agent id: record} of the registered agents whose ids the node gives."""
    return {a["agent"]: a for a in swarm.agents() if a["agent"].startswith(node + ".")}


def wait_node_agents(swarm, node, ids, seconds=20):
    """Wait until exactly ids (a set) of the node's agents are registered; returns
    their records."""
    found = {}

    def exactly():
        found.clear()
        found.update(node_agents(swarm, node))
        return set(found) == ids
    wait_until(exactly, seconds, f"agents {sorted(ids)} of node {node}", interval=0.05)
    return found


def children_of(pid):
    """Live child pids of a process."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = proc_stat(int(entry))
            if st and st[1] == pid and st[0] not in ("Z", "X", "x"):
                found.append(int(entry))
    return found


# ---------------------------------------------------------------------------------------

def test_node_runs_placed_agents_and_scales(make_swarm, start_node):
    swarm = make_swarm(swarm_yaml("placed", [node_type({"n1": 2})]))
    node = start_node(swarm.agents_ep, "n1", slots=4)
    agents = wait_node_agents(swarm, "n1", {"n1.work-1", "n1.work-2"})
    for record in agents.values():
        assert record["atype"] == "work" and not record.get("local"), record
        assert record["host"] == os.uname().nodename, record
        # started and supervised by the node, not by zswarmd
        assert proc_stat(record["pid"])[1] == node.pid, record
    client = swarm.client()
    ran_on = {client.run("echo", f"x{i}")["agent"] for i in range(8)}
    assert ran_on <= {"n1.work-1", "n1.work-2"}, ran_on

    reply = client.ok("scale", atype="work", count=3, node="n1")
    assert (reply["atype"], reply["count"], reply["node"]) == ("work", 3, "n1"), reply
    wait_node_agents(swarm, "n1", {"n1.work-1", "n1.work-2", "n1.work-3"})

    ctl = run_ctl("-e", swarm.control_ep, "scale", "work", "1", "--node", "n1")
    assert ctl.returncode == 0, f"{ctl.returncode} {ctl.stderr!r}"
    assert ctl.stdout == "agent type 'work' scaled to 1 agents on node 'n1'\n", ctl.stdout
    wait_node_agents(swarm, "n1", {"n1.work-1"})
    wait_until(lambda: len(children_of(node.pid)) == 1, 10, "the node to reap two agents")

    # Refusals: more than the node's slots, a node that never joined, a type the
    # file does not declare; zswarmctl says why and exits 1
    error = client.error("scale", E_LIMIT, atype="work", count=5, node="n1")
    assert "node 'n1' has 4 slots; that would make 5 agents" in error["why"], error
    client.error("scale", E_INVALID, atype="work", count=1, node="ghost")
    client.error("scale", E_INVALID, atype="ghost", count=1, node="n1")
    ctl = run_ctl("-e", swarm.control_ep, "scale", "work", "9", "--node", "n1")
    assert ctl.returncode == 1 and "4 slots" in ctl.stderr, f"{ctl.returncode} {ctl.stderr!r}"
    assert set(node_agents(swarm, "n1")) == {"n1.work-1"}
    assert "control: 'scale' by '' of 'work' on node 'n1'" in swarm.log_tail(200)

    client.ok("scale", atype="work", count=0, node="n1")
    wait_node_agents(swarm, "n1", set())
    wait_until(lambda: not children_of(node.pid), 10, "the node to run no agent")


def test_node_restarts_an_agent_that_dies(make_swarm, start_node):
    swarm = make_swarm(swarm_yaml("sup", [node_type({"n1": 1})]))
    start_node(swarm.agents_ep, "n1")
    (before,) = wait_node_agents(swarm, "n1", {"n1.work-1"}).values()
    os.kill(before["pid"], signal.SIGKILL)

    def replaced():
        record = node_agents(swarm, "n1").get("n1.work-1")
        return record if record and record["pid"] != before["pid"] else None
    after = wait_until(replaced, 20, "n1.work-1 to come back with a new process")
    assert is_alive(after["pid"]) and not is_alive(before["pid"])
    assert swarm.client().run("echo", "again")["agent"] == "n1.work-1"


def test_node_stops_its_agents_and_leaves(make_swarm, start_node):
    swarm = make_swarm(swarm_yaml("leave", [node_type({"n1": 3})]))
    events = swarm.subscribe()
    node = start_node(swarm.agents_ep, "n1", slots=3)
    joined = events.wait_for(lambda m: m["t"] == "node.joined", 10, "node.joined")
    assert (joined["node"], joined["slots"], joined["pid"]) == ("n1", 3, node.pid), joined
    agents = wait_node_agents(swarm, "n1", {"n1.work-1", "n1.work-2", "n1.work-3"})
    pids = [a["pid"] for a in agents.values()]

    assert stop_process(node, signal.SIGTERM, 15) == 0, read(node.log_path)[-2000:]
    assert not [p for p in pids if is_alive(p)], "the node left agents running"
    left = events.wait_for(lambda m: m["t"] == "node.left", 10, "node.left")
    assert left["node"] == "n1", left
    wait_node_agents(swarm, "n1", set())
    assert "node 'n1' left" in swarm.log_tail(200)


def test_node_with_too_few_slots_is_refused(make_swarm, start_node):
    swarm = make_swarm(swarm_yaml("small", [node_type({"n1": 2}),
                                            node_type({"n1": 2}, type_="more")]))
    node = start_node(swarm.agents_ep, "n1", slots=3, wait_ready=False)
    why = "node 'n1' has 3 slots; the swarm places 4 agents on it"
    wait_until(lambda: why in read(node.log_path), 10, "the refusal in the node's log")
    assert node.poll() is None, "a refused node keeps trying"
    assert not node_agents(swarm, "n1") and not children_of(node.pid)


def test_node_keeps_its_agents_across_a_coordinator_restart(make_swarm, start_node):
    swarm = make_swarm(swarm_yaml("restart", [node_type({"n1": 2})], bind=fixed_bind()))
    node = start_node(swarm.agents_ep, "n1")
    agents = wait_node_agents(swarm, "n1", {"n1.work-1", "n1.work-2"})
    pids = {a["agent"]: a["pid"] for a in agents.values()}
    # A scale that the restart forgets: the node is told the file's count again
    swarm.client().ok("scale", atype="work", count=3, node="n1")
    wait_node_agents(swarm, "n1", {"n1.work-1", "n1.work-2", "n1.work-3"})

    swarm.kill()
    swarm.restart()
    agents = wait_node_agents(swarm, "n1", {"n1.work-1", "n1.work-2"}, seconds=30)
    assert {a["agent"]: a["pid"] for a in agents.values()} == pids, (
        "the node's agents should have carried on, not restarted")
    wait_until(lambda: len(children_of(node.pid)) == 2, 10, "the node back at 2 agents")
    assert swarm.client().run("echo", "after")["agent"] in pids
    # zswarmd's log is appended across the restart: the node joined both runs
    assert read(swarm.log_path).count("node 'n1' joined from") == 2, swarm.log_tail(60)
