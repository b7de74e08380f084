# Many tasks through one pipelined DEALER client: every task completes, each result
# arrives exactly once with its payload echoed back, and the event stream a subscriber
# that keeps up reads has no gap in its sequence numbers.

import os
import time

import zmq

from conftest import VERSION, deadline, echo_type, pack, swarm_yaml

TASKS = 10000
WINDOW = 200  # submits in flight: enough to keep 2 agents x 8 slots busy


def test_ten_thousand_tasks_each_result_once(make_swarm):
    swarm = make_swarm(swarm_yaml("many", [echo_type(count=2, concurrency=8)]))
    swarm.wait_agents(2)
    sub = swarm.subscribe()
    first_seq = sub.seen[-1]["seq"]

    dealer = swarm.client()
    poller = zmq.Poller()
    poller.register(dealer.sock, zmq.POLLIN)
    poller.register(sub.sock, zmq.POLLIN)

    # Payloads are bytes with NULs and invalid UTF-8: they must come back unchanged
    payloads = {f"tp-{i:05d}": b"\x00\xff" + str(i).encode() + os.urandom(4)
                for i in range(TASKS)}
    order = list(payloads)
    rid_task = {}
    acks, results, completed_events = {}, {}, {}
    problems = []
    sent = 0
    until = deadline(120)

    def on_reply(msg):
        task = rid_task.get(msg.get("rid"))
        if task is None:
            problems.append(f"reply with unknown rid: {msg!r}")
        elif msg["t"] == "submit.ok":
            acks[task] = acks.get(task, 0) + 1
            if msg["task"] != task or msg.get("dup"):
                problems.append(f"bad submit.ok for {task}: {msg!r}")
        elif msg["t"] == "wait.ok":
            results.setdefault(task, []).append(msg)
        else:
            problems.append(f"unexpected reply for {task}: {msg!r}")

    def on_event(msg):
        if msg["t"] == "task.completed" and msg["task"] in payloads:
            completed_events[msg["task"]] = completed_events.get(msg["task"], 0) + 1

    def pump(timeout_ms):
        for sock, _ in poller.poll(timeout_ms):
            if sock is dealer.sock:
                while dealer.sock.poll(0, zmq.POLLIN):
                    on_reply(dealer.recv(0))
            else:
                while sub.sock.poll(0, zmq.POLLIN):
                    on_event(sub.read_ready())

    while len(results) < TASKS:
        assert time.monotonic() < until, (
            f"only {len(results)} of {TASKS} results, {len(acks)} acks; "
            f"zswarmd alive: {swarm.alive()}\n{swarm.log_tail()}")
        while sent < TASKS and sent - len(results) < WINDOW:
            task = order[sent]
            rid = sent + 1000
            rid_task[rid] = task
            dealer.sock.send(pack({"v": VERSION, "t": "submit", "rid": rid,
                                   "task": task, "ttype": "echo",
                                   "payload": payloads[task], "wait": True}))
            sent += 1
        pump(1000)

    # A duplicate result would arrive soon after the first: listen a little longer, and
    # read the events that complete the stream
    quiet_until = time.monotonic() + 0.5
    events_until = deadline(30)
    while time.monotonic() < quiet_until or (len(completed_events) < TASKS
                                             and time.monotonic() < events_until):
        pump(100)

    assert not problems, f"{len(problems)} bad replies, first: {problems[:5]}"
    assert len(acks) == TASKS and set(acks.values()) == {1}, (
        f"submit.ok per task should be exactly 1: "
        f"{[(t, n) for t, n in acks.items() if n != 1][:10]}, {TASKS - len(acks)} missing")
    twice = {t: len(r) for t, r in results.items() if len(r) != 1}
    assert not twice, f"tasks with more than one wait.ok: {list(twice.items())[:10]}"
    for task, (msg,) in results.items():
        assert msg["task"] == task and msg["state"] == "completed", (
            f"task {task} did not complete: {msg!r}")
        assert msg.get("stdout") == payloads[task], (
            f"task {task}: echo returned {msg.get('stdout')!r}, sent {payloads[task]!r}")
        assert msg.get("status") == "ok", f"task {task}: status not ok: {msg!r}"

    gaps = sub.gaps()
    assert not gaps, (f"event seq not consecutive for a subscriber that keeps up: "
                      f"{len(gaps)} gaps, first {gaps[:10]} (seq started at {first_seq})")
    missing = [t for t in order if completed_events.get(t) != 1]
    assert not missing, (f"{len(missing)} tasks without exactly one task.completed event, "
                         f"e.g. {[(t, completed_events.get(t)) for t in missing[:10]]}")
    status = swarm.status()
    assert status["n_completed"] >= TASKS, f"status after the run: {status!r}"
    assert status["seq"] >= sub.seen[-1]["seq"], f"status seq behind events: {status!r}"
