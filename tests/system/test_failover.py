# An agent killed while it runs a task: the task goes back to ready with its attempt
# count raised and another agent completes it.

import os
import signal

from conftest import echo_type, is_alive, proc_stat, swarm_yaml, wait_until


def test_task_of_killed_agent_completes_elsewhere(swarm):
    records = swarm.wait_agents(2)
    pids = {r["agent"]: r["pid"] for r in records}
    client = swarm.client()
    rid = client.send("submit", ttype="sleep", payload=b"3000", task="slow-1", tries=3,
                      wait=True)
    assert client.reply(rid)["t"] == "submit.ok"

    def running():
        msg = client.ok("task", task="slow-1")
        return msg if msg["state"] == "running" and msg.get("agent") else None
    first = wait_until(running, 10, "task slow-1 to run", interval=0.02)
    assert first["att"] == 1, f"first attempt should be 1: {first!r}"
    victim = first["agent"]
    assert victim in pids, f"task runs on an agent agents.ok did not list: {first!r}"
    victim_pid = pids[victim]
    victim_start = proc_stat(victim_pid)[3]
    os.kill(victim_pid, signal.SIGKILL)

    done = client.reply(rid, seconds=30)
    assert done["t"] == "wait.ok", f"expected wait.ok, got {done!r}"
    assert done["state"] == "completed", f"task should complete on another agent: {done!r}"
    assert done["att"] == 2, f"the retry should be attempt 2: {done!r}"
    assert done.get("agent"), f"wait.ok names no agent: {done!r}"
    # A different process ran it: the other agent, or (if zswarmd restarted the victim
    # under its slot id first) a new process, never the one we killed
    now = {r["agent"]: r["pid"] for r in swarm.agents()}
    runner_pid = now.get(done["agent"])
    assert done["agent"] != victim or runner_pid != victim_pid, (
        f"attempt 2 ran on the killed agent {victim} (pid {victim_pid}): {done!r}")
    assert not is_alive(victim_pid, victim_start), f"pid {victim_pid} survived SIGKILL"

    record = client.ok("task", task="slow-1")
    assert record["state"] == "completed" and record["att"] == 2, (
        f"task record after failover: {record!r}")
    assert swarm.alive(), f"zswarmd died:\n{swarm.log_tail()}"


def test_killed_agent_is_restarted_under_its_id(make_swarm):
    swarm = make_swarm(swarm_yaml("restart", [echo_type(count=1, concurrency=1)]))
    (record,) = swarm.wait_agents(1)
    sub = swarm.subscribe()
    os.kill(record["pid"], signal.SIGKILL)

    exited = sub.wait_for(lambda m: m["t"] == "agent.exited", 10, "agent.exited")
    assert exited["agent"] == record["agent"] and exited["pid"] == record["pid"], (
        f"agent.exited should name the killed agent: {exited!r} vs {record!r}")

    def back():
        again = [a for a in swarm.agents() if a["agent"] == record["agent"]]
        return again if again and again[0]["pid"] != record["pid"] else None
    (again,) = wait_until(back, 20, f"{record['agent']} to come back with a new pid")
    assert again["local"] is True, f"restarted agent is not local: {again!r}"
    assert swarm.control.run("echo", "after restart")["stdout"] == b"after restart"
