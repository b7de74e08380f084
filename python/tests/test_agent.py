# zswarm.Agent against a real zswarmd: sync and async handlers, progress, busy,
# cancel, timeout, re-registration after a coordinator restart, shared memory from a
# handler, messages under mesh, votes, and agent programs that zswarmd spawns
# (swarm file 'program') and restarts.

import asyncio
import os
import queue
import re
import signal
import sys
import threading

import pytest

import zswarm
from conftest import (PACKAGE_DIR, Swarm, agent_subscribed, next_event, probe_events,
                      seconds, swarm_yaml, until)

PY_TYPE = "{type: py, count: 0, concurrency: 2}"
EXAMPLE = os.path.join(PACKAGE_DIR, "..", "examples", "agent.py")


def upper(ctx):
    ctx.progress(50, "halfway")
    return ctx.payload.upper()


async def nap(ctx):
    await asyncio.sleep(float(ctx.payload or b"0"))
    return f"napped {ctx.task} {ctx.attempt}"


@pytest.fixture
def py_swarm(make_swarm):
    return make_swarm(swarm_yaml([PY_TYPE]))


def test_sync_and_async_handlers(py_swarm):
    c = py_swarm.client()
    agent = py_swarm.agent("py", {"upper": upper, "nap": nap, "boom": lambda ctx: 1 / 0})
    with c.events("task.", timeout=seconds(10)) as stream:
        probe_events(c, stream, "p")
        until(lambda: agent.welcome, "the agent's welcome")
        record = c.agents()[0]
        assert record["atype"] == "py" and record["pid"] == os.getpid()
        assert agent.id == record["agent"] and agent.welcome["conc"] == 2
        result = c.run("upper", b"abc", wait_timeout=seconds(10))
        assert result.ok and result.stdout == b"ABC" and result.agent == agent.id
        progress = next_event(stream, lambda e: e.type == "task.progress")
        assert progress["task"] == result.task and progress["pct"] == 50
        assert progress["note"] == "halfway" and progress["agent"] == agent.id
    result = c.run("nap", b"0.01", id="n1", wait_timeout=seconds(10))
    assert result.ok and result.stdout == b"napped n1 1"
    failed = c.run("boom", retries=0, wait_timeout=seconds(10))
    assert failed.state == "dead" and failed.why == "ZeroDivisionError: division by zero"
    assert b"Traceback" in failed.stderr


def test_fail_final_and_output(py_swarm):
    c = py_swarm.client()

    def fails(ctx):
        raise zswarm.Fail(f"nope {ctx.attempt}", final=True, exit=3, stdout="partial")

    py_swarm.agent("py", {"fails": fails, "big": lambda ctx: b"x" * 70000})
    result = c.run("fails", retries=5, wait_timeout=seconds(10))
    assert result.state == "dead" and result.why == "nope 1" and result.attempt == 1
    assert result.exit == 3 and result.stdout == b"partial"
    big = c.run("big", wait_timeout=seconds(10))
    assert big.ok and len(big.stdout) == 65536 and "truncated" in big.why


def test_cancel_and_timeout(py_swarm):
    c = py_swarm.client()
    started = threading.Event()
    seen = []

    async def long(ctx):
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            seen.append(("cancelled", ctx.task))
            raise

    def polls(ctx):
        started.set()
        while not ctx.cancelled:
            threading.Event().wait(0.01)
        seen.append(("flag", ctx.task))

    agent = py_swarm.agent("py", {"long": long, "polls": polls})
    for ttype in ("long", "polls"):
        started.clear()
        task = c.submit(ttype, id=f"c-{ttype}")
        assert started.wait(seconds(10))
        assert c.cancel(task) == "cancelled"
        assert c.wait(task, timeout=seconds(10)).state == "cancelled"
    until(lambda: len(seen) == 2, "both handlers stopped")
    assert seen == [("cancelled", "c-long"), ("flag", "c-polls")]
    timed = c.run("long", timeout=0.2, retries=0, wait_timeout=seconds(10))
    assert timed.state == "dead" and timed.status == "timeout"
    assert timed.why == "timed out after 200 ms"
    until(lambda: agent.load() == 0, "the timed out handler's end")


def test_busy_over_concurrency(py_swarm):
    """A sync handler that ignores its timeout keeps its slot: the next assign is
    answered busy and the task runs once the slot is free."""
    c = py_swarm.client()
    release = threading.Event()

    def stuck(ctx):
        release.wait(seconds(20))
        return b"late"

    py_swarm.agent("py", {"stuck": stuck, "upper": upper}, concurrency=1)
    with c.events("task.", timeout=seconds(10)) as stream:
        probe_events(c, stream, "b")
        dead = c.run("stuck", timeout=0.2, retries=0, wait_timeout=seconds(10))
        assert dead.status == "timeout"
        task = c.submit("upper", b"q", id="queued")
        next_event(stream, lambda e: e.type == "task.assigned" and e["task"] == task)
        # busy: not an attempt; the task is queued again
        next_event(stream, lambda e: e.type == "task.ready" and e["task"] == task)
        assert c.task(task).state in ("ready", "assigned")
        release.set()
        result = c.wait(task, timeout=seconds(10))
    assert result.ok and result.stdout == b"Q"


def test_shared_memory_from_a_handler(py_swarm):
    c = py_swarm.client()

    def remember(ctx):
        version = ctx.mem_put("notes/" + ctx.task, ctx.payload, tags=["py"])
        entry = ctx.mem_get("notes/" + ctx.task)
        keys = ctx.mem_query("notes/", tags=["py"])
        level = ctx.mem_deposit("trail", 5, half_life=60)["level"]
        return f"{version} {entry['value'].decode()} {','.join(keys)} {level}"

    async def remember_async(ctx):
        version = await ctx.mem_put("async/" + ctx.task, b"a")
        return str((await ctx.mem_get("async/" + ctx.task))["version"] + version)

    agent = py_swarm.agent("py", {"remember": remember, "remember_async": remember_async})
    result = c.run("remember", b"hello", id="m1", wait_timeout=seconds(10))
    assert result.ok and result.stdout == b"1 hello notes/m1 5"
    assert c.mem_get("notes/m1")["agent"] == agent.id
    assert c.run("remember_async", id="m2", wait_timeout=seconds(10)).stdout == b"2"


def test_messages_between_agents_under_mesh(make_swarm):
    s = make_swarm(swarm_yaml([PY_TYPE], extra="topology: mesh\n"))
    c = s.client()
    inbox = []
    got = threading.Event()

    acks = []

    def on_message(sender, payload):
        inbox.append((sender, payload))
        listener.peer.send(sender, b"ack " + payload)   # a reply outside any task
        if len(inbox) == 2:
            got.set()

    async def on_ack(sender, payload):
        acks.append(payload)

    def tell(ctx):
        ctx.send("listener", b"direct " + ctx.payload)
        ctx.share(b"to all")
        return b"sent"

    listener = s.agent("py", on_message=on_message, id="listener")
    talker = s.agent("py", {"tell": tell}, id="talker", on_message=on_ack)
    until(lambda: "listener" in talker.neighbours, "the neighbours")
    assert talker.role == "peer"
    assert c.run("tell", b"hi", wait_timeout=seconds(10)).ok
    assert got.wait(seconds(10))
    assert sorted(inbox) == [("talker", b"direct hi"), ("talker", b"to all")]
    until(lambda: len(acks) == 2, "the replies")
    assert sorted(acks) == [b"ack direct hi", b"ack to all"]


def test_vote_answered(py_swarm):
    c = py_swarm.client()
    asked = []

    def on_vote(ask):
        asked.append(ask)
        return ("yes", 900) if "ship" in ask["question"] else "no"

    async def on_vote_async(ask):
        return "yes"

    py_swarm.agent("py", on_vote=on_vote)
    py_swarm.agent("py", on_vote=on_vote_async)
    until(lambda: len(c.agents()) == 2, "two agents")
    vote = c.vote("ship it?", ["yes", "no"], voters=["py"], deadline=10)
    state = until(lambda: (lambda st: st if st["state"] != "open" else None)(
        c.vote_status(vote["vote"])), "the decision")
    assert state["state"] == "decided" and state["option"] == "yes"
    assert state["cast"] == 2 and asked[0]["options"] == ["yes", "no"]
    assert any(b.endswith(" 900 1") for b in state["ballots"])


def test_vote_answer_of_the_swarm_file(make_swarm):
    """Without on_vote, the type's 'vote' answer (the welcome's option) is cast."""
    s = make_swarm(swarm_yaml(["{type: py, count: 0, vote: maybe}"]))
    c = s.client()
    agent = s.agent("py")
    until(lambda: agent.welcome, "the welcome")
    assert agent.welcome["option"] == "maybe"
    vote = c.vote("well?", ["maybe", "no"], voters=["py"])["vote"]
    state = until(lambda: (lambda st: st if st["state"] != "open" else None)(
        c.vote_status(vote)), "the decision")
    assert state["state"] == "decided" and state["option"] == "maybe"


def test_reregistration_after_a_coordinator_restart(make_swarm, workdir):
    first = make_swarm(swarm_yaml([PY_TYPE]))
    waiting = threading.Event()
    ended = []

    def waiter(ctx):
        child = ctx.submit("nobody-runs-this")
        waiting.set()
        try:
            ctx.wait(child)
        except zswarm.ClientClosed as exc:   # the wait ends with the session
            ended.append(str(exc))

    agent = first.agent("py", {"upper": upper, "waiter": waiter}, id="steady")
    c = first.client()
    until(lambda: c.agents(), "the first registration")
    c.submit("waiter")
    assert waiting.wait(seconds(10))
    c.close()
    first.clients = []
    first.proc.kill()   # no bye: the agent finds out by itself
    first.proc.wait()
    text = swarm_yaml([PY_TYPE]).replace(
        'agents: "tcp://127.0.0.1:*"', f'agents: "{first.agents_ep}"')
    second = Swarm(os.path.join(workdir), text)
    os.makedirs(second.workdir, exist_ok=True)
    second.start()
    try:
        c2 = second.client()
        until(lambda: [a for a in c2.agents() if a["agent"] == "steady"],
              "the re-registration", timeout=20)
        assert c2.run("upper", b"again", wait_timeout=seconds(10)).stdout == b"AGAIN"
        assert agent.id == "steady"
        assert ended and ("session was lost" in ended[0] or "replaced" in ended[0]), ended
        until(lambda: agent.load() == 0, "the waiting handler's end")
    finally:
        second.stop()


def test_program_spawned_and_supervised(make_swarm):
    program = f"[{sys.executable}, {os.path.abspath(EXAMPLE)}]"
    s = make_swarm(swarm_yaml([f"{{type: py, count: 1, concurrency: 2, program: {program}}}"]))
    c = s.client()
    first = until(lambda: c.agents(), "the spawned agent", timeout=20)[0]
    assert first["agent"] == "py-1" and first["local"]
    result = c.run("upper", b"spawned", wait_timeout=seconds(10))
    assert result.ok and result.stdout == b"SPAWNED" and result.agent == "py-1"
    with open(f"/proc/{first['pid']}/environ", "rb") as f:
        environ = f.read()
    assert not re.search(rb"ZSWARM_AGENT_SECRET=[0-9a-f]{64}", environ)
    with c.events(("agent.", "task."), timeout=seconds(10)) as stream:
        probe_events(c, stream, "s")
        os.kill(first["pid"], signal.SIGKILL)
        exited = next_event(stream, lambda e: e.type == "agent.exited")
        assert exited["pid"] == first["pid"] and exited["exit"] == -9
        joined = next_event(stream, lambda e: e.type == "agent.joined", timeout=20)
        assert joined["agent"] == "py-1" and joined["pid"] != first["pid"]
        assert c.run("nap", b"0", wait_timeout=seconds(10)).stdout.startswith(b"py-1 ")
        c.stop("py-1")   # SIGTERM: the agent says bye and exits 0
        left = next_event(stream, lambda e: e.type == "agent.left")
        assert left["why"] == "stopping on SIGTERM"
        exited = next_event(stream, lambda e: e.type == "agent.exited")
        assert exited.get("exit", 0) == 0


def test_heartbeats_keep_an_idle_session(py_swarm):
    """hb 100 ms, live 5: idle for three liveness periods, the agent stays registered
    on the same session (no agent.left), its heartbeats being all the coordinator
    hears."""
    c = py_swarm.client()
    with c.events(("agent.", "task."), timeout=seconds(10)) as stream:
        probe_events(c, stream, "h")
        agent = py_swarm.agent("py", {"upper": upper})
        next_event(stream, lambda e: e.type == "agent.joined")
        left = []
        deadline = threading.Event()
        threading.Timer(1.5, deadline.set).start()
        while not deadline.is_set():
            item = stream.get(0.05)
            if isinstance(item, dict) and item.type == "agent.left":
                left.append(item)
        assert left == [] and [a["agent"] for a in c.agents()] == [agent.id]


def test_silence_means_a_new_socket(py_swarm):
    """A coordinator that says nothing for live x hb (here: stopped) is deemed dead:
    the agent opens a new socket and says hello again until welcomed."""
    c = py_swarm.client()
    agent = py_swarm.agent("py", {"upper": upper}, id="alive")
    until(lambda: agent.welcome, "the welcome")
    first_socket = agent._session._sock
    os.kill(py_swarm.proc.pid, signal.SIGSTOP)
    try:
        until(lambda: agent._session._sock is not first_socket, "a new socket")
        assert not agent._session.welcomed
    finally:
        os.kill(py_swarm.proc.pid, signal.SIGCONT)
    until(lambda: agent._session.welcomed, "the welcome on the new socket")
    assert agent.id == "alive"
    assert c.run("upper", b"back", wait_timeout=seconds(10)).stdout == b"BACK"


def test_curve_agents(make_swarm, workdir):
    """Under security: an agent program zswarmd starts with --cert and --server-key,
    and an agent with keys of its own from the agents directory."""
    import zmq.auth
    for sub in ("agents", "clients"):
        os.mkdir(os.path.join(workdir, sub))
    server_pub, server_secret = zmq.auth.create_certificates(workdir, "coord")
    _, agent_secret = zmq.auth.create_certificates(os.path.join(workdir, "agents"), "bob")
    _, client_secret = zmq.auth.create_certificates(os.path.join(workdir, "clients"), "al")
    extra = (f'security: {{cert: "{server_secret}", agents: "{workdir}/agents", '
             f'clients: "{workdir}/clients"}}\n')
    program = f"[{sys.executable}, {os.path.abspath(EXAMPLE)}]"
    s = make_swarm(swarm_yaml([f"{{type: py, count: 1, program: {program}}}",
                               "{type: own, count: 0}"], extra))
    c = s.client(cert=client_secret, server_key=server_pub)
    until(lambda: c.agents(), "the spawned agent under CURVE", timeout=20)
    assert c.run("upper", b"curve", wait_timeout=seconds(10)).stdout == b"CURVE"
    heard = queue.Queue()
    s.agent("own", {"own": lambda ctx: b"mine"}, cert=agent_secret,
            server_key=server_pub, on_broadcast=lambda p, t: heard.put((p, t)))
    assert c.run("own", wait_timeout=seconds(10)).stdout == b"mine"
    agent_subscribed(c, heard, type="own")   # its events socket takes the same keys
    with pytest.raises(zswarm.ValidationError, match="server_key"):
        zswarm.Agent("own", connect=s.agents_ep, cert=agent_secret)


def test_arguments_checked(monkeypatch):
    """The command line zswarmd gives an agent program, and what is refused."""
    agent = zswarm.Agent.from_argv(None, ["--connect", "tcp://127.0.0.1:1", "--type", "py",
                                          "--id", "py-1", "--parent", "1", "--events",
                                          "tcp://127.0.0.1:2", "-n", "3"])
    try:
        assert (agent.atype, agent.id, agent.parent, agent.concurrency) == \
            ("py", "py-1", 1, 3)
        assert agent.events_endpoint == "tcp://127.0.0.1:2"
    finally:
        agent.close()
    for argv in (["--type", "not ok"], ["--type", "py", "-n", "0"], ["--id", "x"]):
        with pytest.raises(SystemExit):
            zswarm.Agent.from_argv(None, argv)
    with pytest.raises(zswarm.ValidationError, match="at most 64"):
        zswarm.Agent("py", {f"t{i}": upper for i in range(65)})
    monkeypatch.setenv("ZSWARM_AGENT_SECRET", "not hex")
    with pytest.raises(zswarm.ValidationError, match="64 hex digits"):
        zswarm.Agent("py")
