# Control requests and their semantics: duplicate submits, unknown tasks, cancel,
# priorities, retries of failing tasks, the status counters, pipelining and REQ.

import os

import zmq

from conftest import (E_FINISHED, E_NO_TASK, SLOW, Timeout, echo_type, gated_type,
                      open_gate, pack, swarm_yaml, wait_until)


def test_submit_and_wait(swarm):
    """Normal use: submit echo with wait: true, get submit.ok then wait.ok."""
    client = swarm.client()
    done = client.run("echo", b"hello swarm", task="hello-1")
    assert done["task"] == "hello-1" and done["ttype"] == "echo", f"{done!r}"
    assert done["state"] == "completed" and done["status"] == "ok", f"{done!r}"
    assert done["stdout"] == b"hello swarm" and done["att"] == 1, f"{done!r}"
    assert done["agent"] in {a["agent"] for a in swarm.agents()}, f"{done!r}"
    # a later wait on a final task answers at once, with the same record
    again = client.wait("hello-1")
    assert again["stdout"] == b"hello swarm" and again["state"] == "completed", f"{again!r}"


def test_capabilities_from_the_swarm_file(swarm):
    """docs/swarm-file.md: 'capabilities' is what a type can do besides its own name:
    type echo lists noop, sleep and fail, so its agents run those task types."""
    client = swarm.client()
    for ttype, payload in [("noop", None), ("sleep", "10"), ("fail", "expected")]:
        done = client.run(ttype, payload, seconds=10, tries=1)
        assert done["state"] in ("completed", "dead") and done.get("agent"), (
            f"{ttype}: a capability of type echo should run on an echo agent: {done!r}")


def test_generated_task_id(swarm):
    client = swarm.client()
    ack = client.submit("noop")
    assert len(ack["task"]) == 16 and int(ack["task"], 16) >= 0, (
        f"a generated id is 16 hex digits: {ack!r}")
    assert not ack.get("dup"), f"first submit flagged dup: {ack!r}"
    assert client.wait(ack["task"])["state"] == "completed"


def test_duplicate_submit(swarm):
    client = swarm.client()
    first = client.submit("echo", b"one", task="dup-1")
    assert first["task"] == "dup-1" and not first.get("dup"), f"{first!r}"
    second = client.submit("echo", b"two", task="dup-1")
    assert second["task"] == "dup-1" and second.get("dup") is True, (
        f"second submit of an id should say dup: true: {second!r}")
    done = client.wait("dup-1")
    assert done["stdout"] == b"one", f"the duplicate replaced the task: {done!r}"
    third = client.submit("echo", b"three", task="dup-1")  # also once it is final
    assert third.get("dup") is True, f"submit of a finished id: {third!r}"
    status = swarm.status()
    assert status.get("n_completed") == 1, f"a duplicate ran: {status!r}"


def test_unknown_task(swarm):
    client = swarm.client()
    client.error("wait", E_NO_TASK, task="no-such-task")
    client.error("task", E_NO_TASK, task="no-such-task")
    client.error("cancel", E_NO_TASK, task="no-such-task")


def test_cancel_queued_task(swarm):
    client = swarm.client()
    # nobody runs "nobody": it stays ready until cancelled
    rid = client.send("submit", ttype="nobody", task="cq-1", wait=True)
    assert client.reply(rid)["t"] == "submit.ok"
    assert client.ok("task", task="cq-1")["state"] == "ready"
    cancelled = client.ok("cancel", task="cq-1")
    assert cancelled["task"] == "cq-1" and cancelled["state"] == "cancelled", (
        f"cancel.ok: {cancelled!r}")
    done = client.reply(rid)  # the submit's waiter hears the end too
    assert done["t"] == "wait.ok" and done["state"] == "cancelled", f"{done!r}"
    assert client.ok("task", task="cq-1")["state"] == "cancelled"
    client.error("cancel", E_FINISHED, task="cq-1")
    assert client.wait("cq-1")["state"] == "cancelled"


def test_cancel_running_task(swarm):
    client = swarm.client()
    rid = client.send("submit", ttype="sleep", payload=b"20000", task="cr-1", wait=True)
    assert client.reply(rid)["t"] == "submit.ok"
    wait_until(lambda: client.ok("task", task="cr-1")["state"] == "running", 10,
               "cr-1 to run")
    assert client.ok("cancel", task="cr-1")["state"] == "cancelled"
    done = client.reply(rid, seconds=10)
    assert done["state"] == "cancelled", f"{done!r}"
    # The agent freed the slot: it stopped the sleep rather than let it run 20 s.
    # Fill every slot (2 agents x 4); a slot still held would refuse with "agent busy"
    rids = [client.send("submit", ttype="sleep", payload=b"300", tries=1, wait=True)
            for _ in range(8)]
    for rid in rids:
        assert client.reply(rid)["t"] == "submit.ok"
    for rid in rids:
        done = client.reply(rid, seconds=30)
        assert done["state"] == "completed" and done["att"] == 1, (
            f"a slot of the cancelled task seems still taken: {done!r}")


def test_priorities(make_swarm, workdir):
    # Every task waits for the gate: the first holds the only slot until it opens
    swarm = make_swarm(swarm_yaml("prio", [gated_type("gated")]))
    swarm.wait_agents(1)
    client = swarm.client()
    gate = os.path.join(workdir, "gate").encode()
    blocker = client.send("submit", ttype="gated", payload=gate, task="blocker", wait=True)
    assert client.reply(blocker)["t"] == "submit.ok"
    wait_until(lambda: client.ok("task", task="blocker")["state"] == "running", 10,
               "the blocker to run")
    order = [("low-1", -5), ("low-2", -5), ("mid-1", 0), ("high-1", 7), ("high-2", 7),
             ("top-1", 1000), ("bottom-1", -1000)]
    rids = {}
    for task, pri in order:
        rid = client.send("submit", ttype="gated", payload=gate, task=task, pri=pri,
                          wait=True)
        assert client.reply(rid)["t"] == "submit.ok"
        rids[rid] = task
    # All queued behind the blocker; now they run one at a time
    open_gate(gate)
    assert client.reply(blocker, seconds=30)["state"] == "completed"
    finished = []
    while len(finished) < len(order):
        msg = client.recv(int(30000 * SLOW))
        assert msg["t"] == "wait.ok" and msg["rid"] in rids, f"unexpected {msg!r}"
        finished.append(msg["task"])
    expected = ["top-1", "high-1", "high-2", "mid-1", "low-1", "low-2", "bottom-1"]
    assert finished == expected, (
        f"one agent, concurrency 1: tasks should finish by priority then submit order; "
        f"got {finished}, expected {expected}")


def test_failing_task_retries_then_dead(swarm):
    client = swarm.client()
    done = client.run("fail", b"on purpose", task="fail-1", tries=2)
    assert done["state"] == "dead", f"a task that always fails ends dead: {done!r}"
    assert done["att"] == 2 and done["tries"] == 2, f"two attempts: {done!r}"
    assert done["status"] == "fail", f"{done!r}"
    assert "on purpose" in (done.get("why") or ""), f"fail's why is its payload: {done!r}"
    once = client.run("fail", b"once", task="fail-2", tries=1)
    assert once["state"] == "dead" and once["att"] == 1, f"{once!r}"


def test_status_counters(make_swarm):
    swarm = make_swarm(swarm_yaml("counts", [echo_type(count=2, concurrency=2)]))
    swarm.wait_agents(2)
    client = swarm.client()
    base = client.ok("status")
    assert base["name"] == "counts" and base["n_agents"] == 2, f"{base!r}"
    assert base.get("n_submitted", 0) == 0 and base.get("n_completed", 0) == 0, f"{base!r}"
    assert base.get("uptime_ms", 0) >= 0, f"{base!r}"
    for i in range(5):
        client.run("echo", f"c{i}")
    client.run("fail", "x", tries=1)
    client.run("fail", "y", tries=1)
    client.submit("nobody", task="q-1")
    client.submit("nobody", task="q-2")
    client.submit("nobody", task="q-3")
    client.ok("cancel", task="q-3")
    rid = client.send("submit", ttype="sleep", payload=b"20000", task="s-1")
    assert client.reply(rid)["t"] == "submit.ok"
    wait_until(lambda: client.ok("task", task="s-1")["state"] == "running", 10, "s-1 runs")
    status = client.ok("status")
    expect = {"n_agents": 2, "n_submitted": 11, "n_completed": 5, "n_dead": 2,
              "n_cancelled": 1, "n_ready": 2, "n_running": 1}
    got = {k: status.get(k, 0) for k in expect}
    assert got == expect, f"status counters: got {got}, expected {expect}"
    assert status["seq"] > base.get("seq", 0), f"events were published: {status!r}"
    client.ok("cancel", task="s-1")


def test_pipelined_requests_keep_their_rids(swarm):
    client = swarm.client()
    rids = {}
    for i in range(50):
        rids[client.send("submit", ttype="echo", payload=f"p{i}".encode(),
                         task=f"pipe-{i}")] = f"pipe-{i}"
    rids[client.send("status")] = "status"
    rids[client.send("wait", task="no-such")] = "error"
    for rid, what in rids.items():
        msg = client.reply(rid)
        assert msg["rid"] == rid, f"{msg!r}"
        if what == "status":
            assert msg["t"] == "status.ok", f"{msg!r}"
        elif what == "error":
            assert msg["t"] == "error" and msg["code"] == E_NO_TASK, f"{msg!r}"
        else:
            assert msg["t"] == "submit.ok" and msg["task"] == what, f"{msg!r}"
    for i in range(50):
        assert client.wait(f"pipe-{i}")["stdout"] == f"p{i}".encode()


def test_request_without_rid(swarm):
    """rid is optional: the reply then carries none."""
    client = swarm.client()
    client.sock.send(pack({"v": 1, "t": "status"}))
    msg = client.recv(10000)
    assert msg["t"] == "status.ok" and "rid" not in msg, f"{msg!r}"


def test_req_socket_client(swarm):
    swarm.wait_agents(2)
    req = swarm.client(zmq.REQ)
    status = req.ok("status")
    # counters that are zero are absent on the wire
    assert status["name"] == "t1" and status.get("n_agents") == 2, f"REQ status: {status!r}"
    ack = req.submit("echo", b"over REQ", task="req-1")
    assert ack["task"] == "req-1", f"{ack!r}"
    done = req.wait("req-1")
    assert done["state"] == "completed" and done["stdout"] == b"over REQ", f"{done!r}"
    req.error("task", E_NO_TASK, task="req-missing")
    agents = req.ok("agents")["agents"]
    assert len(agents) == 2, f"REQ agents: {agents!r}"
    try:
        extra = req.recv(100)
    except (Timeout, zmq.ZMQError):
        extra = None
    assert extra is None, f"REQ got an extra reply: {extra!r}"


def test_task_events_follow_the_lifecycle(swarm):
    swarm.wait_agents(2)
    sub = swarm.subscribe()
    client = swarm.client()
    done = client.run("echo", "watched", task="ev-1")
    sub.wait_for(lambda m: m["t"] == "task.completed" and m["task"] == "ev-1", 10,
                 "task.completed for ev-1")
    mine = [m for m in sub.seen if m.get("task") == "ev-1"]
    kinds = [m["t"] for m in mine]
    assert kinds in (["task.ready", "task.assigned", "task.running", "task.completed"],
                     ["task.ready", "task.assigned", "task.completed"]), (
        f"events of one task, in order: {kinds}")
    for msg in mine:
        assert msg["ttype"] == "echo", f"{msg!r}"
    for msg in mine[1:]:
        assert msg.get("att") == 1 and msg.get("agent") == done["agent"], (
            f"events after assignment name the attempt and the agent: {msg!r}")
    seqs = [m["seq"] for m in mine]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), f"seq order: {seqs}"


def test_queue_full(make_swarm):
    swarm = make_swarm(swarm_yaml("full", [echo_type(count=1)], tasks={"max_queue": 3}))
    client = swarm.client()
    for i in range(3):
        client.submit("nobody", task=f"qf-{i}")
    client.error("submit", 6, ttype="nobody", task="qf-3")
    client.ok("cancel", task="qf-0")  # a final task frees its place
    assert client.submit("nobody", task="qf-4")["task"] == "qf-4"


def test_old_results_are_evicted(make_swarm):
    swarm = make_swarm(swarm_yaml("keep", [echo_type(count=1)], tasks={"keep_results": 2}))
    client = swarm.client()
    for i in range(3):
        client.run("echo", f"k{i}", task=f"keep-{i}")
    client.error("wait", E_NO_TASK, task="keep-0")
    assert client.wait("keep-1")["stdout"] == b"k1"
    assert client.wait("keep-2")["stdout"] == b"k2"
