# Regressions: one test per bug found in review and fixed, each asserting the correct
# behaviour, so that it fails on the code that had the bug.
#
#   1. cancel of a queued task with keep_results: 0 used the task after freeing it;
#   2. a graceful stop (SIGTERM) journalled running tasks as dead, so they never ran again;
#   3. a cancel freed the agent's slot on the coordinator before the agent had stopped
#      the attempt: the next task was refused "agent busy" and died;
#   4. after a restart from the journal, a remote agent still running the old attempt
#      refused the replayed one "agent busy" until the task ran out of tries;
#   5. an id evicted by age and submitted again came back from the journal as the old
#      result, and the second task was lost;
#   6. a bye 'why' of multi-byte UTF-8 was cut mid-character into the task's why, so no
#      reply or event about the task could be encoded any more.

import os
import signal

import pytest
import zmq

from conftest import (E_FORBIDDEN, E_INVALID, E_NO_TASK, SLOW, VERSION, echo_type,
                      fixed_bind, gated_type, journal_conf, open_gate, pack, swarm_yaml,
                      unpack, wait_until)

NOBODY = "{type: other, count: 0}"  # agents of a type no task asks for: tasks stay ready


def durable_swarm(make_swarm, workdir, agents, name, tasks=None):
    """A swarm on fixed free ports with a journal, so that it can be restarted."""
    text = swarm_yaml(name, agents, tasks=tasks, bind=fixed_bind(),
                      journal=journal_conf(workdir, name))
    return make_swarm(text, name=name)


def state_of(client, task):
    return client.ok("task", task=task)["state"]


def test_cancel_with_keep_results_0(make_swarm):
    """Normal use of cancel, with no result kept: the reply names the task and its
    final state, the waiter hears it, and zswarmd carries on."""
    swarm = make_swarm(swarm_yaml("keep0", [NOBODY], tasks={"keep_results": 0}))
    client = swarm.client()
    for i in range(3):
        task = f"k0-{i}"
        rid = client.send("submit", ttype="nobody", task=task, wait=True)
        assert client.reply(rid)["t"] == "submit.ok"
        assert state_of(client, task) == "ready"
        cancelled = client.ok("cancel", task=task)
        assert cancelled["task"] == task and cancelled["state"] == "cancelled", (
            f"cancel.ok of a queued task with keep_results: 0: {cancelled!r}")
        done = client.reply(rid)
        assert done["t"] == "wait.ok" and done["task"] == task, f"{done!r}"
        assert done["state"] == "cancelled", f"{done!r}"
        assert swarm.alive(), f"zswarmd died after a cancel:\n{swarm.log_tail()}"
    status = client.ok("status")
    assert status.get("n_cancelled") == 3, f"{status!r}"
    client.error("wait", E_NO_TASK, task="no-such-task")
    assert swarm.alive(), f"zswarmd died:\n{swarm.log_tail()}"


def test_graceful_stop_keeps_running_tasks_unfinished(make_swarm, workdir):
    """A task that a stop interrupts, with tries left, runs again at the next start."""
    swarm = durable_swarm(make_swarm, workdir, [gated_type("gated")], "graceful")
    swarm.wait_agents(1)
    sub = swarm.subscribe()
    client = swarm.client()
    # It runs until the gate opens, after the restart
    gate = os.path.join(workdir, "gate")
    ack = client.submit("gated", gate, task="long", tries=3)
    assert ack["task"] == "long", f"{ack!r}"
    wait_until(lambda: state_of(client, "long") == "running", 10, "'long' to run")

    swarm.proc.send_signal(signal.SIGTERM)
    sub.wait_for(lambda m: m["t"] == "swarm.stopping", 10, "swarm.stopping")
    swarm.proc.send_signal(signal.SIGTERM)  # a second signal skips the drain
    swarm.close_sockets()
    code = swarm.proc.wait(timeout=20 * SLOW)
    assert code == 0, f"zswarmd exited {code} after SIGTERM:\n{swarm.log_tail()}"

    swarm.restart()
    client = swarm.client()
    record = client.ok("task", task="long")
    assert record["state"] in ("ready", "running"), (
        f"a task running at a graceful stop, with tries left, should run again after "
        f"the restart: {record!r}")
    open_gate(gate)
    done = client.wait("long", seconds=30)
    assert done["state"] == "completed" and done.get("status") == "ok", f"{done!r}"


def test_cancel_then_next_task_on_a_busy_exec_agent(make_swarm):
    """One exec agent, one slot: cancel the running task A while B waits; B must run
    on the slot A held once the agent has stopped A, not be refused 'agent busy'."""
    one_slot = "{type: sh, count: 1, handler: exec, command: [/bin/sh], concurrency: 1}"
    swarm = make_swarm(swarm_yaml("busy", [one_slot]))
    swarm.wait_agents(1)
    client = swarm.client()
    for i in range(5):
        a, b = f"a-{i}", f"b-{i}"
        client.submit("sh", "sleep 30", task=a)
        wait_until(lambda: state_of(client, a) == "running", 10, f"{a} to run")
        rid = client.send("submit", ttype="sh", payload=f"echo {b}".encode(), task=b,
                          tries=1, wait=True)
        assert client.reply(rid)["t"] == "submit.ok"
        cancelled = client.ok("cancel", task=a)
        assert cancelled["state"] == "cancelled", f"{cancelled!r}"
        done = client.reply(rid, seconds=20)
        assert done["state"] == "completed" and done["stdout"] == f"{b}\n".encode(), (
            f"round {i}: the task queued behind a cancelled one should complete: {done!r}")


def test_replayed_task_waits_for_the_remote_agent(make_swarm, workdir, start_agent):
    """zswarmd killed while a remote agent (one slot) runs a task, then restarted from
    the journal: the agent still runs the old attempt and is busy; the replayed task
    must not burn its tries on that, and completes."""
    swarm = durable_swarm(
        make_swarm, workdir,
        ["{type: worker, count: 0, handler: builtin, capabilities: [sleep]}"], "replay")
    agent = start_agent(swarm.agents_ep, "worker", agent_id="remote-1", conc=1)
    swarm.wait_agents(1)
    client = swarm.client()
    client.submit("sleep", "3000", task="job", tries=3)
    wait_until(lambda: state_of(client, "job") == "running", 10, "'job' to run")

    swarm.kill()
    swarm.restart()
    client = swarm.client()
    done = client.wait("job", seconds=30)
    assert done["state"] == "completed" and done.get("status") == "ok", (
        f"the replayed task should complete on the agent once it is free: {done!r}")
    assert agent.poll() is None, "the remote agent exited"


def test_new_session_frees_the_slots_of_the_old_one(make_swarm, start_agent):
    """A remote agent (one slot) runs a long attempt when zswarmd is killed and restarted
    (no journal: nothing is replayed). Once welcomed again, the agent drops the old
    session's attempt, whose result would be dropped anyway, and takes new work at
    once, not after the old attempt's 30 s."""
    text = swarm_yaml("orphans",
                      ["{type: worker, count: 0, handler: builtin, "
                       "capabilities: [sleep, echo]}"], bind=fixed_bind())
    swarm = make_swarm(text, name="orphans")
    agent = start_agent(swarm.agents_ep, "worker", agent_id="remote-2", conc=1)
    swarm.wait_agents(1)
    client = swarm.client()
    client.submit("sleep", "30000", task="long", tries=1, tmo=60000)
    wait_until(lambda: state_of(client, "long") == "running", 10, "'long' to run")

    swarm.kill()
    swarm.restart()
    client = swarm.client()
    swarm.wait_agents(1)
    done = client.run("echo", "right away", seconds=10)
    assert done["state"] == "completed" and done["stdout"] == b"right away", f"{done!r}"
    assert agent.poll() is None, "the remote agent exited"


def test_evicted_id_resubmitted_survives_restart(make_swarm, workdir):
    """An id whose result was evicted by age is free: a new task may take it, and the
    journal must bring back that new task, not the old result."""
    swarm = durable_swarm(make_swarm, workdir, [echo_type(count=1)], "reuse",
                          tasks={"keep_results_s": 1})
    swarm.wait_agents(1)
    client = swarm.client()
    first = client.run("noop", task="x")
    assert first["state"] == "completed" and first["ttype"] == "noop", f"{first!r}"

    def evicted():
        msg = client.request("wait", task="x")
        if msg["t"] == "error":
            assert msg["code"] == E_NO_TASK, f"{msg!r}"
            return True
        assert msg["t"] == "wait.ok", f"{msg!r}"
        return False
    wait_until(evicted, 10, "the result of x to be evicted", interval=0.05)

    again = client.submit("sleep", "20000", task="x")
    assert not again.get("dup"), f"an evicted id is not a duplicate: {again!r}"
    record = client.ok("task", task="x")
    assert record["ttype"] == "sleep" and record["state"] in ("ready", "running"), (
        f"{record!r}")

    swarm.kill()
    swarm.restart()
    client = swarm.client()
    record = client.ok("task", task="x")
    assert record["ttype"] == "sleep" and record["state"] in ("ready", "running"), (
        f"after the restart, x should be the second task (sleep, unfinished), "
        f"not the evicted noop result: {record!r}")
    assert client.ok("cancel", task="x")["state"] == "cancelled"


# zswarmd puts the agent id before the bye's why and cuts the whole: ids whose lengths
# differ by one make the cut fall in the middle of a 2-byte character for one of them
@pytest.mark.parametrize("agent_id", ["utf8", "utf-8"])
def test_bye_with_long_multibyte_why(make_swarm, ctx, agent_id):
    """An agent leaves with a task and a 1 KiB why of 2-byte characters: the task's why
    is cut on a character boundary, so its wait.ok, task.ok and events still encode."""
    swarm = make_swarm(swarm_yaml("bye", ["{type: worker, count: 0}"]))
    sub = swarm.subscribe()
    agent = ctx.socket(zmq.DEALER)
    agent.setsockopt(zmq.LINGER, 0)
    agent.connect(swarm.agents_ep)
    swarm.sockets.append(agent)

    def agent_recv():
        """The next message to the agent that is not a heartbeat."""
        while True:
            assert agent.poll(int(10000 * SLOW), zmq.POLLIN), "agent: nothing in 10 s"
            msg = unpack(agent.recv(), "message to the agent")
            if msg["t"] != "heartbeat":
                return msg

    agent.send(pack({"v": VERSION, "t": "hello", "atype": "worker", "agent": agent_id,
                     "conc": 1, "host": "fakehost", "pid": os.getpid()}))
    welcome = agent_recv()
    assert welcome["t"] == "welcome", f"{welcome!r}"

    client = swarm.client()
    rid = client.send("submit", ttype="worker", task="t", tries=1, wait=True)
    assert client.reply(rid)["t"] == "submit.ok"
    assign = agent_recv()
    assert assign["t"] == "task.assign" and assign["task"] == "t", f"{assign!r}"
    agent.send(pack({"v": VERSION, "t": "bye", "why": "é" * 512}))

    # Client.reply decodes strictly: a why cut mid-character fails there
    done = client.reply(rid)
    assert done["t"] == "wait.ok" and done["task"] == "t", f"{done!r}"
    assert done["state"] == "dead", f"the agent left with the only try: {done!r}"
    why = done.get("why")
    assert isinstance(why, str) and why, f"wait.ok of a lost attempt has a why: {done!r}"
    record = client.ok("task", task="t")
    assert record["state"] == "dead" and record.get("why") == why, f"{record!r}"
    sub.wait_for(lambda m: m["t"] == "task.dead" and m.get("task") == "t", 10,
                 "task.dead for t")
    assert swarm.alive(), f"zswarmd died:\n{swarm.log_tail()}"


def test_a_local_agents_id_is_not_taken_over(make_swarm, ctx):
    """A process saying hello with the id of a running local agent (an orphan of a
    killed zswarmd, or an impostor) is refused; the local agent keeps its place. Once
    an orphan could replace the new agent, be replaced in turn, and so on, failing
    every attempt of the tasks given to that id in between (seen in test_chaos)."""
    swarm = make_swarm(swarm_yaml("impostor", [echo_type(count=1)]))
    (local,) = swarm.wait_agents(1)
    agent = ctx.socket(zmq.DEALER)
    agent.setsockopt(zmq.LINGER, 0)
    agent.connect(swarm.agents_ep)
    swarm.sockets.append(agent)
    agent.send(pack({"v": VERSION, "t": "hello", "atype": "echo", "agent": "echo-1",
                     "pid": os.getpid()}))
    assert agent.poll(int(10000 * SLOW), zmq.POLLIN), "no answer to the hello"
    reply = unpack(agent.recv(), "answer to the hello")
    assert reply["t"] == "error" and reply["code"] == E_FORBIDDEN, f"{reply!r}"
    (still,) = swarm.agents()
    assert still["agent"] == "echo-1" and still["pid"] == local["pid"], f"{still!r}"
    assert swarm.client().run("echo", "mine")["agent"] == "echo-1"
