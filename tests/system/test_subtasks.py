# Subtasks (PROTOCOL.md §7.4) and checkpoints (§7.3), from agents written in Python on
# the agents socket: an agent submits, waits for, looks at and cancels tasks as a client
# does; children record their parent and end with it; depth and count are bounded; a
# parent waiting for its child lends its slot; a checkpoint reaches the next attempt,
# through an agent's death and a coordinator's.

import os

from conftest import (E_FORBIDDEN, E_INVALID, E_LIMIT, E_MALFORMED, E_NO_TASK,
                      LeavingAgent, echo_type, explain, fixed_bind, journal_conf,
                      run_ctl, swarm_yaml, wait_until)

HB_MS = 100


def family_yaml(name, liveness=100, **kwargs):
    """Scripted agents answer heartbeats only while a test reads from them: a liveness
    of 10 s keeps them registered in between on a loaded machine."""
    return swarm_yaml(name, [echo_type(count=1), "{type: worker, count: 0}",
                             "{type: mid, count: 0}"],
                      hb=HB_MS, liveness=liveness, **kwargs)


def start(swarm, agent, ttype, task, **fields):
    """Submit task of ttype from a client; agent's assign of it."""
    swarm.control.submit(ttype, task=task, **fields)
    return agent.next("task.assign", task=task)


def test_children_record_their_parent(make_swarm):
    """Normal use: the task an agent runs submits a child and waits for it; the child
    names its parent, the parent lists it, and zswarmctl task shows the tree."""
    swarm = make_swarm(family_yaml("family1"))
    worker = LeavingAgent(swarm, "worker", "worker-1")
    start(swarm, worker, "worker", "root")
    ack = worker.request("submit", ttype="echo", payload=b"from the child", task="kid",
                         parent="root")
    assert ack["t"] == "submit.ok" and ack["task"] == "kid", ack
    done = worker.request("wait", task="kid")
    assert done["t"] == "wait.ok" and done["state"] == "completed", done
    assert done["parent"] == "root" and done["stdout"] == b"from the child", done
    seen = worker.request("task", task="root")
    assert seen["t"] == "task.ok" and seen["children"] == ["kid"], seen
    assert "parent" not in seen, seen
    proc = run_ctl("-e", swarm.control_ep, "task", "root")
    assert proc.returncode == 0, explain(proc)
    assert "children: 1" in proc.stdout and "  kid  completed" in proc.stdout, explain(proc)
    worker.send("task.result", task="root", att=1, status="ok")
    assert swarm.control.wait("root")["children"] == ["kid"]


def test_agent_submits_refused(make_swarm):
    """An agent's submit names the task it runs: none (7), unknown (5), another
    agent's (11); a client's names none (7). The same for a wait's parent."""
    swarm = make_swarm(family_yaml("family2"))
    worker = LeavingAgent(swarm, "worker", "worker-1")
    other = LeavingAgent(swarm, "mid", "mid-1")
    start(swarm, worker, "worker", "root")
    cases = [({}, E_INVALID), ({"parent": "nowhere"}, E_NO_TASK),
             ({"parent": "root"}, E_FORBIDDEN)]
    for fields, code in cases:
        msg = other.request("submit", ttype="echo", **fields)
        assert msg["t"] == "error" and msg["code"] == code, (fields, msg)
    swarm.control.error("submit", E_INVALID, ttype="echo", parent="root")
    msg = other.request("wait", task="root", parent="root")
    assert msg["t"] == "error" and msg["code"] == E_FORBIDDEN, msg
    swarm.control.error("wait", E_INVALID, task="root", parent="root")
    # status is still a control request only
    other.send("status", rid=1000)
    other.next("error", code=3)


def two_levels(swarm, top, middle):
    """A worker runs task top, which submits middle, run by a mid agent: both agents."""
    worker = LeavingAgent(swarm, "worker", "worker-1")
    mid = LeavingAgent(swarm, "mid", "mid-1")
    start(swarm, worker, "worker", top)
    ack = worker.request("submit", ttype="mid", task=middle, parent=top)
    assert ack["t"] == "submit.ok", ack
    mid.next("task.assign", task=middle)
    return worker, mid


def test_cancelling_a_parent_cancels_its_descendants(make_swarm):
    """A parent cancelled by a client cancels its child, and the child's child in turn;
    the agents running them are told."""
    swarm = make_swarm(family_yaml("family3"))
    worker, mid = two_levels(swarm, "top", "middle")
    assert mid.request("submit", ttype="nobody", task="bottom", parent="middle")["t"] == \
        "submit.ok"
    swarm.control.ok("cancel", task="top")
    worker.next("task.cancel", task="top")
    mid.next("task.cancel", task="middle")
    for task, parent in (("middle", "top"), ("bottom", "middle")):
        record = swarm.control.ok("task", task=task)
        assert record["state"] == "cancelled", record
        assert record["why"] == f"parent '{parent}' ended", record
    proc = run_ctl("-e", swarm.control_ep, "task", "top")
    assert proc.returncode == 0, explain(proc)
    assert "\n  middle  cancelled\n    bottom  cancelled\n" in proc.stdout, explain(proc)


def test_an_agent_cancels_only_its_tasks_descendants(make_swarm):
    """The agent running top may cancel its grandchild; the agent running middle may not
    cancel top (an ancestor) or a client's task (error 11)."""
    swarm = make_swarm(family_yaml("family6"))
    worker, mid = two_levels(swarm, "top", "middle")
    assert mid.request("submit", ttype="nobody", task="bottom", parent="middle")["t"] == \
        "submit.ok"
    swarm.control.submit("nobody", task="stranger")
    for task in ("top", "stranger"):
        msg = mid.request("cancel", task=task)
        assert msg["t"] == "error" and msg["code"] == E_FORBIDDEN, (task, msg)
    assert worker.request("cancel", task="bottom")["t"] == "cancel.ok"
    assert swarm.control.ok("task", task="bottom")["state"] == "cancelled"
    assert swarm.control.ok("task", task="stranger")["state"] == "ready"


def test_a_task_cancels_only_its_own_subtasks(make_swarm):
    """Two tasks on one agent: with parent (as a task's channel sends it) one may not
    cancel the other's child (11); the one that submitted it may."""
    swarm = make_swarm(family_yaml("family7"))
    worker = LeavingAgent(swarm, "worker", "worker-1", conc=2)
    start(swarm, worker, "worker", "p1")
    start(swarm, worker, "worker", "p2")
    assert worker.request("submit", ttype="nobody", task="c1", parent="p1")["t"] == \
        "submit.ok"
    msg = worker.request("cancel", task="c1", parent="p2")
    assert msg["t"] == "error" and msg["code"] == E_FORBIDDEN, msg
    assert "its own subtasks" in msg["why"], msg
    msg = worker.request("cancel", task="c1", parent="nowhere")
    assert msg["t"] == "error" and msg["code"] == E_NO_TASK, msg
    assert worker.request("cancel", task="c1", parent="p1")["t"] == "cancel.ok"
    swarm.control.error("cancel", E_INVALID, task="p2", parent="p1")


def test_depth_limit(make_swarm):
    """tasks.max_depth 1: a root's child may not have a child of its own (error 10)."""
    swarm = make_swarm(family_yaml("family4", tasks={"max_depth": 1}))
    _, mid = two_levels(swarm, "root", "level-1")
    msg = mid.request("submit", ttype="echo", parent="level-1")
    assert msg["t"] == "error" and msg["code"] == E_LIMIT, msg
    assert "tasks.max_depth (1)" in msg["why"], msg


def test_count_limit(make_swarm):
    """A task that submits children until it is refused gets tasks.max_children of them,
    then error 10; a fan-out counts each of its tasks."""
    swarm = make_swarm(family_yaml("family5", tasks={"max_children": 5}))
    worker = LeavingAgent(swarm, "worker", "worker-1")
    start(swarm, worker, "worker", "root")
    made = 0
    while True:
        msg = worker.request("submit", ttype="nobody", parent="root")
        if msg["t"] != "submit.ok":
            break
        made += 1
        assert made <= 5, "more children than tasks.max_children"
    assert made == 5 and msg["code"] == E_LIMIT, (made, msg)
    assert "tasks.max_children (5)" in msg["why"], msg
    assert len(swarm.control.ok("task", task="root")["children"]) == 5


def test_fan_out_counts_every_task(make_swarm):
    swarm = make_swarm(family_yaml("family6", tasks={"max_children": 3}))
    worker = LeavingAgent(swarm, "worker", "worker-1")
    start(swarm, worker, "worker", "root")
    msg = worker.request("submit", ttype="nobody", items=[b"1", b"2", b"3"], agg="nobody",
                         parent="root")
    assert msg["t"] == "error" and msg["code"] == E_LIMIT, msg
    ack = worker.request("submit", ttype="nobody", task="fan", items=[b"1", b"2"],
                         agg="nobody", parent="root")
    assert ack["t"] == "submit.ok", ack
    assert swarm.control.ok("task", task="root")["children"] == ["fan.1", "fan.2", "fan"]


def test_waiting_parent_lends_its_slot(make_swarm):
    """Concurrency 1: the parent waits for its child of its own type with parent set;
    the child is assigned to the same agent meanwhile, and once it is answered the
    parent counts again."""
    swarm = make_swarm(family_yaml("family7"))
    worker = LeavingAgent(swarm, "worker", "worker-1", conc=1)
    start(swarm, worker, "worker", "parent")
    assert worker.request("submit", ttype="worker", task="child", parent="parent")["t"] == \
        "submit.ok"
    worker.rid += 1
    wait_rid = worker.rid
    worker.send("wait", rid=wait_rid, task="child", parent="parent")
    assign = worker.next("task.assign", task="child")
    assert assign["parent"] == "parent", assign
    record = swarm.control.ok("task", task="parent")
    assert record["state"] == "assigned", record
    worker.send("task.result", task="child", att=assign["att"], status="ok",
                stdout=b"grown")
    done = worker.next_match(lambda m: m.get("rid") == wait_rid, "wait.ok for the child")
    assert done["t"] == "wait.ok" and done["stdout"] == b"grown", done
    load = [a["load"] for a in swarm.agents() if a["agent"] == "worker-1"]
    assert load == [1], load
    worker.send("task.result", task="parent", att=1, status="ok")
    assert swarm.control.wait("parent")["state"] == "completed"


# ---------------------------------------------------------------------------------------
# Checkpoints


def test_checkpoint_reaches_the_next_attempt(make_swarm):
    """Attempt 1 saves a checkpoint and its agent dies (stops answering heartbeats):
    attempt 2, on another agent, starts with it; the task's view shows its size, and a
    task that ended has none."""
    swarm = make_swarm(family_yaml("ckpt1", liveness=4))
    first = LeavingAgent(swarm, "worker", "worker-1")
    assign = start(swarm, first, "worker", "resumable", tries=2)
    assert "ckpt" not in assign, assign
    for data in (b"page 2", b"page 3 of 9"):
        ok = first.request("task.checkpoint", task="resumable", att=1, data=data)
        assert ok["t"] == "task.checkpoint.ok" and ok["task"] == "resumable", ok
    assert swarm.control.ok("task", task="resumable")["ckpt_bytes"] == 11
    first.die()
    second = LeavingAgent(swarm, "worker", "worker-2")
    assign = second.next("task.assign", task="resumable", seconds=20)
    assert assign["att"] == 2 and assign["ckpt"] == b"page 3 of 9", assign
    second.send("task.result", task="resumable", att=2, status="ok")
    done = swarm.control.wait("resumable")
    assert done["state"] == "completed" and "ckpt_bytes" not in done, done


def test_checkpoint_cleared_and_refused(make_swarm):
    """An empty checkpoint clears it; one from an agent that does not run the attempt
    (another agent, another attempt, an unknown task) is refused; one past 64 KiB is
    malformed and changes nothing."""
    swarm = make_swarm(family_yaml("ckpt2"))
    worker = LeavingAgent(swarm, "worker", "worker-1")
    other = LeavingAgent(swarm, "mid", "mid-1")
    start(swarm, worker, "worker", "saving")
    assert worker.request("task.checkpoint", task="saving", att=1,
                          data=b"x")["t"] == "task.checkpoint.ok"
    for agent, fields, code in ((other, {"task": "saving", "att": 1}, E_FORBIDDEN),
                                (worker, {"task": "saving", "att": 2}, E_FORBIDDEN),
                                (worker, {"task": "nowhere", "att": 1}, E_NO_TASK)):
        msg = agent.request("task.checkpoint", data=b"y", **fields)
        assert msg["t"] == "error" and msg["code"] == code, (fields, msg)
    worker.send("task.checkpoint", rid=99, task="saving", att=1, data=b"z" * 65537)
    msg = worker.next("error", code=E_MALFORMED)
    assert swarm.control.ok("task", task="saving")["ckpt_bytes"] == 1
    assert worker.request("task.checkpoint", task="saving", att=1,
                          data=b"")["t"] == "task.checkpoint.ok"
    assert "ckpt_bytes" not in swarm.control.ok("task", task="saving")


def test_checkpoint_survives_a_sigkilled_coordinator(make_swarm, workdir):
    swarm = make_swarm(family_yaml("ckpt3", bind=fixed_bind(),
                                   journal=journal_conf(workdir, "ckpt3")))
    worker = LeavingAgent(swarm, "worker", "worker-1")
    start(swarm, worker, "worker", "long")
    assert worker.request("task.checkpoint", task="long", att=1,
                          data=b"\x00state\xff")["t"] == "task.checkpoint.ok"
    swarm.kill()
    swarm.restart()
    again = LeavingAgent(swarm, "worker", "worker-2")
    assign = again.next("task.assign", task="long")
    assert assign["ckpt"] == b"\x00state\xff", assign
    assert swarm.control.ok("task", task="long")["ckpt_bytes"] == 7


def test_checkpoint_and_inputs_survive_compaction(make_swarm, workdir):
    """The journal is compacted while a task holds a checkpoint and another waits with
    an input whose result is no longer kept: after a SIGKILL both come back from the
    compacted journal."""
    journal = journal_conf(workdir, "compact")
    swarm = make_swarm(swarm_yaml("compact", [echo_type(count=1), "{type: worker, count: 0}",
                                              "{type: consumer, count: 0}"],
                                  hb=HB_MS, liveness=100, bind=fixed_bind(),
                                  tasks={"keep_results": 2}, journal=journal))
    worker = LeavingAgent(swarm, "worker", "worker-1")
    start(swarm, worker, "worker", "saver")
    assert worker.request("task.checkpoint", task="saver", att=1,
                          data=b"halfway")["t"] == "task.checkpoint.ok"
    client = swarm.client()
    client.run("echo", b"the input", task="source")
    client.submit("consumer", task="waiting", inputs=["source"])
    payload = os.urandom(1 << 20)
    for i in range(12):
        assert client.run("noop", payload, task=f"big-{i}")["state"] == "completed"
    client.error("wait", E_NO_TASK, task="source")  # evicted: the consumer holds it
    wait_until(lambda: os.path.getsize(journal["path"]) < (6 << 20), 10,
               "the journal to be compacted")
    swarm.kill()
    swarm.restart()
    again = LeavingAgent(swarm, "worker", "worker-2")
    assert again.next("task.assign", task="saver")["ckpt"] == b"halfway"
    consumer = LeavingAgent(swarm, "consumer", "consumer-1")
    assign = consumer.next("task.assign", task="waiting")
    assert assign["inputs"] == [{"task": "source", "status": "completed",
                                 "stdout": b"the input"}], assign


def test_children_survive_compaction(make_swarm, workdir):
    """A finished parent kept by a compacted journal (its wait.ok alone, as compaction
    writes it) still lists its children after a restart. A heartbeat of 60 s keeps the
    first zswarmd from compacting; the second compacts at its first heartbeat."""
    bind, journal = fixed_bind(), journal_conf(workdir, "tree")

    def text(hb):
        return swarm_yaml("tree", [echo_type(count=1), "{type: worker, count: 0}"], hb=hb,
                          liveness=100, bind=bind, tasks={"keep_results": 3},
                          journal=journal)

    swarm = make_swarm(text(60000), name="tree")
    payload = os.urandom(1 << 20)
    for i in range(10):
        assert swarm.control.run("noop", payload, task=f"big-{i}")["state"] == "completed"
    worker = LeavingAgent(swarm, "worker", "worker-1")
    start(swarm, worker, "worker", "elder")
    assert worker.request("submit", ttype="nobody", task="young",
                          parent="elder")["t"] == "submit.ok"
    worker.send("task.result", task="elder", att=1, status="ok")
    assert swarm.control.wait("elder")["children"] == ["young"]
    swarm.kill()
    with open(swarm.path, "w") as f:
        f.write(text(HB_MS))
    swarm.restart()
    wait_until(lambda: os.path.getsize(journal["path"]) < (1 << 20), 10,
               "the journal to be compacted")
    swarm.kill()
    swarm.restart()
    assert swarm.control.ok("task", task="elder")["children"] == ["young"]
    young = swarm.control.ok("task", task="young")
    assert young["state"] == "cancelled" and young["parent"] == "elder", young
