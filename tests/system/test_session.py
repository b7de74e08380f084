# The agent session: hello/welcome, heartbeats both ways, expiry of a silent agent,
# error 4 for an identity that never said hello, and a remote zswarm-agent that comes
# back by itself when zswarmd is killed and restarted on the same ports.

import signal
import time

import pytest
import zmq

from conftest import (E_NO_KEY, E_NOT_REGISTERED, SLOW, VERSION, deadline, pack,
                      stop_process, swarm_yaml, unpack)

HB_MS = 100
LIVENESS = 4
REMOTE_ECHO = "{type: echo, count: 0, handler: builtin, capabilities: [noop, sleep]}"


class FakeAgent:
    """An agent written in Python from the spec: a DEALER on the agents socket."""

    def __init__(self, ctx, endpoint):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)

    def send(self, t, **fields):
        self.sock.send(pack({"v": VERSION, "t": t, **fields}))

    def recv(self, seconds, skip=("heartbeat",)):
        """The next message whose type is not in skip, or None after seconds."""
        until = time.monotonic() + seconds
        while True:
            left = int((until - time.monotonic()) * 1000)
            if left <= 0 or not self.sock.poll(left, zmq.POLLIN):
                return None
            frames = self.sock.recv_multipart()
            assert len(frames) == 1, f"agents socket sent {len(frames)} frames: {frames!r}"
            msg = unpack(frames[0], "message to an agent")
            if msg["t"] not in skip:
                return msg

    def hello(self, atype, agent=None, conc=1):
        self.send("hello", atype=atype, conc=conc, host="fakehost", pid=4242,
                  **({"agent": agent} if agent else {}))
        msg = self.recv(10)
        assert msg is not None and msg["t"] == "welcome", f"hello got {msg!r}"
        return msg


def test_message_before_hello_gets_error_4(swarm, ctx):
    fake = FakeAgent(ctx, swarm.agents_ep)
    for t, fields in [("heartbeat", {}), ("task.ack", {"task": "x", "att": 1}),
                      ("task.result", {"task": "x", "att": 1, "status": "ok"}),
                      ("task.progress", {"task": "x", "att": 1, "pct": 5})]:
        fake.send(t, **fields)
        msg = fake.recv(10)
        assert msg is not None, f"no reply to {t} from an unknown identity"
        assert msg["t"] == "error" and msg.get("code") == E_NOT_REGISTERED, (
            f"{t} before hello: expected error 4, got {msg!r}")
    # and after hello the same identity is served
    welcome = fake.hello("echo", agent="py-1")
    assert welcome["agent"] == "py-1", f"welcome ignores the id we asked for: {welcome!r}"
    fake.send("heartbeat", load=0)
    # zswarmd handles an agent's messages in order: an answer to the heartbeat would
    # come before the answer to a request sent after it
    fake.send("mem.get", rid=1, key="zs-probe")
    msg = fake.recv(10)
    assert msg is not None and msg.get("rid") == 1 and msg.get("code") == E_NO_KEY, (
        f"a heartbeat after welcome was answered: {msg!r}")


def test_hello_welcome_heartbeat_and_expiry(make_swarm, ctx):
    swarm = make_swarm(swarm_yaml("session", [REMOTE_ECHO], hb=HB_MS, liveness=LIVENESS))
    sub = swarm.subscribe()
    fake = FakeAgent(ctx, swarm.agents_ep)
    welcome = fake.hello("echo", conc=3)
    assert welcome["atype"] == "echo" and welcome["hb"] == HB_MS, f"welcome: {welcome!r}"
    assert welcome["live"] == LIVENESS and welcome["conc"] == 3, f"welcome: {welcome!r}"
    assert welcome["handler"] == "builtin", f"welcome handler: {welcome!r}"
    agent_id = welcome["agent"]
    assert agent_id.startswith("echo-"), f"made-up ids are '<atype>-<n>': {welcome!r}"
    joined = sub.wait_for(lambda m: m["t"] == "agent.joined" and m["agent"] == agent_id,
                          10, f"agent.joined {agent_id}")
    assert joined.get("host") == "fakehost" and joined.get("pid") == 4242, f"{joined!r}"
    assert not joined.get("local"), f"a remote agent announced as local: {joined!r}"
    (record,) = swarm.agents()
    assert record["host"] == "fakehost" and not record.get("local"), f"{record!r}"

    # We heartbeat for 3 liveness periods, and on until zswarmd has heartbeaten us back
    # twice; it must keep us all along
    heard = 0
    kept = time.monotonic() + 3 * LIVENESS * HB_MS / 1000
    until = deadline(10)
    while time.monotonic() < kept or heard < 2:
        assert time.monotonic() < until, (
            f"zswarmd sent {heard} heartbeats in {10 * SLOW:.0f} s")
        fake.send("heartbeat", load=0)
        msg = fake.recv(HB_MS / 1000, skip=())
        if msg is not None:
            assert msg["t"] == "heartbeat", f"idle agent got {msg!r}"
            heard += 1
    assert [a["agent"] for a in swarm.agents()] == [agent_id], "heartbeating agent lost"
    assert not [m for m in sub.seen if m["t"] == "agent.left"], "agent.left while alive"

    # A task for us: check task.assign, then go silent and let zswarmd expire us
    client = swarm.client()
    rid = client.send("submit", ttype="echo", payload=b"\x00retry me", task="lost-1",
                      tries=2, tmo=60000, wait=True)
    assert client.reply(rid)["t"] == "submit.ok"
    assign = fake.recv(10)
    assert assign is not None and assign["t"] == "task.assign", f"expected assign: {assign!r}"
    assert assign["task"] == "lost-1" and assign["ttype"] == "echo", f"{assign!r}"
    assert assign["att"] == 1 and assign["payload"] == b"\x00retry me", f"{assign!r}"
    assert assign.get("tmo") == 60000, f"assign carries the task's timeout: {assign!r}"
    silent_at = time.monotonic()  # before our last message, which zswarmd reads later
    fake.send("task.ack", task="lost-1", att=1)
    left = sub.wait_for(lambda m: m["t"] == "agent.left" and m["agent"] == agent_id,
                        10, f"agent.left for silent {agent_id}")
    assert time.monotonic() - silent_at >= (LIVENESS - 1) * HB_MS / 1000, (
        f"agent expired before {LIVENESS} silent intervals: {left!r}")
    state = client.ok("task", task="lost-1")
    assert state["state"] == "ready" and state["att"] == 1, (
        f"the task of a lost agent goes back to ready: {state!r}")

    # A second fake agent finishes attempt 2; the late result of attempt 1 is dropped
    other = FakeAgent(ctx, swarm.agents_ep)
    other.hello("echo", agent="py-2")
    assign2 = other.recv(10)
    assert assign2 is not None and assign2["t"] == "task.assign" and assign2["att"] == 2, (
        f"retry should be attempt 2: {assign2!r}")
    other.send("task.result", task="lost-1", att=2, status="ok", stdout=b"second")
    done = client.reply(rid, seconds=10)
    assert done["state"] == "completed" and done["att"] == 2, f"{done!r}"
    assert done["agent"] == "py-2" and done["stdout"] == b"second", f"{done!r}"
    fake.send("task.result", task="lost-1", att=1, status="ok", stdout=b"late")
    late = fake.recv(10)
    assert late is not None and late["t"] == "error" and late["code"] == E_NOT_REGISTERED, (
        f"an expired agent's message should get error 4: {late!r}")
    again = client.ok("task", task="lost-1")
    assert again["stdout"] == b"second" and again["att"] == 2, f"late result used: {again!r}"

    # bye: the agent leaves at once
    other.send("bye", why="test done")
    sub.wait_for(lambda m: m["t"] == "agent.left" and m["agent"] == "py-2", 10,
                 "agent.left after bye")
    assert swarm.agents() == [], f"agents after bye: {swarm.agents()!r}"


def restart_on(make_swarm, first, name):
    """Start a zswarmd bound to first's ports. The ports were freed by the kill; another
    process may take one meanwhile (tests run in parallel), so retry a few times."""
    bind = {"agents": first.agents_ep, "events": first.events_ep,
            "control": first.control_ep}
    text = swarm_yaml(name, [REMOTE_ECHO], hb=HB_MS, liveness=LIVENESS, bind=bind)
    for attempt in range(10):
        swarm = make_swarm(text, name=f"{name}-{attempt}", start=False)
        try:
            return swarm.start()
        except pytest.fail.Exception:
            if "bind" not in swarm.log_tail() or attempt == 9:
                raise
            time.sleep(0.2)


def test_remote_agent_survives_coordinator_restart(make_swarm, start_agent):
    first = make_swarm(swarm_yaml("first", [REMOTE_ECHO], hb=HB_MS, liveness=LIVENESS))
    agent = start_agent(first.agents_ep, "echo", agent_id="remote-1")
    (record,) = first.wait_agents(1)
    assert record["agent"] == "remote-1" and record["atype"] == "echo", f"{record!r}"
    assert record.get("host"), f"a remote agent reports its host: {record!r}"
    assert not record.get("local") and record["pid"] == agent.pid, f"{record!r}"
    done = first.control.run("echo", "before")
    assert done["agent"] == "remote-1" and done["stdout"] == b"before", f"{done!r}"

    first.close_sockets()
    first.proc.kill()
    assert first.proc.wait(timeout=10) == -signal.SIGKILL

    second = restart_on(make_swarm, first, "second")
    sub = second.subscribe()
    # By itself, within a few heartbeats (generous: the machine may be loaded)
    (again,) = second.wait_agents(1, seconds=10)
    assert again["agent"] == "remote-1" and again["pid"] == agent.pid, (
        f"the same agent process should re-register: {again!r}")
    assert agent.poll() is None, "the agent exited when its coordinator died"
    done = second.control.run("echo", "after")
    assert done["agent"] == "remote-1" and done["stdout"] == b"after", f"{done!r}"

    # SIGTERM: the agent says bye and exits 0
    assert stop_process(agent, signal.SIGTERM, 10) == 0, "agent did not exit 0 on SIGTERM"
    sub.wait_for(lambda m: m["t"] == "agent.left" and m["agent"] == "remote-1", 10,
                 "agent.left after the agent's SIGTERM")
    assert second.agents() == [], "agent still listed after it left"


def test_hello_with_a_registered_id_takes_over(make_swarm, ctx):
    """PROTOCOL.md §5.3: a hello naming an agent id registered on another connection
    takes over; the old session's attempts are retried."""
    swarm = make_swarm(swarm_yaml("takeover", [REMOTE_ECHO], hb=HB_MS, liveness=LIVENESS))
    old = FakeAgent(ctx, swarm.agents_ep)
    old.hello("echo", agent="same-id")
    client = swarm.client()
    rid = client.send("submit", ttype="echo", payload=b"x", task="to-1", tries=2, wait=True)
    assert client.reply(rid)["t"] == "submit.ok"
    first = old.recv(10)
    assert first is not None and first["t"] == "task.assign", f"{first!r}"

    new = FakeAgent(ctx, swarm.agents_ep)
    welcome = new.hello("echo", agent="same-id")
    assert welcome["agent"] == "same-id", f"{welcome!r}"
    retry = new.recv(10)
    assert retry is not None and retry["t"] == "task.assign" and retry["att"] == 2, (
        f"the old session's attempt should be retried on the new one: {retry!r}")
    # the old session's result is no longer expected
    old.send("task.result", task="to-1", att=1, status="ok", stdout=b"old")
    new.send("task.result", task="to-1", att=2, status="ok", stdout=b"new")
    done = client.reply(rid)
    assert done["att"] == 2 and done["stdout"] == b"new", f"{done!r}"
    (record,) = swarm.agents()
    assert record["agent"] == "same-id", f"{record!r}"


def test_coordinator_enforces_the_timeout(make_swarm, ctx):
    """An attempt still running after tmo + 2 x hb is cancelled on the agent and fails
    as a timeout, even if the agent never reports."""
    swarm = make_swarm(swarm_yaml("tmo", [REMOTE_ECHO], hb=HB_MS, liveness=LIVENESS))
    fake = FakeAgent(ctx, swarm.agents_ep)
    fake.hello("echo", agent="mute")
    client = swarm.client()
    rid = client.send("submit", ttype="echo", payload=b"x", task="mute-1", tmo=300,
                      tries=1, wait=True)
    assert client.reply(rid)["t"] == "submit.ok"
    assign = fake.recv(10)
    assert assign is not None and assign["t"] == "task.assign", f"{assign!r}"
    fake.send("task.ack", task="mute-1", att=1)
    # keep the session alive, never report: zswarmd must cancel the attempt itself
    cancel = None
    until = deadline(10)
    while cancel is None and time.monotonic() < until:
        fake.send("heartbeat", load=1)
        cancel = fake.recv(HB_MS / 1000)
    assert cancel is not None and cancel["t"] == "task.cancel", (
        f"expected task.cancel for the overdue attempt, got {cancel!r}")
    assert cancel["task"] == "mute-1" and cancel["att"] == 1, f"{cancel!r}"
    done = client.reply(rid)
    assert done["state"] == "dead" and done.get("status") == "timeout", (
        f"the task should end dead with status 'timeout': {done!r}")
