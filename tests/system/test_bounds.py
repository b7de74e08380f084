# Byte bounds (docs/swarm-file.md, "Memory bounds"): a client that floods zswarmd with
# large submits is refused with QUEUE_FULL and a reason once the unfinished tasks would
# hold more than tasks.max_queue_bytes, and zswarmd's memory (VmRSS) stays near that
# bound; kept results are evicted by their bytes as by their count; a fan-out's items
# and lists, an aggregate's parts, a failed attempt's output, a lead's delegated work, a
# journal's replayed tasks and workflow steps count against the same bound, and some of
# them are refused by it.
#
# Memory is read from /proc/PID/status while the flood runs, and the flood stops as soon
# as it passes its limit, so a zswarmd without the bound fails here instead of eating
# the machine. The limits leave a margin for what is in flight (the requests of one
# window, libzmq's buffers), malloc's slack and, under ASan, its shadow (an eighth of
# what is allocated); ASan's quarantine of freed blocks is kept small for zswarmd.

import os

from conftest import (E_NO_TASK, E_QUEUE_FULL, ScriptedAgent, echo_type, figure,
                      fixed_bind, journal_conf, swarm_yaml, wait_until)

MIB = 1 << 20
PAYLOAD = b"\xa5" * MIB  # the largest payload a submit may carry
DEFAULT_QUEUE_BYTES = 256 * MIB  # ZS_SWARM_DEFAULT_QUEUE_BYTES
WINDOW = 16  # submits in flight at once during a flood
MARGIN = 64 * MIB  # RSS allowed above the bound, besides ASan's shadow
ASAN_ENV = {"ASAN_OPTIONS": ":".join(
    filter(None, [os.environ.get("ASAN_OPTIONS"), "quarantine_size_mb=16"]))}
IDLE = "{type: idle, count: 0}"  # an agent type, but no agent: nothing is served


def rss(pid):
    """Resident memory of a process, in bytes (VmRSS of /proc/PID/status)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def rss_limit(base, bound):
    return base + bound + bound // 8 + MARGIN


class Flood:
    """Submits of 1 MiB to a type nobody serves, WINDOW at a time, watching VmRSS."""

    def __init__(self, swarm, limit, ttype="nobody"):
        self.swarm, self.limit, self.ttype = swarm, limit, ttype
        self.client = swarm.client()
        self.accepted, self.refused = [], []
        self.peak = rss(swarm.pid)
        self.sent = 0

    def window(self, count):
        rids = []
        for _ in range(count):
            rids.append(self.client.send("submit", ttype=self.ttype, payload=PAYLOAD))
            self.sent += 1
        for rid in rids:
            reply = self.client.reply(rid, seconds=30)
            if reply["t"] == "submit.ok":
                self.accepted.append(reply["task"])
            else:
                assert reply["t"] == "error" and reply["code"] == E_QUEUE_FULL, (
                    f"a flooded submit: expected submit.ok or QUEUE_FULL, got {reply!r}")
                self.refused.append(reply["why"])
        self.peak = max(self.peak, rss(self.swarm.pid))
        assert self.peak <= self.limit, (
            f"zswarmd's VmRSS reached {self.peak >> 20} MiB after {self.sent} submits of "
            f"1 MiB ({len(self.accepted)} accepted), above its limit of "
            f"{self.limit >> 20} MiB")

    def until_refused(self, most):
        while not self.refused and self.sent < most:
            self.window(WINDOW)

    def more(self, count):
        for _ in range(count // WINDOW):
            self.window(WINDOW)


def test_flood_past_a_small_bound_is_refused_and_memory_stays_bounded(make_swarm):
    """Normal use: 8 MiB of queued payloads take 8 submits of 1 MiB; every later one is
    refused with the bound in its reason, through 400 MiB of flood; cancelling a task,
    or serving them, makes room again."""
    bound = 8 * MIB
    swarm = make_swarm(swarm_yaml("flood", [echo_type(count=0)], tasks={
        "max_queue_bytes": bound}), env=ASAN_ENV)
    base = rss(swarm.pid)
    flood = Flood(swarm, rss_limit(base, bound), ttype="noop")
    flood.more(400)
    figure(f"bounds: 400 submits of 1 MiB against max_queue_bytes 8 MiB: VmRSS "
           f"{base >> 20} MiB at start, {flood.peak >> 20} MiB at most")
    assert len(flood.accepted) == 8, f"{len(flood.accepted)} accepted, expected 8"
    assert len(flood.refused) == 392
    why = f"unfinished tasks would hold more than {bound} bytes (tasks.max_queue_bytes)"
    assert all(why in text for text in flood.refused), flood.refused[:2]
    status = swarm.status()
    assert status.get("queued_bytes") == bound and status.get("n_ready") == 8, status

    client = flood.client
    client.ok("cancel", task=flood.accepted[0])
    assert swarm.status().get("queued_bytes") == bound - MIB
    client.submit("noop", PAYLOAD)
    client.error("submit", E_QUEUE_FULL, ttype="noop", payload=b"x")
    # One echo agent serves the noop tasks: their payloads go, and room comes back
    client.ok("scale", atype="echo", count=1)
    wait_until(lambda: not swarm.status().get("queued_bytes"), 20,
               "the queued noop tasks to be served")
    for _ in range(8):
        client.submit("nobody", PAYLOAD)
    client.error("submit", E_QUEUE_FULL, ttype="nobody", payload=PAYLOAD)


def test_flood_is_refused_at_the_default_bound(make_swarm):
    """Without tasks.max_queue_bytes, 256 MiB: the 257th submit of 1 MiB is refused,
    and zswarmd stays under 256 MiB plus the margin while the flood goes on."""
    swarm = make_swarm(swarm_yaml("flood-default", [IDLE]), env=ASAN_ENV)
    base = rss(swarm.pid)
    flood = Flood(swarm, rss_limit(base, DEFAULT_QUEUE_BYTES))
    try:
        flood.until_refused(2000)
        flood.more(256)
    finally:
        figure(f"bounds: {flood.sent} submits of 1 MiB at the default bound: VmRSS "
               f"{base >> 20} MiB at start, {flood.peak >> 20} MiB at most")
    assert len(flood.accepted) == DEFAULT_QUEUE_BYTES // MIB, len(flood.accepted)
    assert flood.refused[0] == ("unfinished tasks would hold more than 268435456 bytes "
                                "(tasks.max_queue_bytes): 268435456 held, 1048576 more "
                                "asked"), flood.refused[0]
    assert swarm.status().get("queued_bytes") == DEFAULT_QUEUE_BYTES


def test_kept_results_are_evicted_by_their_bytes(make_swarm):
    """keep_results_bytes 1 MiB holds 16 results of 64 KiB: of 40, the 24 oldest go,
    though keep_results would keep them all."""
    swarm = make_swarm(swarm_yaml("results", [echo_type(count=1)], tasks={
        "keep_results": 1000, "keep_results_bytes": MIB}))
    client = swarm.client()
    out = 64 * 1024
    for i in range(40):
        done = client.run("echo", bytes([i]) * out, task=f"big-{i}")
        assert len(done["stdout"]) == out, f"{len(done['stdout'])} bytes of stdout"
    for i in range(24):
        client.error("task", E_NO_TASK, task=f"big-{i}")
    for i in range(24, 40):
        assert client.wait(f"big-{i}")["stdout"] == bytes([i]) * out
    status = swarm.status()
    assert status.get("results_bytes") == 16 * out and not status.get("queued_bytes")


def test_fan_outs_count_their_items_and_aggregate_parts(make_swarm):
    """A fan-out's items count when it is submitted; once they complete, their results
    are the aggregate's parts (queued) and the items' kept results."""
    swarm = make_swarm(swarm_yaml("fan", [echo_type(count=1)], tasks={
        "max_queue_bytes": MIB}))
    client = swarm.client()
    half = b"h" * (MIB // 2 + 1)
    msg = client.error("submit", E_QUEUE_FULL, ttype="echo", items=[half, half],
                       agg="nobody", task="too-big")
    assert f"would hold more than {MIB} bytes (tasks.max_queue_bytes)" in msg["why"], msg
    client.error("task", E_NO_TASK, task="too-big.1")
    client.submit("echo", items=[b"a" * 1000] * 3, agg="nobody", task="fan")
    wait_until(lambda: client.ok("task", task="fan")["state"] == "ready", 10,
               "the aggregate to be released")
    status = swarm.status()
    assert 3000 < status.get("queued_bytes", 0) < 3000 + 3 * 100, (
        f"the aggregate holds its items' 3 results and their ids: {status!r}")
    assert status.get("results_bytes") == 3000, f"the items' results are kept: {status!r}"


def test_failed_output_is_not_kept_for_a_retry_past_the_bound(make_swarm):
    """Agents decide how much a failed attempt prints: of 30 tasks whose first attempts
    print 64 KiB and fail, the first 15 keep that output for their retries and fill
    the 1 MiB bound; the others keep their status and reason only."""
    swarm = make_swarm(swarm_yaml("loud", [IDLE], tasks={"max_queue_bytes": MIB}))
    agent = ScriptedAgent(swarm, "loud", "loud-1", conc=64)
    client = swarm.client()
    tasks = [client.submit("loud", tries=5, task=f"loud-{i}")["task"] for i in range(30)]
    for _ in tasks:
        assign = agent.next("task.assign", att=1)
        agent.send("task.result", task=assign["task"], att=1, status="fail",
                   stdout=b"\0" * 65536, why="loud and wrong")
    wait_until(lambda: all(client.ok("task", task=t).get("att") == 2 for t in tasks), 20,
               "every task to be assigned again after its failed attempt")
    queued = swarm.status().get("queued_bytes", 0)
    assert 15 * 65536 <= queued <= MIB, f"{queued} bytes queued, bound {MIB}"
    first, last = client.ok("task", task=tasks[0]), client.ok("task", task=tasks[-1])
    assert len(first.get("stdout", b"")) == 65536, first
    assert "stdout" not in last and last["status"] == "fail", last
    assert last["why"] == "loud and wrong", last


def test_lists_copied_into_every_item_count_as_bytes(make_swarm):
    """A fan-out copies its requires into each item: 10,000 items with 64 names of 64
    bytes are 47 MB from one frame of 4 MB, and are refused by an 8 MiB bound though
    their payloads are empty; 100 of them fit, and count."""
    swarm = make_swarm(swarm_yaml("lists", [IDLE], tasks={"max_queue_bytes": 8 * MIB}))
    client = swarm.client()
    requires = [f"cap-{i:02d}-" + "x" * 57 for i in range(64)]
    msg = client.error("submit", E_QUEUE_FULL, ttype="nobody", items=[b""] * 10000,
                       agg="nobody", requires=requires, task="wide")
    assert f"would hold more than {8 * MIB} bytes" in msg["why"], msg
    client.error("task", E_NO_TASK, task="wide.1")
    client.submit("nobody", items=[b""] * 100, agg="nobody", requires=requires)
    assert swarm.status().get("queued_bytes", 0) > 100 * 64 * 65


def test_a_lead_s_work_is_counted_but_not_refused(make_swarm, workdir):
    """A lead's delegated work copies its team task's payload: it is counted, so new
    submits wait, but not refused, as the team task was accepted already."""
    flag = os.path.join(workdir, "go")
    work = f"while [ ! -e {flag} ]; do sleep 0.02; done; wc -c"
    team = ["{type: boss, count: 1, handler: exec, command: [cat]}",
            "{type: w, count: 1, reports_to: boss, handler: exec, "
            f"command: [/bin/sh, -c, '{work}']}}"]
    text = swarm_yaml("team", team, tasks={"max_queue_bytes": MIB})
    swarm = make_swarm(text + "topology: hierarchical\n")
    swarm.wait_agents(2)
    client = swarm.client()
    client.submit("boss", PAYLOAD, task="plan")
    wait_until(lambda: client.request("task", task="plan.w").get("state") == "running",
               20, "the lead's work to run on the worker")
    assert swarm.status().get("queued_bytes") == 2 * MIB
    client.error("submit", E_QUEUE_FULL, ttype="boss", payload=b"x")
    open(flag, "w").close()
    done = client.wait("plan", seconds=20)
    assert done["state"] == "completed" and done["stdout"].strip() == b"1048576", done
    assert not swarm.status().get("queued_bytes")


def test_a_journal_over_the_bound_starts_and_refuses_until_it_drains(make_swarm, workdir):
    """Six tasks of 1 MiB, then a restart with a bound of 4 MiB: zswarmd starts, says so,
    refuses submits and the workflow's new step, and takes them again once enough
    tasks were cancelled."""
    bind, journal = fixed_bind(), journal_conf(workdir, "replay")
    swarm = make_swarm(swarm_yaml("replay", [IDLE], bind=bind, journal=journal, tasks={
        "max_queue_bytes": 8 * MIB}), name="replay")
    client = swarm.client()
    tasks = [client.submit("nobody", PAYLOAD, task=f"old-{i}")["task"] for i in range(6)]
    swarm.kill()
    step = "workflow:\n  - {id: step-1, type: nobody, payload: x}\n"
    with open(swarm.path, "w") as f:
        f.write(swarm_yaml("replay", [IDLE], bind=bind, journal=journal, tasks={
            "max_queue_bytes": 4 * MIB}) + step)
    swarm.restart()
    client = swarm.client()
    assert client.ok("status").get("queued_bytes") == 6 * MIB
    log = swarm.log_tail(80)
    assert (f"unfinished tasks hold {6 * MIB} bytes, more than tasks.max_queue_bytes "
            f"({4 * MIB})") in log, log
    assert ("workflow step 'step-1' not submitted: unfinished tasks would hold more "
            "than") in log, log
    client.error("task", E_NO_TASK, task="step-1")
    client.error("submit", E_QUEUE_FULL, ttype="nobody")
    for task in tasks[:3]:
        client.ok("cancel", task=task)
    client.submit("nobody", PAYLOAD)
    client.error("submit", E_QUEUE_FULL, ttype="nobody", payload=b"x")
