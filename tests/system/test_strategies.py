# Scheduling strategies end to end (docs/scheduling.md): each makes the choice it
# documents among real agents, and a submit's strategy overrides the swarm file's.
# Which agent ran a task is read from wait.ok ("agent") or from task.assigned events.
# Agents whose bids a test must control are written here in Python from the spec
# (PROTOCOL.md §5, §6): a DEALER that says hello and answers task.offer as told.

import math
import re
import time

import pytest
import zmq

from conftest import (E_INVALID, E_LIMIT, VERSION, deadline, echo_type, left_ms, pack,
                      run_ctl, swarm_yaml, unpack, wait_until)

HB_MS = 100


def strategy_yaml(name, agents, strategy=None, auction_ms=None, tasks=None):
    """swarm_yaml() with the scheduling keys of the top level."""
    text = swarm_yaml(name, agents, hb=HB_MS, tasks=tasks)
    if strategy:
        text += f"strategy: {strategy}\n"
    if auction_ms:
        text += f"auction_ms: {auction_ms}\n"
    return text


def sleeper(type_, seconds, count=1, conc=1):
    """An exec agent type that runs tasks of type 'job' by sleeping."""
    return (f"{{type: {type_}, count: {count}, handler: exec, capabilities: [job], "
            f"concurrency: {conc}, command: [/bin/sh, -c, 'sleep {seconds}']}}")


def assignments(sub, tasks, seconds=15):
    """(task, agent) of every task.assigned event of the given tasks, in event order,
    once each has completed (events come in order: its assignments came before)."""
    for task in tasks:
        sub.wait_for(lambda m, t=task: m["t"] == "task.completed" and m["task"] == t,
                     seconds, f"task.completed of {task}")
    wanted = set(tasks)
    return [(m["task"], m["agent"]) for m in sub.seen
            if m["t"] == "task.assigned" and m["task"] in wanted]


class RawAgent:
    """A scripted agent: hello, then it answers offers with the bid it is given (None:
    it ignores them) and completes every assign at once."""

    def __init__(self, ctx, endpoint, atype, agent, caps=()):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.bid = None
        self.log = []  # (monotonic time, message) of everything but heartbeats
        self.send("hello", atype=atype, agent=agent, conc=1, caps=list(caps))
        welcome = self.next(("welcome",), 10)
        assert welcome["agent"] == agent, f"{welcome!r}"

    def send(self, t, **fields):
        self.sock.send(pack({"v": VERSION, "t": t, **fields}))

    def serve(self, seconds):
        """Answer messages for a while: heartbeats keep the session, offers get
        self.bid, assigns complete."""
        until = time.monotonic() + seconds
        while True:
            left = int((until - time.monotonic()) * 1000)
            if left <= 0 or not self.sock.poll(min(left, HB_MS), zmq.POLLIN):
                self.send("heartbeat")
                if left <= 0:
                    return
                continue
            msg = unpack(self.sock.recv(), "message to a raw agent")
            if msg["t"] == "heartbeat":
                continue
            self.log.append((time.monotonic(), msg))
            if msg["t"] == "task.offer" and self.bid is not None:
                self.send("task.bid", task=msg["task"], bid=self.bid)
            elif msg["t"] == "task.assign":
                self.send("task.result", task=msg["task"], att=msg["att"], status="ok")

    def next(self, types, seconds):
        until = deadline(seconds)
        while True:
            assert self.sock.poll(max(1, left_ms(until)), zmq.POLLIN), f"no {types}"
            msg = unpack(self.sock.recv(), "message to a raw agent")
            if msg["t"] in types:
                return msg

    def seen(self, t, task):
        return [(at, m) for at, m in self.log if m["t"] == t and m["task"] == task]


def serve_until_done(agents, client, rid, seconds=10):
    """Let the raw agents answer until the client has the wait.ok of request rid."""
    until = deadline(seconds)
    while True:
        for agent in agents:
            agent.serve(0.02)
        while client.sock.poll(0, zmq.POLLIN):
            msg = client.recv(0)
            client.pending.setdefault(msg.get("rid"), []).append(msg)
        if client.pending.get(rid):
            return client.reply(rid)
        assert time.monotonic() < until, "raw agents: the task did not end in time"


# ---------------------------------------------------------------------------------------
# round-robin, least-loaded, and the submit's strategy


def test_round_robin_takes_turns_whatever_the_load(make_swarm):
    """A submit's round-robin overrides the swarm's least-loaded: an agent busy with a
    long task still gets its turn, which least-loaded would give an idle one."""
    swarm = make_swarm(strategy_yaml("rr", [echo_type(count=3, concurrency=4)]))
    swarm.wait_agents(3)
    client = swarm.client()
    long_task = client.submit("sleep", "20000", strategy="round-robin")["task"]
    busy = wait_until(lambda: client.ok("task", task=long_task).get("agent"), 10,
                      "the long task's agent")
    turns = [client.run("noop", strategy="round-robin")["agent"] for _ in range(6)]
    assert busy in turns[:3] and len(set(turns[:3])) == 3, (
        f"round-robin must give each agent, the busy '{busy}' too, a turn: {turns}")
    assert turns[3:] == turns[:3], f"turns must repeat in the same order: {turns}"
    # Least-loaded (the swarm's) keeps away from the busy agent
    spread = [client.run("noop")["agent"] for _ in range(6)]
    assert busy not in spread, f"least-loaded gave the busy agent a task: {spread}"
    client.ok("cancel", task=long_task)


def test_unknown_strategy_is_invalid(swarm):
    client = swarm.client()
    client.error("submit", E_INVALID, ttype="noop", strategy="fastest")
    client.error("submit", E_INVALID, ttype="noop", strategy="Least-loaded")


def test_distinct_requires_sets_are_bounded(swarm):
    """Each set of required capabilities of a type is a queue every dispatch looks at:
    a client may queue 16 (nobody holds these capabilities, so they all wait)."""
    client = swarm.client()
    for n in range(16):
        client.submit("noop", requires=[f"cap-{n}"])
    client.submit("noop", requires=["cap-3"])  # an existing set is always taken
    error = client.error("submit", E_LIMIT, ttype="noop", requires=["cap-16"])
    assert "'requires' sets" in error["why"], error


# ---------------------------------------------------------------------------------------
# capability, and requires under every strategy


def test_capability_prefers_the_specialist(make_swarm):
    """The sleep specialist (type 'sleep', nothing else) gets sleep tasks even when it
    is busier than the generalist; the generalist only when the specialist is full."""
    general = ("{type: general, count: 1, handler: builtin, "
               "capabilities: [echo, noop, sleep, fail], concurrency: 4}")
    special = "{type: sleep, count: 1, handler: builtin, concurrency: 2}"
    swarm = make_swarm(strategy_yaml("cap", [general, special], strategy="capability"))
    swarm.wait_agents(2)
    client = swarm.client()
    first = client.submit("sleep", "20000")["task"]
    second = client.submit("sleep", "20000")["task"]
    third = client.submit("sleep", "20000")["task"]

    def agents():
        found = [client.ok("task", task=t).get("agent") for t in (first, second, third)]
        return found if all(found) else None
    found = wait_until(agents, 10, "three sleep tasks assigned")
    assert found[0] == found[1] == "sleep-1" and found[2] == "general-1", (
        f"the specialist (2 slots) first, then the generalist: {found}")
    for task in (first, second, third):
        client.ok("cancel", task=task)


@pytest.mark.parametrize("strategy", ["round-robin", "least-loaded", "capability",
                                      "best-fit", "work-stealing", "auction"])
def test_requires_picks_an_agent_holding_every_capability(make_swarm, strategy):
    plain = echo_type(count=2, concurrency=2)
    gpu = ("{type: gpubox, count: 1, handler: builtin, "
           "capabilities: [echo, noop, gpu], concurrency: 2}")
    swarm = make_swarm(strategy_yaml("req", [plain, gpu], strategy=strategy))
    swarm.wait_agents(3)
    client = swarm.client()
    for _ in range(3):
        done = client.run("echo", "x", requires=["gpu"])
        assert done["agent"] == "gpubox-1", f"{strategy}: ran on {done['agent']}"
    # Nobody has both: the task waits. A task submitted after it runs to its end only
    # after the dispatch that would have placed the waiting one
    waiting = client.submit("echo", "y", requires=["gpu", "tpu"])["task"]
    assert client.run("echo", "probe", requires=["gpu"])["agent"] == "gpubox-1"
    assert client.ok("task", task=waiting)["state"] == "ready"
    client.ok("cancel", task=waiting)


# ---------------------------------------------------------------------------------------
# best-fit


def test_best_fit_avoids_the_slow_and_the_failing_agent(make_swarm):
    """Each agent is tried; then the fast one runs (almost) everything, while
    least-loaded would have spread the tasks over all three."""
    flaky = ("{type: flaky, count: 1, handler: exec, capabilities: [job], "
             "command: [/bin/sh, -c, 'sleep 0.05; exit 1']}")
    swarm = make_swarm(strategy_yaml("bf", [sleeper("fast", 0.02), sleeper("slow", 0.4),
                                            flaky], strategy="best-fit"))
    swarm.wait_agents(3)
    sub = swarm.subscribe()
    client = swarm.client()
    tasks = []
    for _ in range(20):
        done = client.run("job", tries=10)
        assert done["state"] == "completed", f"{done!r}"
        tasks.append(done["task"])
    attempts = [agent for _, agent in assignments(sub, tasks)]
    counts = {a: attempts.count(a) for a in ("fast-1", "slow-1", "flaky-1")}
    assert counts["fast-1"] >= 17, f"best-fit should settle on the fast agent: {counts}"
    assert counts["slow-1"] <= 2 and counts["flaky-1"] <= 3, f"{counts}"


def beta_quantile(p, a, b):
    """The p quantile of Beta(a, b), a and b >= 1, by bisection of its cdf, which
    Simpson's rule integrates (the density is smooth and bounded for such a and b)."""
    norm = math.exp(math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))

    def cdf(x, steps=1000):
        h = x / steps
        weights = [1] + [4 if k % 2 else 2 for k in range(1, steps)] + [1]
        return sum(w * (k * h) ** (a - 1) * (1 - k * h) ** (b - 1)
                   for k, w in enumerate(weights)) * h / 3 / norm
    low, high = 0.0, 1.0
    for _ in range(30):
        mid = (low + high) / 2
        low, high = (mid, high) if cdf(mid) < p else (low, mid)
    return (low + high) / 2


def trust_bounds(successes, failures, age):
    """The bounds of (trust, trust_low) of an agent with these outcomes, each at most
    age s old, per mille rounded as zswarmd rounds them (half away from zero). The
    evidence beyond Beta(1, 1) halves every 10 minutes (docs/scheduling.md): the lowest
    scores are those of successes faded that much and failures not at all, the highest
    the other way round. Returns ((trust low, high), (trust_low low, high))."""
    keep = 2 ** (-age / 600)
    worst = (1 + successes * keep, 1 + failures)
    best = (1 + successes, 1 + failures * keep)

    def per_mille(fraction):
        return math.floor(1000 * fraction + 0.5)
    mean = tuple(per_mille(a / (a + b)) for a, b in (worst, best))
    quantile = tuple(per_mille(beta_quantile(0.05, a, b)) for a, b in (worst, best))
    return mean, quantile


def test_trust_follows_outcomes(make_swarm):
    """An agent's record (agents.ok, per mille) is the mean and 5% quantile of
    Beta(1 + successes, 1 + failures and timeouts), its evidence fading with a
    half-life of 10 minutes: docs/scheduling.md."""
    swarm = make_swarm(strategy_yaml("trust", [echo_type(count=1)]))
    swarm.wait_agents(1)
    client = swarm.client()
    started = time.monotonic()  # every outcome below is younger

    def trust(successes, failures):
        """The agent's (trust, trust_low), checked against trust_bounds."""
        (record,) = swarm.agents()
        got = record.get("trust", 0), record.get("trust_low", 0)
        (mean_low, mean_high), (q_low, q_high) = trust_bounds(
            successes, failures, time.monotonic() - started)
        assert mean_low <= got[0] <= mean_high and q_low <= got[1] <= q_high, (
            f"{successes} successes, {failures} failures: {got}, expected "
            f"{mean_low}..{mean_high} and {q_low}..{q_high}")
        return got
    assert trust(0, 0) == (500, 50), "knowing nothing: Beta(1, 1)"
    for _ in range(5):
        assert client.run("noop")["state"] == "completed"
    # Beta(6, 1): mean 6/7 (857); cdf x^6 reaches 5% at 0.05^(1/6) (607), both a little
    # less as the evidence fades
    trust(5, 0)
    for _ in range(3):
        assert client.run("fail", tries=1)["state"] == "dead"
    client.submit("sleep", b"5000", tmo=100, tries=1, task="late")
    assert client.wait("late")["state"] == "dead"
    # Beta(6, 5): mean 6/11 (545), 5% quantile 0.3035 (304); failures and the timeout
    # count alike
    trust(5, 4)
    # zswarmctl shows both with two decimals: 0.55 (0.30)
    shown = run_ctl("-e", swarm.control_ep, "agents").stdout
    (mean_low, mean_high), (q_low, q_high) = trust_bounds(5, 4, time.monotonic() - started)
    match = re.search(r"(\d\.\d\d) \((\d\.\d\d)\)", shown)
    assert match, shown

    def decimals(per_mille):
        return f"{per_mille / 1000:.2f}"
    assert decimals(mean_low) <= match[1] <= decimals(mean_high), (shown, mean_low)
    assert decimals(q_low) <= match[2] <= decimals(q_high), (shown, q_low)


# ---------------------------------------------------------------------------------------
# work-stealing


def test_work_stealing_an_idle_agent_steals_from_the_tail(make_swarm, start_agent):
    """Tasks wait on the backlog of the only agent; an agent that joins idle steals
    them, newest first (the tail), where a shared queue would give the oldest first."""
    worker = ("{type: w, count: 1, handler: builtin, capabilities: [sleep, noop], "
              "concurrency: 1}")
    swarm = make_swarm(strategy_yaml("ws", [worker], strategy="work-stealing"))
    swarm.wait_agents(1)
    sub = swarm.subscribe()
    client = swarm.client()
    long_task = client.submit("sleep", "20000")["task"]
    sub.wait_for(lambda m: m["t"] == "task.assigned" and m["task"] == long_task, 10,
                 "the long task assigned")
    older = client.submit("sleep", "10", task="older")["task"]
    newer = client.submit("sleep", "10", task="newer")["task"]
    # Each submit placed its task before its submit.ok: both wait on the busy agent's
    # backlog (one given to w-1 all the same would show in the order below too)
    for task in (older, newer):
        assert client.ok("task", task=task)["state"] == "ready"
    start_agent(swarm.agents_ep, "w", agent_id="thief")
    order = assignments(sub, [older, newer])
    assert order == [(newer, "thief"), (older, "thief")], (
        f"the thief must take the backlog's tail first: {order}")
    assert client.ok("task", task=long_task)["state"] in ("assigned", "running")
    client.ok("cancel", task=long_task)


def test_work_stealing_runs_its_own_backlog_first(make_swarm):
    """A freed agent runs its own backlog before stealing, so it may run a newer task of
    its own before an older one on another agent's backlog."""
    workers = ("{type: w, count: 2, handler: builtin, capabilities: [sleep], "
               "concurrency: 1}")
    swarm = make_swarm(strategy_yaml("ws2", [workers], strategy="work-stealing"))
    swarm.wait_agents(2)
    sub = swarm.subscribe()
    client = swarm.client()
    long_task = client.submit("sleep", "20000", task="long")["task"]
    short = client.submit("sleep", "1500", task="short")["task"]
    long_agent = wait_until(lambda: client.ok("task", task=long_task).get("agent"), 10,
                            "the long task's agent")
    # Both agents busy: older goes to the backlog of one, newer to the other's
    older = client.submit("sleep", "10", task="older")["task"]
    newer = client.submit("sleep", "10", task="newer")["task"]
    order = assignments(sub, [short, older, newer])
    freed = order[0][1]
    assert order[0][0] == short and freed != long_agent, f"{order}"
    # A shared queue would give the freed agent the older task first
    assert order[1:] == [(newer, freed), (older, freed)], (
        f"own backlog (newer) first, then the stolen one (older): {order}")
    client.ok("cancel", task=long_task)


# ---------------------------------------------------------------------------------------
# auction


def test_auction_bids_decide(make_swarm, ctx):
    """Two scripted agents bid what they are told: the lower bid wins, whatever the
    load or the order they registered in."""
    swarm = make_swarm(strategy_yaml("auc", ["{type: job, count: 0}"], strategy="auction",
                                     auction_ms=5000))
    low, high = (RawAgent(ctx, swarm.agents_ep, "job", name) for name in ("a1", "a2"))
    swarm.wait_agents(2)
    client = swarm.client()
    for round_, (cheap, dear) in enumerate([(low, high), (high, low), (low, high)]):
        cheap.bid, dear.bid = 100, 500
        rid = client.send("submit", ttype="job", task=f"t{round_}", wait=True)
        assert client.reply(rid)["t"] == "submit.ok"
        done = serve_until_done([low, high], client, rid)
        winner = "a1" if cheap is low else "a2"
        assert done["agent"] == winner, f"round {round_}: {done!r}"
        offers = [a.seen("task.offer", f"t{round_}") for a in (low, high)]
        assert all(len(o) == 1 for o in offers), "each agent is offered the task once"
        assert offers[0][0][1]["tmo"] == 5000 and offers[0][0][1]["ttype"] == "job"
    # A bid for a task not on offer is dropped without harm
    low.send("task.bid", task="nosuch", bid=1)
    assert client.ok("status")["name"] == "auc"


def test_auction_without_bids_falls_back_to_least_loaded(make_swarm, ctx):
    auction_ms = 300
    swarm = make_swarm(strategy_yaml("mute", ["{type: job, count: 0}"],
                                     strategy="auction", auction_ms=auction_ms))
    mute = RawAgent(ctx, swarm.agents_ep, "job", "mute")
    swarm.wait_agents(1)
    client = swarm.client()
    # Measured from before the submit, which the offer follows: however late the agent
    # reads the offer, the assign can only come auction_ms after this
    submitted = time.monotonic()
    rid = client.send("submit", ttype="job", task="t", wait=True)
    assert client.reply(rid)["t"] == "submit.ok"
    assert serve_until_done([mute], client, rid)["agent"] == "mute"
    (_, offer), = mute.seen("task.offer", "t")
    (assigned, _), = mute.seen("task.assign", "t")
    assert offer["tmo"] == auction_ms
    # less 20 ms: the coordinator's timers go by whole ms
    assert assigned - submitted >= (auction_ms - 20) / 1000, (
        f"assigned {assigned - submitted:.3f} s after the submit, before the deadline")


def test_auction_real_agents_pick_the_faster(make_swarm):
    """zswarm-agent bids its estimate of the run time: once both have run the type,
    the fast agent wins every auction of sequential tasks."""
    agents = [sleeper("fast", 0.02), sleeper("slow", 0.3)]
    swarm = make_swarm(strategy_yaml("auc2", agents, strategy="auction"))
    swarm.wait_agents(2)
    client = swarm.client()
    # Two at once: each agent runs one, and so learns what the type takes it
    first = [client.submit("job")["task"] for _ in range(2)]
    warm = {client.wait(t)["agent"] for t in first}
    assert warm == {"fast-1", "slow-1"}, f"both agents run one first: {warm}"
    ran = [client.run("job")["agent"] for _ in range(8)]
    assert ran == ["fast-1"] * 8, f"the lower bid (fast) must win: {ran}"
