# Stopping a swarm: SIGTERM, SIGINT and a shutdown request each make zswarmd announce
# swarm.stopping, drain, stop and reap every agent it started, and exit 0.

import os
import signal

import pytest

from conftest import (E_SHUTTING_DOWN, SLOW, echo_type, gated_type, is_alive, open_gate,
                      proc_stat, run_ctl, swarm_yaml, wait_until)

AGENTS = 3


def agent_processes(swarm, count=AGENTS):
    """(pid, starttime) of each registered agent, checked to be zswarmd's children."""
    found = []
    for record in swarm.wait_agents(count):
        st = proc_stat(record["pid"])
        assert st and st[1] == swarm.pid, f"agent {record!r} is not a child of zswarmd"
        found.append((record["pid"], st[3]))
    return found


def assert_agents_gone(agents):
    for pid, start in agents:
        st = proc_stat(pid)
        if st is None or st[3] != start:
            continue  # gone (and maybe the pid reused): fine
        assert st[0] != "Z" or st[1] != os.getpid(), (
            f"agent {pid} was left a zombie: zswarmd exited without reaping it")
        assert not is_alive(pid, start), f"agent {pid} outlived zswarmd (state {st[0]})"


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "zswarmctl shutdown"])
def test_stop_leaves_nothing_behind(make_swarm, how):
    swarm = make_swarm(swarm_yaml("stop", [echo_type(count=AGENTS)]))
    agents = agent_processes(swarm)
    sub = swarm.subscribe()
    if how == "zswarmctl shutdown":
        ctl = run_ctl("-e", swarm.control_ep, "shutdown")
        assert ctl.returncode == 0, f"zswarmctl shutdown: {ctl.returncode} {ctl.stderr!r}"
        assert "shutting down" in ctl.stdout, f"zswarmctl shutdown said {ctl.stdout!r}"
    else:
        os.kill(swarm.pid, getattr(signal, how))

    stopping = sub.wait_for(lambda m: m["t"] == "swarm.stopping", 10, "swarm.stopping")
    assert stopping["name"] == "stop", f"{stopping!r}"
    try:
        code = swarm.proc.wait(timeout=15 * SLOW)
    except Exception:  # noqa: BLE001
        pytest.fail(f"zswarmd still running 15 s after {how}:\n{swarm.log_tail()}")
    assert code == 0, f"zswarmd exited {code} after {how}:\n{swarm.log_tail()}"
    assert_agents_gone(agents)


def test_drain_lets_running_tasks_finish_and_refuses_new_ones(make_swarm, workdir):
    swarm = make_swarm(swarm_yaml("drain", [echo_type(count=AGENTS), gated_type("gated")]))
    agents = agent_processes(swarm, AGENTS + 1)
    sub = swarm.subscribe()
    client = swarm.client()
    # It runs until the gate opens, once the refusal below is seen (zswarmd drains for
    # 5 s at most)
    gate = os.path.join(workdir, "gate")
    rid = client.send("submit", ttype="gated", payload=gate.encode(), task="drain-1",
                      wait=True)
    assert client.reply(rid)["t"] == "submit.ok"
    wait_until(lambda: client.ok("task", task="drain-1")["state"] == "running", 10,
               "drain-1 to run")

    swarm.proc.send_signal(signal.SIGTERM)
    sub.wait_for(lambda m: m["t"] == "swarm.stopping", 10, "swarm.stopping")
    client.error("submit", E_SHUTTING_DOWN, ttype="echo", payload=b"too late")
    open_gate(gate)
    done = client.reply(rid, seconds=15)
    assert done["t"] == "wait.ok" and done["state"] == "completed", (
        f"a task running at SIGTERM should finish while draining: {done!r}")
    assert swarm.proc.wait(timeout=15 * SLOW) == 0, f"exit status:\n{swarm.log_tail()}"
    assert_agents_gone(agents)
