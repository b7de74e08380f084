# Pause and resume: a paused agent, or the agents of a paused type (those that register
# later too), get no new task while their running ones go on; resume gives them tasks
# again. Agents learn it from agent.paused / agent.resumed on their events
# subscription, and an agent that missed those events (here: subscribed nowhere) finds
# the gap by aseq in the coordinator's heartbeats and asks agent.sync. Also submit's
# agent field (run on that agent only), the agent records (caps, tags, tier, paused,
# cpu, rss) and agents --capability, and the refusals.

import os
import subprocess

from conftest import (agents_subscribed, binary, echo_type, explain, fixed_bind,
                      gated_type, journal_conf, open_gate, run_ctl, swarm_yaml,
                      wait_until)


def ctl(swarm, *args, **kwargs):
    return run_ctl("-e", swarm.control_ep, *args, **kwargs)


def log_has(path, text):
    with open(path, errors="replace") as f:
        return text in f.read()


def record(swarm, agent):
    (found,) = [a for a in swarm.agents() if a["agent"] == agent]
    return found


def state(swarm, task):
    return swarm.control.ok("task", task=task)["state"]


def test_pause_stops_new_assignments_not_running_ones(make_swarm, workdir):
    swarm = make_swarm(swarm_yaml("pz", [gated_type("gate", count=1, concurrency=2)]))
    swarm.wait_agents(1)
    sub = swarm.subscribe()
    agents_subscribed(swarm, swarm.log_path, ["gate-1"])  # it hears the pause itself
    gates = [os.path.join(workdir, f"gate-{i}") for i in range(3)]
    first = swarm.control.submit("gate", gates[0])["task"]
    wait_until(lambda: state(swarm, first) == "running", 10, "the first task to run")
    proc = ctl(swarm, "pause", "--type", "gate")
    assert proc.returncode == 0 and proc.stdout == "paused 1 agent\n", explain(proc)
    event = sub.wait_for(lambda m: m["t"] == "agent.paused", 10, "agent.paused")
    assert event["atype"] == "gate" and "agent" not in event and event["aseq"] >= 1
    assert record(swarm, "gate-1")["paused"] is True
    # a free slot, but a paused agent: the second task waits
    second = swarm.control.submit("gate", gates[1])["task"]
    open_gate(gates[0])
    done = swarm.control.wait(first)
    assert done["state"] == "completed", done
    # the agent was free when the first ended: had it been given the second, it would
    # have been in the same turn of the loop
    assert state(swarm, second) == "ready"
    wait_until(lambda: log_has(swarm.log_path, "agent 'gate-1' paused (event)"), 10,
               "the agent to log its pause")
    # not the agent alone: its type's pause would take it again when it registers anew
    proc = ctl(swarm, "resume", "gate-1")
    assert proc.returncode == 1 and "type 'gate' is paused" in proc.stderr, explain(proc)
    proc = ctl(swarm, "resume", "--type", "gate")
    assert proc.returncode == 0 and proc.stdout == "resumed 1 agent\n", explain(proc)
    event = sub.wait_for(lambda m: m["t"] == "agent.resumed", 10, "agent.resumed")
    assert event["atype"] == "gate" and "agent" not in event, event
    open_gate(gates[1])
    assert swarm.control.wait(second)["state"] == "completed"
    assert "paused" not in record(swarm, "gate-1")  # false is absent on the wire
    wait_until(lambda: log_has(swarm.log_path, "agent 'gate-1' resumed (event)"), 10,
               "the agent to log its resume")


def test_paused_type_holds_for_agents_that_register_later(make_swarm, start_agent,
                                                          workdir):
    swarm = make_swarm(swarm_yaml("pl", ["{type: late, count: 0, capabilities: [noop]}"]))
    ok = swarm.control.ok("pause", atype="late")
    assert ok["count"] == 0, ok
    start_agent(swarm.agents_ep, "late", agent_id="late-1")
    swarm.wait_agents(1)
    assert record(swarm, "late-1")["paused"] is True
    task = swarm.control.submit("noop")["task"]
    log = os.path.join(workdir, "agent-0.stderr")
    wait_until(lambda: log_has(log, "agent 'late-1' paused (welcome)"), 10,
               "the agent to learn of its pause from its welcome")
    assert state(swarm, task) == "ready"
    # its type's pause would take it again at its next registration: resume the type
    refused = swarm.control.error("resume", 7, agent="late-1")
    assert "type 'late' is paused" in refused["why"], refused
    assert swarm.control.ok("resume", atype="late")["count"] == 1
    assert swarm.control.wait(task)["state"] == "completed"


def test_missed_pause_is_repaired_by_sync(make_swarm, start_agent, workdir):
    # An agent whose events connection goes nowhere misses every event addressed to
    # agents; the heartbeats' aseq shows the gap and agent.sync repairs its view
    swarm = make_swarm(swarm_yaml("pg", ["{type: deaf, count: 0, capabilities: [noop]}"]))
    start_agent(swarm.agents_ep, "deaf", agent_id="deaf-1",
                extra=["--events", "ipc://" + os.path.join(workdir, "nothing-here")])
    swarm.wait_agents(1)
    log = os.path.join(workdir, "agent-0.stderr")
    assert swarm.control.ok("pause", agent="deaf-1")["count"] == 1
    wait_until(lambda: log_has(log, "agent 'deaf-1' paused (sync)"), 20,
               "the agent to repair its view")
    assert log_has(log, "missed events addressed to agents")
    assert swarm.control.ok("resume", atype="deaf")["count"] == 1
    wait_until(lambda: log_has(log, "agent 'deaf-1' resumed (sync)"), 20,
               "the agent to learn of its resume")


def test_submit_to_one_agent(make_swarm):
    swarm = make_swarm(swarm_yaml("pa", [echo_type(count=2)]))
    swarm.wait_agents(2)
    for _ in range(4):
        done = swarm.control.run("noop", agent="echo-2")
        assert done["state"] == "completed" and done["agent"] == "echo-2", done
    # busy, paused or absent: it waits for that agent only
    swarm.control.ok("pause", agent="echo-2")
    waiting = swarm.control.submit("noop", agent="echo-2")["task"]
    for _ in range(3):  # echo-1 is free, and takes other tasks meanwhile
        assert swarm.control.run("noop")["agent"] == "echo-1"
    assert state(swarm, waiting) == "ready"
    swarm.control.ok("resume", agent="echo-2")
    done = swarm.control.wait(waiting)
    assert done["state"] == "completed" and done["agent"] == "echo-2", done
    ghost = swarm.control.submit("noop", agent="ghost-1")["task"]
    assert swarm.control.run("noop")["state"] == "completed"
    assert state(swarm, ghost) == "ready"
    swarm.control.ok("cancel", task=ghost)
    bad = swarm.control.error("submit", 7, ttype="noop", agent="no spaces")
    assert "agent" in bad["why"], bad
    proc = ctl(swarm, "submit", "--type", "noop", "--agent", "echo-1", "--wait")
    assert proc.returncode == 0, explain(proc)
    proc = ctl(swarm, "submit", "--type", "noop", "--agent", "a b")
    assert proc.returncode == 2, explain(proc)


def test_submit_to_one_agent_survives_a_restart(make_swarm, start_agent, workdir):
    # The target is part of the task's journal record: after a crash the task still
    # waits for that agent, whoever else is free
    text = swarm_yaml("pj", [echo_type(count=1)], bind=fixed_bind(),
                      journal=journal_conf(workdir, "pj"))
    swarm = make_swarm(text, name="pj")
    swarm.wait_agents(1)
    swarm.control.submit("noop", task="for-late", agent="late-1")
    swarm.kill()
    swarm.restart()
    swarm.wait_agents(1)
    assert swarm.control.run("noop")["agent"] == "echo-1"
    assert state(swarm, "for-late") == "ready"
    start_agent(swarm.agents_ep, "echo", agent_id="late-1")
    done = swarm.control.wait("for-late")
    assert done["state"] == "completed" and done["agent"] == "late-1", done


def test_bad_pauses(make_swarm):
    swarm = make_swarm(swarm_yaml("pb", [echo_type(count=1)]))
    swarm.wait_agents(1)
    control = swarm.control
    assert "no such agent" in control.error("pause", 7, agent="nobody")["why"]
    assert "exactly one" in control.error("pause", 7, agent="echo-1", atype="echo")["why"]
    assert "exactly one" in control.error("resume", 7)["why"]
    control.error("pause", 7, atype="bad type")
    control.error("resume", 7, agent="nobody")
    for args in (["pause"], ["pause", "echo-1", "--type", "echo"], ["resume", "a b"]):
        proc = ctl(swarm, *args)
        assert proc.returncode == 2, explain(proc)
    proc = ctl(swarm, "pause", "nobody")
    assert proc.returncode != 0 and "no such agent" in proc.stderr, explain(proc)
    # the agent was never paused by any of these
    assert "paused" not in record(swarm, "echo-1")


def test_agent_records_and_the_capability_filter(make_swarm, workdir):
    swarm = make_swarm(swarm_yaml("pr", [
        "{type: gpu, count: 1, handler: builtin, capabilities: [noop, render], "
        "tags: [cuda, big-mem], tier: gold}",
        echo_type(count=1)]))
    swarm.wait_agents(2)
    # the agents report their own use in their heartbeats
    agents = wait_until(lambda: all(a.get("rss") for a in swarm.agents()) and
                        swarm.agents(), 10, "the agents' resource use")
    (gpu,) = [a for a in agents if a["atype"] == "gpu"]
    assert gpu["caps"] == ["noop", "render"] and gpu["tags"] == ["cuda", "big-mem"], gpu
    assert gpu["tier"] == "gold" and gpu["rss"] > 1 << 20, gpu
    (echo,) = [a for a in agents if a["atype"] == "echo"]
    assert "tags" not in echo and "tier" not in echo, echo
    proc = ctl(swarm, "--json", "agents", "--capability", "render")
    assert proc.returncode == 0, explain(proc)
    assert '"agent":"gpu-1"' in proc.stdout and '"echo-1"' not in proc.stdout, explain(
        proc)
    proc = ctl(swarm, "agents", "--capability", "noop")
    assert proc.returncode == 0, explain(proc)
    lines = proc.stdout.splitlines()
    assert lines[0].split()[-2:] == ["CPU", "RSS"] and len(lines) == 3, explain(proc)
    proc = ctl(swarm, "agents", "--capability", "echo")  # a type is a capability too
    assert [line.split()[0] for line in proc.stdout.splitlines()[1:]] == ["echo-1"]
    proc = ctl(swarm, "agents", "--capability", "bad name")
    assert proc.returncode == 2, explain(proc)


def test_swarm_file_tags_and_tier_are_checked(workdir):
    for bad, message in (("tags: [ok, 'no spaces']", "tags"),
                         ("tier: 'a b'", "tier"),
                         ("tags: " + str([f"t{i}" for i in range(17)]).replace("'", ""),
                          "tags")):
        path = os.path.join(workdir, "bad.yaml")
        with open(path, "w") as f:
            f.write(swarm_yaml("bad", [f"{{type: t, count: 0, {bad}}}"]))
        proc = subprocess.run([binary("ZSWARMD"), "--check", path], capture_output=True,
                              text=True, timeout=30)
        assert proc.returncode == 2 and message in proc.stderr, explain(proc)
