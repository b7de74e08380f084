# Supervision of local agents: a dead agent's tasks run elsewhere at once (SIGCHLD, not
# liveness), restart policies (permanent, transient, temporary) and strategies
# (one-for-one, one-for-all, rest-for-one), giving up a type that restarts too often,
# and stopping one agent on request (zswarmctl stop, the 'stop' request).
#
# Agents that misbehave on purpose come from a wrapper script given to zswarmd as
# ZSWARM_AGENT: it execs the real zswarm-agent, except for the types the test names,
# which exit at once with a given status. So that a test sees every exit on its event
# subscription, those types wait for a gate file first, which the test creates once it
# is subscribed.

import os
import shlex
import signal
import time

import pytest

from conftest import (E_INVALID, SLOW, all_pids, binary, echo_type, is_alive, left_ms,
                      proc_stat, run_ctl, swarm_yaml, wait_until)

FAST_BACKOFF = [10, 50]  # ms: restarts are quick, so tests see many of them soon


def agent_type(type_, count=1, supervision=None):
    """A builtin type (runs echo, noop, sleep, fail) with its own supervision."""
    return echo_type(count=count, concurrency=1, type_=type_, supervision=supervision)


class Wrapper:
    """A stand-in for zswarm-agent: `exits` maps a type to the status its processes exit
    with, once the gate is open; other types run the real agent."""

    def __init__(self, workdir, exits):
        self.path = os.path.join(workdir, "agent-wrapper.sh")
        self.gate = os.path.join(workdir, "gate")
        cases = "".join(f"            {t}) {self._wait_gate()}; exit {code} ;;\n"
                        for t, code in exits.items())
        with open(self.path, "w") as f:
            f.write("#!/bin/sh\n"
                    "prev=\n"
                    "for arg in \"$@\"; do\n"
                    "    if [ \"$prev\" = --type ]; then\n"
                    "        case \"$arg\" in\n"
                    f"{cases}"
                    "        esac\n"
                    "    fi\n"
                    "    prev=$arg\n"
                    "done\n"
                    f"exec {shlex.quote(binary('ZSWARM_AGENT'))} \"$@\"\n")
        os.chmod(self.path, 0o755)
        self.env = {"ZSWARM_AGENT": self.path}

    def _wait_gate(self):
        return f"while [ ! -e {shlex.quote(self.gate)} ]; do sleep 0.01; done"

    def open(self):
        with open(self.gate, "w"):
            pass


def exits_of(sub, prefix):
    """agent.exited events seen so far for agents whose id starts with prefix."""
    return [m for m in sub.seen if m["t"] == "agent.exited" and m["agent"].startswith(prefix)]


def children_of_type(swarm, atype):
    """Live children of zswarmd started for type atype (by their --type argument)."""
    found = []
    for pid, _ in swarm.children():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if any(a == b"--type" and b == atype.encode() for a, b in zip(argv, argv[1:])):
            found.append(pid)
    return found


def zombies(swarm):
    """Children of zswarmd that ended and are not reaped yet: their agent.exited events
    are still to come."""
    return [pid for pid in all_pids()
            if (st := proc_stat(pid)) and st[1] == swarm.pid and st[0] == "Z"]


def drain(sub, client):
    """Read every event published so far: run a task and wait for its task.completed,
    which zswarmd publishes after them on the same socket."""
    task = client.run("echo", "drain")["task"]
    sub.wait_for(lambda m: m["t"] == "task.completed" and m["task"] == task, 10,
                 f"task.completed of {task}")


def watch(sub, seconds):
    """Read events for `seconds`: a window in which something must NOT happen."""
    until = time.monotonic() + seconds * SLOW
    while time.monotonic() < until:
        sub.read(max(1, left_ms(until)))


def pids_by_agent(swarm):
    return {r["agent"]: r["pid"] for r in swarm.agents()}


def kill_twice(sub, swarm, yardstick):
    """SIGKILL a local agent and wait until it is back, twice: a yardstick for "never
    restarted". Each restart waits min x 2^k ms of backoff_ms, k the slot's quick exits
    in a row, 20% either way (docs/swarm-file.md): the two take at least 0.8 + 1.6 =
    2.4 x min after the first kill, which comes after whatever is checked was stopped.
    Restarting that would have taken at most 1.2 x 2 x min (its slot's first quick
    exit): by the time the yardstick is back, it would be back too."""
    pid = pids_by_agent(swarm)[yardstick]
    for _ in range(2):
        os.kill(pid, signal.SIGKILL)
        pid = sub.wait_for(lambda m, old=pid: m["t"] == "agent.joined"
                           and m["agent"] == yardstick and m.get("pid") != old, 10,
                           f"{yardstick} to come back after SIGKILL")["pid"]


def test_local_agent_death_is_seen_at_once(make_swarm):
    """With liveness at 60 s, a retry within 20 s can only come from SIGCHLD."""
    hb = int(1000 * SLOW)
    swarm = make_swarm(swarm_yaml("sigchld", [echo_type(count=2, concurrency=1)],
                                  hb=hb, liveness=60))
    pids = {r["agent"]: r["pid"] for r in swarm.wait_agents(2)}
    sub = swarm.subscribe()
    client = swarm.client()
    rid = client.send("submit", ttype="sleep", payload=b"60000", task="sigchld-1", tries=3,
                      wait=True)
    assert client.reply(rid)["t"] == "submit.ok"
    running = sub.wait_for(lambda m: m["t"] == "task.running" and m["task"] == "sigchld-1",
                           10, "task.running of sigchld-1")
    os.kill(pids[running["agent"]], signal.SIGKILL)
    sub.wait_for(lambda m: m["t"] in ("task.assigned", "task.running")
                 and m["task"] == "sigchld-1" and m.get("att") == 2, 20,
                 "attempt 2 of sigchld-1 well before liveness (60 s) expires")
    client.ok("cancel", task="sigchld-1")


def test_flapping_type_is_given_up(make_swarm, workdir):
    wrapper = Wrapper(workdir, {"flappy": 1})
    flappy = {"max_restarts": 3, "within_s": 10, "backoff_ms": FAST_BACKOFF}
    swarm = make_swarm(swarm_yaml("flap", [agent_type("flappy", 2, flappy),
                                           echo_type(count=2)]), env=wrapper.env)
    swarm.wait_agents(2, atype="echo")
    sub = swarm.subscribe()
    wrapper.open()

    failed = sub.wait_for(lambda m: m["t"] == "agent.type_failed", 10 + 5,
                          "agent.type_failed for flappy")
    assert failed["atype"] == "flappy", f"the wrong type was given up: {failed!r}"
    assert isinstance(failed.get("why"), str) and failed["why"], f"no why: {failed!r}"
    wait_until(lambda: not children_of_type(swarm, "flappy") and not zombies(swarm), 10,
               "flappy processes to be gone (and reaped) once the type is given up")
    client = swarm.client()
    drain(sub, client)
    exits = len(exits_of(sub, "flappy-"))
    assert exits > flappy["max_restarts"], (
        f"flappy given up after {exits} exits, max_restarts is {flappy['max_restarts']}")

    # Given up means for good: no more flappy processes, while echo keeps working
    for i in range(10):
        assert client.run("echo", f"still here {i}")["stdout"] == f"still here {i}".encode()
    watch(sub, 0.5)  # 10 times the largest backoff
    assert len(exits_of(sub, "flappy-")) == exits, (
        f"flappy agents kept exiting after agent.type_failed: "
        f"{exits_of(sub, 'flappy-')[exits:]}")
    assert not children_of_type(swarm, "flappy"), "a flappy process was started again"
    assert not [a for a in swarm.agents() if a["atype"] == "flappy"]
    type_failed = [m for m in sub.seen if m["t"] == "agent.type_failed"]
    assert len(type_failed) == 1, f"expected one agent.type_failed: {type_failed!r}"
    assert len(swarm.agents()) == 2, f"echo agents: {swarm.agents()!r}"


def test_transient_restarts_only_failures(make_swarm, workdir):
    wrapper = Wrapper(workdir, {"calm": 0, "flappy": 1})
    transient = {"restart": "transient", "max_restarts": 100, "within_s": 10,
                 "backoff_ms": FAST_BACKOFF}
    swarm = make_swarm(swarm_yaml("transient", [agent_type("calm", 1, transient),
                                                agent_type("flappy", 1, transient)]),
                       env=wrapper.env)
    sub = swarm.subscribe()
    wrapper.open()

    # flappy-1 exits 1 and comes back; six of its exits take at least five backoffs,
    # in which calm-1, had it been restarted, would have exited again too
    sub.wait_for(lambda m: len(exits_of(sub, "flappy-1")) >= 6, 10,
                 "flappy-1 (exit 1, transient) to be restarted 5 times")
    assert all(m.get("exit") == 1 for m in exits_of(sub, "flappy-1")), (
        f"{exits_of(sub, 'flappy-1')!r}")
    watch(sub, 0.3)
    calm = exits_of(sub, "calm-1")
    assert len(calm) == 1, f"calm-1 exited 0 under transient, yet restarted: {calm!r}"
    assert calm[0].get("exit", 0) == 0, f"calm-1 should have exited 0: {calm!r}"
    assert not children_of_type(swarm, "calm"), "calm was started again"


def test_temporary_is_never_restarted(make_swarm, workdir):
    wrapper = Wrapper(workdir, {"flappy": 1})
    temporary = {"restart": "temporary"}
    swarm = make_swarm(swarm_yaml("temporary", [agent_type("temp", 1, temporary),
                                                agent_type("flappy", 1, temporary),
                                                agent_type("perm", 1)],
                                  supervision={"backoff_ms": FAST_BACKOFF}),
                       env=wrapper.env)
    swarm.wait_agents(1, atype="temp")
    swarm.wait_agents(1, atype="perm")
    before = pids_by_agent(swarm)
    sub = swarm.subscribe()
    wrapper.open()
    os.kill(before["temp-1"], signal.SIGKILL)
    os.kill(before["perm-1"], signal.SIGKILL)

    # perm-1 (permanent) is the yardstick: by the time it is back, and some backoffs
    # later, temp-1 would have been back too
    wait_until(lambda: pids_by_agent(swarm).get("perm-1") not in (None, before["perm-1"]),
               10, "perm-1 to be restarted")
    sub.wait_for(lambda m: exits_of(sub, "flappy-1"), 10, "flappy-1 to exit")
    watch(sub, 0.5)
    assert "temp-1" not in pids_by_agent(swarm), "temp-1 (temporary) was restarted"
    assert len(exits_of(sub, "temp-1")) == 1, f"{exits_of(sub, 'temp-1')!r}"
    assert len(exits_of(sub, "flappy-1")) == 1, (
        f"flappy-1 (temporary, exit 1) was restarted: {exits_of(sub, 'flappy-1')!r}")
    assert not children_of_type(swarm, "temp") and not children_of_type(swarm, "flappy")
    joined = [m for m in sub.seen if m["t"] == "agent.joined" and m["agent"] == "temp-1"]
    assert not joined, f"temp-1 joined again: {joined!r}"


@pytest.mark.parametrize("strategy, victim, restarted", [
    ("one-for-all", "group-2", {"group-1", "group-2", "group-3"}),
    ("rest-for-one", "group-2", {"group-2", "group-3"}),
    ("one-for-one", "group-2", {"group-2"}),
])
def test_restart_strategy(make_swarm, strategy, victim, restarted):
    group = {"strategy": strategy, "backoff_ms": FAST_BACKOFF}
    swarm = make_swarm(swarm_yaml(strategy, [agent_type("group", 3, group),
                                             agent_type("solo", 1)]))
    swarm.wait_agents(3, atype="group")
    swarm.wait_agents(1, atype="solo")
    before = pids_by_agent(swarm)
    assert set(before) == {"group-1", "group-2", "group-3", "solo-1"}, f"{before!r}"
    starts = {agent: proc_stat(pid)[3] for agent, pid in before.items()}
    os.kill(before[victim], signal.SIGKILL)

    def renewed():
        now = pids_by_agent(swarm)
        done = all(now.get(a) not in (None, before[a]) for a in restarted)
        return now if done and len(now) == 4 else None
    now = wait_until(renewed, 15, f"{sorted(restarted)} to come back with new pids")
    for agent in set(before) - restarted:
        assert now[agent] == before[agent], (
            f"{strategy}: killing {victim} restarted {agent} too: {before!r} -> {now!r}")
        assert is_alive(before[agent], starts[agent]), f"{agent} was killed"
    for agent in restarted:
        assert not is_alive(before[agent], starts[agent]), (
            f"{strategy}: the old {agent} (pid {before[agent]}) still runs")


def test_stop_agent(make_swarm):
    swarm = make_swarm(swarm_yaml("stop", [echo_type(count=3, concurrency=1)]))
    swarm.wait_agents(3)
    before = pids_by_agent(swarm)
    sub = swarm.subscribe()
    client = swarm.client()
    rid = client.send("submit", ttype="sleep", payload=b"1000", task="stopped-1", tries=3,
                      wait=True)
    assert client.reply(rid)["t"] == "submit.ok"
    running = sub.wait_for(lambda m: m["t"] == "task.running" and m["task"] == "stopped-1",
                           10, "task.running of stopped-1")
    victim = running["agent"]

    ctl = run_ctl("-e", swarm.control_ep, "stop", victim)
    assert ctl.returncode == 0, f"zswarmctl stop {victim}: {ctl.returncode} {ctl.stderr!r}"
    exited = sub.wait_for(lambda m: m["t"] == "agent.exited" and m["agent"] == victim, 10,
                          f"agent.exited of {victim}")
    assert exited["pid"] == before[victim], f"{exited!r} vs {before!r}"
    assert exited.get("exit", 0) == 0, f"SIGTERM should make the agent exit 0: {exited!r}"
    done = client.reply(rid, seconds=15)
    assert done["t"] == "wait.ok" and done["state"] == "completed", f"{done!r}"
    assert done["att"] == 2 and done["agent"] != victim, (
        f"the stopped agent's task should run again elsewhere: {done!r}")

    # Never restarted: not by the time another agent killed twice is back twice
    other, yardstick = sorted(set(before) - {victim})
    kill_twice(sub, swarm, yardstick)
    now = pids_by_agent(swarm)
    assert victim not in now, f"{victim} came back after stop: {now!r}"
    joined = [m for m in sub.seen if m["t"] == "agent.joined" and m["agent"] == victim]
    assert not joined, f"{victim} joined again after stop: {joined!r}"

    # The request itself: stop.ok names the agent
    reply = client.ok("stop", agent=other)
    assert reply["agent"] == other, f"{reply!r}"
    wait_until(lambda: other not in pids_by_agent(swarm), 10, f"{other} to leave")
    assert client.run("echo", "one left")["stdout"] == b"one left"


def test_stop_refuses_other_agents(make_swarm, start_agent):
    swarm = make_swarm(swarm_yaml("nostop", [echo_type(count=1)]))
    remote = start_agent(swarm.agents_ep, "echo", agent_id="remote-1")
    swarm.wait_agents(2)
    client = swarm.client()
    client.error("stop", E_INVALID, agent="no-such-agent")
    client.error("stop", E_INVALID, agent="remote-1")
    assert remote.poll() is None, "stop of a remote agent killed it"

    ctl = run_ctl("-e", swarm.control_ep, "stop", "no-such-agent")
    assert ctl.returncode == 1, f"zswarmctl stop of an unknown agent: {ctl.returncode}"
    assert "no such local agent" in ctl.stderr, f"stderr: {ctl.stderr!r}"
    assert {a["agent"] for a in swarm.agents()} == {"echo-1", "remote-1"}


def test_scale(make_swarm):
    swarm = make_swarm(swarm_yaml("scale", [echo_type(count=2, concurrency=1)]))
    swarm.wait_agents(2)
    sub = swarm.subscribe()
    client = swarm.client()

    # Up: new slots numbered after the last one
    reply = client.ok("scale", atype="echo", count=4)
    assert reply["atype"] == "echo" and reply["count"] == 4, f"{reply!r}"
    wait_until(lambda: sorted(pids_by_agent(swarm)) == ["echo-1", "echo-2", "echo-3",
                                                        "echo-4"],
               10, "four echo agents")

    # Down: the newest stop, and stay stopped
    ctl = run_ctl("-e", swarm.control_ep, "scale", "echo", "1")
    assert ctl.returncode == 0, f"zswarmctl scale: {ctl.returncode} {ctl.stderr!r}"
    wait_until(lambda: sorted(pids_by_agent(swarm)) == ["echo-1"], 10, "only echo-1 left")
    kill_twice(sub, swarm, "echo-1")
    assert sorted(pids_by_agent(swarm)) == ["echo-1"], "a stopped agent came back"
    joined = sorted(m["agent"] for m in sub.seen if m["t"] == "agent.joined")
    assert joined == ["echo-1", "echo-1", "echo-3", "echo-4"], f"agents joined: {joined}"
    assert client.run("echo", "still here")["stdout"] == b"still here"

    # Zero is a count, not an absent field; up again starts fresh slots
    assert client.ok("scale", atype="echo", count=0)["count"] == 0
    wait_until(lambda: not pids_by_agent(swarm), 10, "no echo agent")
    client.ok("scale", atype="echo", count=1)
    wait_until(lambda: sorted(pids_by_agent(swarm)) == ["echo-5"], 10, "echo-5")

    # Refusals: a type the file does not declare, a count out of range, bad usage
    client.error("scale", 7, atype="ghost", count=1)
    client.error("scale", 7, atype="echo", count=1001)
    assert run_ctl("-e", swarm.control_ep, "scale", "echo", "many").returncode == 2
