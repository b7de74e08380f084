# Chaos: 5,000 tasks with the client's own ids run to completion while local agents are
# SIGKILLed every ~200 ms and zswarmd itself is SIGKILLed and restarted twice on the
# same file, ports and journal.
#
# The client is the kind a user would write against a durable swarm: it submits with
# wait: true, and when the coordinator goes silent (or answers as a new process) it opens
# a new socket and resubmits, same ids, every task it has no final result for. In the
# end every id must have exactly one final result, completed, with the right output, the
# same one a task request shows; a task the coordinator once acknowledged must be a
# duplicate when resubmitted (the journal kept it).

import os
import random
import signal
import time

import pytest
import zmq

from conftest import (FINAL_STATES, SLOW, VERSION, deadline, echo_type, figure,
                      fixed_bind, journal_conf, pack, proc_stat, swarm_yaml, unpack)

TASKS = 5000
WINDOW = 500           # tasks in flight at most: keeps 6 agents x 4 slots busy
RATE = 1000            # tasks submitted per s: the run lasts ~5 s, ~25 agent kills
BURST = 250            # submitted together, so that a coordinator kill finds many queued
AGENTS = 6
KILL_EVERY = 0.2       # s between SIGKILLs of a random local agent
RESTART_AT = (TASKS // 3, 2 * TASKS // 3)  # results in hand when zswarmd is killed,
KILL_IN_FLIGHT = BURST // 2                # right after a burst: this many in flight
PING_EVERY = 0.25      # s between the client's status requests
SILENT_AFTER = 1.0     # s without an answer to a status: the coordinator is gone
STALE_AFTER = 5.0      # s a submit may wait for its submit.ok, or all tasks for a result
BOUND = 90             # s for the whole run (x ZSWARM_TEST_SLOW)
REQUEST_KEYS = {"v", "t", "rid"}


def make_tasks(rng):
    """id -> (ttype, payload, expected stdout): echo with a unique payload (bytes that are
    not UTF-8 included), and every fourth a sleep of 1..20 ms, which prints nothing."""
    tasks = {}
    for i in range(TASKS):
        task = f"chaos-{i:05d}"
        if i % 4 == 3:
            tasks[task] = ("sleep", str(rng.randint(1, 20)).encode(), b"")
        else:
            payload = task.encode() + b":" + rng.randbytes(8)
            tasks[task] = ("echo", payload, payload)
    return tasks


def task_view(msg):
    return {k: v for k, v in msg.items() if k not in REQUEST_KEYS}


class ResubmittingClient:
    """A DEALER client that keeps WINDOW tasks in flight and survives restarts of the
    coordinator: see the file's header. Resubmitting always goes through a new socket,
    so that each task has at most one waiter per socket and one wait.ok reaches us."""

    def __init__(self, ctx, endpoint, tasks):
        self.ctx = ctx
        self.endpoint = endpoint
        self.tasks = tasks
        self.order = list(tasks)
        self.sent = 0             # tasks of order submitted at least once
        self.results = {}         # id -> its final wait.ok
        self.received = {}        # id -> wait.ok received, all sockets
        self.acked = set()        # ids some coordinator acknowledged with submit.ok
        self.problems = []
        self.resyncs = []         # why each resync happened
        self.resubmitted = 0
        self.dups = 0
        self.started = None       # when fill() first ran, for the pace
        self.sock = None
        self._open()

    def _open(self):
        if self.sock is not None:
            self.sock.close(linger=0)
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SNDHWM, 0)
        self.sock.setsockopt(zmq.RCVHWM, 0)
        self.sock.connect(self.endpoint)
        self.rid = 0
        self.rid_task = {}        # rid -> id, this socket
        self.inflight = {}        # id -> [rid, sent at, acknowledged], this socket
        self.ping_rid = None
        self.ping_at = 0.0
        self.coordinator = None   # (seq, estimated start) of who answers our pings
        self.last_result = time.monotonic()

    def close(self):
        self.sock.close(linger=0)

    def _send(self, msg):
        self.rid += 1
        msg.update({"v": VERSION, "rid": self.rid})
        self.sock.send(pack(msg))
        return self.rid

    def _submit(self, task):
        ttype, payload, _ = self.tasks[task]
        rid = self._send({"t": "submit", "task": task, "ttype": ttype, "payload": payload,
                          "wait": True})
        self.rid_task[rid] = task
        self.inflight[task] = [rid, time.monotonic(), False]

    def resync(self, why):
        self.resyncs.append(why)
        pending = [t for t in self.order[:self.sent] if t not in self.results]
        self._open()
        for task in pending:
            self._submit(task)
        self.resubmitted += len(pending)

    def fill(self):
        """Submit new tasks at RATE per s in bursts, at most WINDOW in flight."""
        now = time.monotonic()
        self.started = self.started or now
        bursts = 1 + int((now - self.started) * RATE / BURST)
        due = min(len(self.order), bursts * BURST)
        while self.sent < due and len(self.inflight) < WINDOW:
            self._submit(self.order[self.sent])
            self.sent += 1

    def tick(self):
        now = time.monotonic()
        if self.ping_rid is not None and now - self.ping_at > SILENT_AFTER * SLOW:
            self.resync(f"no status.ok in {SILENT_AFTER * SLOW:.1f} s")
        elif self.ping_rid is None and now - self.ping_at >= PING_EVERY:
            self.ping_rid = self._send({"t": "status"})
            self.ping_at = now
        elif self.inflight and now - self.last_result > STALE_AFTER * SLOW:
            self.resync(f"no wait.ok in {STALE_AFTER * SLOW:.0f} s")
        elif any(not acked and now - at > STALE_AFTER * SLOW
                 for _, at, acked in self.inflight.values()):
            self.resync(f"a submit without submit.ok for {STALE_AFTER * SLOW:.0f} s")

    def pump(self, timeout_ms):
        if not self.sock.poll(timeout_ms, zmq.POLLIN):
            return
        while True:
            try:
                frames = self.sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            if len(frames) != 1:
                self.problems.append(f"reply of {len(frames)} frames")
                continue
            if self._on_reply(unpack(frames[0], "reply")):
                return  # resynced: the rest of the old socket's queue is gone

    def _on_status(self, msg):
        self.ping_rid = None
        start = time.monotonic() - msg.get("uptime_ms", 0) / 1000
        seq = msg.get("seq", 0)
        if self.coordinator is not None:
            old_seq, old_start = self.coordinator
            if seq < old_seq or abs(start - old_start) > 0.5 * SLOW:
                self.resync("a new coordinator answers status")
                return True
        self.coordinator = (seq, start)
        return False

    def _on_reply(self, msg):
        rid = msg.get("rid")
        if rid is not None and rid == self.ping_rid:
            if msg["t"] != "status.ok":
                self.problems.append(f"status answered with {msg!r}")
                return False
            return self._on_status(msg)
        task = self.rid_task.get(rid)
        if task is None:
            self.problems.append(f"reply with a rid we did not send: {msg!r}")
        elif msg["t"] == "submit.ok":
            self._on_submit_ok(task, rid, msg)
        elif msg["t"] == "wait.ok":
            self._on_wait_ok(task, msg)
        else:
            self.problems.append(f"{task}: unexpected reply {msg!r}")
        return False

    def _on_submit_ok(self, task, rid, msg):
        if msg.get("task") != task:
            self.problems.append(f"submit.ok for {task} names {msg.get('task')!r}")
        if msg.get("dup"):
            self.dups += 1
        elif task in self.acked:
            self.problems.append(f"{task} was acknowledged before, yet its resubmit made a "
                                 f"new task (dup not set): the journal lost it")
        self.acked.add(task)
        entry = self.inflight.get(task)
        if entry and entry[0] == rid:
            entry[2] = True

    def _on_wait_ok(self, task, msg):
        self.last_result = time.monotonic()
        self.received[task] = self.received.get(task, 0) + 1
        if msg.get("task") != task or msg.get("state") not in FINAL_STATES:
            self.problems.append(f"wait.ok for {task} is not a final result: {msg!r}")
            return
        first = self.results.setdefault(task, msg)
        if task_view(first) != task_view(msg):
            self.problems.append(f"{task} has two results:\n{first!r}\n{msg!r}")
        self.inflight.pop(task, None)


class Chaos:
    """SIGKILLs a random local agent every KILL_EVERY s (its pid from agents.ok, checked
    to be a child of the current zswarmd), and zswarmd itself at RESTART_AT."""

    def __init__(self, swarm, rng):
        self.swarm = swarm
        self.rng = rng
        self.kills = 0
        self.restarts = 0
        self.down_s = 0.0
        self.unfinished = []  # tasks in flight for the client at each coordinator kill
        self.request = None  # (rid, sent at) of the agents request in flight
        self.next_kill = time.monotonic() + KILL_EVERY

    def step(self, client):
        if (self.restarts < len(RESTART_AT) and len(client.inflight) >= KILL_IN_FLIGHT
                and len(client.results) >= RESTART_AT[self.restarts]):
            self.unfinished.append(len(client.inflight))
            self.restart()
            return
        now = time.monotonic()
        control = self.swarm.control
        if self.request is None and now >= self.next_kill:
            self.request = (control.send("agents"), now)
            self.next_kill = now + KILL_EVERY
        if self.request is None:
            return
        rid, sent = self.request
        while control.sock.poll(0, zmq.POLLIN):
            msg = control.recv(0)
            if msg.get("rid") == rid:
                self.request = None
                self.kill_one(msg.get("agents", []))
                return
        if now - sent > 1.0 * SLOW:
            self.request = None  # a busy or restarting coordinator: try again later

    def kill_one(self, records):
        victims = []
        for record in records:
            st = proc_stat(record.get("pid", 0)) if record.get("local") else None
            if st and st[1] == self.swarm.pid and st[0] not in ("Z", "X", "x"):
                victims.append(record["pid"])
        if victims:
            os.kill(self.rng.choice(victims), signal.SIGKILL)
            self.kills += 1

    def restart(self):
        started = time.monotonic()
        self.swarm.kill()
        self.swarm.restart()
        self.down_s += time.monotonic() - started
        self.restarts += 1
        self.request = None
        self.next_kill = time.monotonic() + KILL_EVERY


def test_tasks_survive_killed_agents_and_coordinator(make_swarm, workdir, ctx):
    rng = random.Random(int.from_bytes(os.urandom(4), "little"))
    supervision = {"backoff_ms": [10, 100], "max_restarts": 1000, "within_s": 1}
    text = swarm_yaml("chaos", [echo_type(count=AGENTS, concurrency=4)], hb=100,
                      liveness=4, tasks={"retries": 20}, bind=fixed_bind(),
                      journal=journal_conf(workdir, "chaos", "batch"),
                      supervision=supervision)
    swarm = make_swarm(text, name="chaos")
    swarm.wait_agents(AGENTS)
    tasks = make_tasks(rng)
    client = ResubmittingClient(ctx, swarm.control_ep, tasks)
    chaos = Chaos(swarm, rng)
    started = time.monotonic()
    until = deadline(BOUND)
    try:
        while len(client.results) < TASKS:
            if time.monotonic() > until:
                missing = [t for t in client.order if t not in client.results]
                pytest.fail(f"{len(client.results)} of {TASKS} results after "
                            f"{BOUND * SLOW:.0f} s ({chaos.restarts} restarts, "
                            f"{chaos.kills} agent kills, resyncs {client.resyncs}); "
                            f"missing e.g. {missing[:5]}; zswarmd alive: {swarm.alive()}\n"
                            f"{swarm.log_tail()}")
            client.fill()
            # Right after fill, which submits a burst when one is due: then the burst is
            # in flight for the coordinator kill, however fast zswarmd answers it
            chaos.step(client)
            client.tick()
            client.pump(5)
        elapsed = time.monotonic() - started
        # A second wait.ok for a task would come soon after the first
        quiet = time.monotonic() + 0.3 * SLOW
        while time.monotonic() < quiet:
            client.pump(50)
    finally:
        client.close()

    assert chaos.restarts == len(RESTART_AT), f"only {chaos.restarts} restarts happened"
    assert not client.problems, (f"{len(client.problems)} problems, first:\n"
                                 + "\n".join(client.problems[:10]))
    twice = {t: n for t, n in client.received.items() if n != 1}
    assert not twice, f"tasks with more than one wait.ok: {list(twice.items())[:10]}"
    for task, (_, _, stdout) in tasks.items():
        msg = client.results[task]
        assert msg["state"] == "completed" and msg.get("status") == "ok", (
            f"{task} did not complete: {msg!r}")
        assert msg.get("stdout", b"") == stdout, (
            f"{task}: output {msg.get('stdout')!r}, expected {stdout!r}")
        assert msg.get("ended", 0) > 0, f"{task}: wait.ok without 'ended': {msg!r}"

    # The coordinator's own record of every task agrees with the wait.ok we got
    check = swarm.client()
    order = list(tasks)
    for first in range(0, TASKS, 1000):
        rids = {check.send("task", task=t): t for t in order[first:first + 1000]}
        for rid, task in rids.items():
            record = check.reply(rid, seconds=30)
            assert record["t"] == "task.ok", f"task {task}: {record!r}"
            assert task_view(record) == task_view(client.results[task]), (
                f"task.ok of {task} differs from its wait.ok:\n{record!r}\n"
                f"{client.results[task]!r}")
    assert swarm.alive(), f"zswarmd died:\n{swarm.log_tail()}"

    attempts = [m.get("att", 1) for m in client.results.values()]
    figure(f"chaos: {TASKS} tasks in {elapsed:.1f} s through {chaos.restarts} coordinator "
           f"restarts ({chaos.down_s:.2f} s down, {chaos.unfinished} tasks in flight "
           f"at the kills) and {chaos.kills} agent kills; "
           f"{sum(a > 1 for a in attempts)} tasks retried (max attempt {max(attempts)}); "
           f"{len(client.resyncs)} resyncs resubmitted {client.resubmitted} tasks, "
           f"{client.dups} dups; resyncs: {sorted(set(client.resyncs))}")
