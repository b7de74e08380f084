# What zswarm.Agent hears on the events socket (PROTOCOL.md §9.1): broadcasts to all
# agents or to its type, pauses and resumes of its id or type, and a missed event
# repaired with agent.sync from the heartbeats' aseq; and the Client's side of it:
# broadcast, pause, resume, submit(agent=...), agents(capability=...).

import os
import queue

import msgpack
import pytest

import zswarm

from conftest import (agent_subscribed, echo_type, next_broadcast, next_event,
                      probe_events, seconds, swarm_yaml, until)

PY_TYPE = "{type: py, count: 0, concurrency: 2}"


def work(ctx):
    return b"worked"


def listening_agent(swarm, **options):
    heard = queue.Queue()
    agent = swarm.agent("py", {"work": work},
                        on_broadcast=lambda payload, atype: heard.put((payload, atype)),
                        **options)
    return agent, heard


def test_broadcast_reaches_its_agents_only(make_swarm):
    s = make_swarm(swarm_yaml([PY_TYPE, echo_type(count=1)]))
    c = s.client()
    agent, heard = listening_agent(s)
    s.wait_agents(c, 2)
    agent_subscribed(c, heard)
    assert c.broadcast(b"to echo", type="echo") == 1      # not ours: never heard
    assert c.broadcast("to all") == 2
    assert next_broadcast(heard) == (b"to all", None)

    async def hear(payload, atype):                       # an async callback too
        heard.put((payload, atype))
    agent.on_broadcast = hear
    assert c.broadcast(b"\x00to py", type="py") == 1
    assert next_broadcast(heard) == (b"\x00to py", "py")
    assert heard.empty()


def test_pause_and_resume_seen_and_respected(make_swarm):
    s = make_swarm(swarm_yaml([PY_TYPE]))
    c = s.client()
    agent, heard = listening_agent(s)
    s.wait_agents(c, 1)
    agent_subscribed(c, heard)
    with c.events(("agent.", "task."), timeout=seconds(10)) as stream:
        probe_events(c, stream, "p")
        assert c.pause(agent=agent.id) == 1
        paused = next_event(stream, lambda e: e.type == "agent.paused")
        until(lambda: agent.paused, "the agent to hear its pause")
        assert agent._listen.aseq == paused["aseq"]
        assert c.agents()[0]["paused"] is True
        task = c.submit("work")
        # a free slot, but paused: the submit's own turn of the loop did not assign it
        assert c.task(task).state == "ready"
        assert c.resume(type="py") == 1
        until(lambda: not agent.paused, "the agent to hear its resume")
        assert c.wait(task, seconds(10)).stdout == b"worked"
        assert "paused" not in c.agents()[0]


def test_missed_pause_repaired_by_sync(make_swarm, workdir):
    # Subscribed where nothing publishes, the agent misses every event addressed to
    # agents: the heartbeats' aseq shows the gap, and agent.sync gives the state
    s = make_swarm(swarm_yaml([PY_TYPE]))
    c = s.client()
    agent = s.agent("py", {"work": work},
                    events="ipc://" + os.path.join(workdir, "nothing-here"))
    s.wait_agents(c, 1)
    assert c.pause(type="py") == 1
    until(lambda: agent.paused, "the agent to repair its view", timeout=20)
    assert agent._listen.aseq == 1
    with pytest.raises(zswarm.Invalid, match="type .py. is paused"):
        c.resume(agent=agent.id)                         # the type's pause holds it
    assert c.resume(type="py") == 1
    until(lambda: not agent.paused, "the agent to learn of its resume", timeout=20)
    assert agent._listen.aseq == 2


def test_paused_in_the_welcome(make_swarm):
    s = make_swarm(swarm_yaml([PY_TYPE]))
    c = s.client()
    assert c.pause(type="py") == 0                        # none yet: holds for later ones
    agent = s.agent("py", {"work": work})
    until(lambda: agent.welcome, "the welcome")
    assert agent.paused and agent.welcome["paused"] is True


def test_submit_to_one_agent_and_the_capability_filter(make_swarm):
    s = make_swarm(swarm_yaml([PY_TYPE, echo_type(count=2)]))
    c = s.client()
    agent = s.agent("py", {"render": lambda ctx: b"drawn"})
    s.wait_agents(c, 3)
    for _ in range(3):
        assert c.run("noop", agent="echo-2", wait_timeout=seconds(10)).agent == "echo-2"
    assert sorted(a["agent"] for a in c.agents(capability="noop")) == ["echo-1",
                                                                        "echo-2"]
    assert [a["agent"] for a in c.agents(capability="render")] == [agent.id]
    assert [a["agent"] for a in c.agents(capability="py")] == [agent.id]
    assert c.agents(capability="nothing") == []
    (record,) = c.agents(capability="render")
    assert record["caps"] == ["render"]
    # its heartbeats report the process's resource use, as zswarm-agent's do
    record = until(lambda: [a for a in c.agents(capability="render") if a.get("rss")],
                   "the agent's resource use")[0]
    assert record["rss"] > 1 << 20 and record.get("cpu", 0) >= 0


def test_aseq_gaps_and_endpoints():
    """zswarm._listen alone: which events are taken, which gaps are seen, and where a
    wildcard events endpoint leads."""
    from zswarm._listen import Listen, resolve
    taken, gaps = [], []
    listen = Listen(None, lambda e: taken.append(e["aseq"]), lambda: gaps.append(1))
    listen.restart(3)
    for aseq in (2, 3, 4, 4, 6):            # old, old, next, again, one skipped: a gap
        listen._take({"t": "agent.paused", "aseq": aseq})
    assert taken == [4, 6] and len(gaps) == 1
    listen.heard(9)                          # ahead: maybe the event is on its way
    listen._take({"t": "agent.paused", "aseq": 7})
    listen.heard(9)                          # still ahead a heartbeat later: but a sync
    assert len(gaps) == 1                    # is asked already, and not answered
    listen.synced(9)
    listen.heard(9)
    listen.heard(10)
    assert len(gaps) == 1
    listen.heard(10)                         # a heartbeat later, still ahead: a gap
    assert len(gaps) == 2 and listen.aseq == 9
    listen.synced(10)
    listen.heard(11)
    listen._take({"t": "agent.resumed", "aseq": 11})   # it came: no gap
    listen.heard(11)
    assert len(gaps) == 2 and taken == [4, 6, 7, 11]
    assert resolve("tcp://0.0.0.0:7601", "tcp://10.1.2.3:7600") == "tcp://10.1.2.3:7601"
    assert resolve("tcp://*:7601", "tcp://box:7600") == "tcp://box:7601"
    assert resolve("tcp://[::]:7601", "tcp://[::1]:7600") == "tcp://[::1]:7601"
    assert resolve("tcp://127.0.0.1:7601", "tcp://box:7600") == "tcp://127.0.0.1:7601"
    assert resolve("tcp://*:7601", "ipc:///tmp/a") == "tcp://*:7601"
    assert resolve("ipc:///tmp/e", "tcp://box:7600") == "ipc:///tmp/e"


def test_events_of_others_dropped():
    from zswarm._listen import Listen
    good = {"v": 1, "t": "agent.broadcast", "aseq": 1, "payload": b"x"}
    assert Listen._decode([b"agent.broadcast", msgpack.packb(good)]) == good
    for frames in ([b"agent.broadcast"],
                   [b"agent.broadcast", b"\xc1"],
                   [b"agent.paused", msgpack.packb(good)],           # topic not its type
                   [b"task.ready", msgpack.packb(dict(good, t="task.ready"))],
                   [b"agent.broadcast", msgpack.packb(dict(good, v=2))],
                   [b"agent.broadcast", msgpack.packb(dict(good, aseq="1"))],
                   [b"agent.broadcast", msgpack.packb({"v": 1, "t": "agent.broadcast",
                                                       "aseq": 1})],  # no payload
                   [b"agent.broadcast", msgpack.packb([1])]):
        assert Listen._decode(frames) is None, frames


def test_a_second_welcome_of_one_session():
    """A welcome that answers a retried hello, within the session (zswarmd played by a
    ROUTER here): the attempts run on, and its paused is taken."""
    import threading

    import zmq
    zctx = zmq.Context()
    router = zctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    router.bind("tcp://127.0.0.1:*")
    release = threading.Event()

    def hold(ctx):
        release.wait(seconds(10))
        return b"held"

    def recv(t):
        while True:
            assert router.poll(seconds(10) * 1000), f"no {t} from the agent"
            peer, frame = router.recv_multipart()
            msg = msgpack.unpackb(frame)
            if msg["t"] == t:
                return peer, msg

    def send(peer, t, **fields):
        router.send_multipart([peer, msgpack.packb(dict(fields, v=1, t=t))])

    welcome = {"agent": "py-1", "atype": "py", "conc": 1, "hb": 1000, "live": 5,
               "handler": "builtin", "aseq": 4}
    agent = zswarm.Agent("py", {"hold": hold}, connect=router.getsockopt_string(
        zmq.LAST_ENDPOINT), events="ipc:///nonexistent/zswarm-events").start()
    try:
        peer, _ = recv("hello")
        send(peer, "welcome", **welcome)
        send(peer, "task.assign", task="t1", ttype="hold", att=1)
        recv("task.ack")
        send(peer, "welcome", paused=True, **dict(welcome, aseq=1))
        until(lambda: agent.paused, "the second welcome")
        assert agent._listen.aseq == 4          # the session's count goes on
        release.set()
        _, result = recv("task.result")
        assert (result["task"], result["status"], result["stdout"]) == \
            ("t1", "ok", b"held")
    finally:
        release.set()
        agent.close()
        zctx.destroy(linger=0)
