# What zswarm.Agent hears on the events socket (PROTOCOL.md §9.1): broadcasts to all
# agents or to its type, pauses and resumes of its id or type, and a missed event
# repaired with agent.sync from the heartbeats' aseq; and the Client's side of it:
# broadcast, pause, resume, submit(agent=...), agents(capability=...).

import os
import queue

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
    assert c.resume(agent=agent.id) == 1
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
