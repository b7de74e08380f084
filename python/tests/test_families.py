# Every message family of the protocol, written with the zswarm package alone (no
# pyzmq or msgpack here): session, tasks, control, shared memory, votes, providers and
# events, each from the client's side and the agent's where it has one.

import queue
import threading

from conftest import (agent_subscribed, echo_type, next_broadcast, next_event,
                      probe_events, seconds, swarm_yaml, until)

PROVIDERS = """providers:
  local:
    kind: ollama
    base_url: http://127.0.0.1:9
    model: tiny
    price_in: 1
    price_out: 2
"""


def test_every_family(make_swarm):
    s = make_swarm(swarm_yaml(["{type: py, count: 0, concurrency: 2}",
                               echo_type(count=0)], extra=PROVIDERS))
    c = s.client()
    release = threading.Event()
    heard = queue.Queue()

    def work(ctx):                                          # tasks, mem, providers
        ctx.progress(10, "start", bytes=1, total=4)
        version = ctx.mem_put("fam/" + ctx.task, ctx.payload, access="team")
        ctx.report_provider("local", "ok", tok_in=1000, tok_out=500, ms=7, http=200)
        return f"{version} {ctx.mem_get('fam/' + ctx.task)['value'].decode()}"

    def hold(ctx):
        release.wait(seconds(10))
        return b"" if ctx.cancelled else b"held"

    def propose(ctx):                                       # votes, from an agent
        return ctx.vote("agents ask too?", ["a", "b"], voters=["py"])["vote"]

    with c.events(("agent.", "task.", "mem.", "vote.", "swarm."),
                  timeout=seconds(10)) as stream:
        probe_events(c, stream, "f")
        # session: hello, welcome, heartbeats, bye
        agent = s.agent("py", {"work": work, "hold": hold, "propose": propose},
                        on_vote=lambda ask: "a",
                        on_broadcast=lambda payload, atype: heard.put((payload, atype)))
        joined = next_event(stream, lambda e: e.type == "agent.joined")
        assert until(lambda: agent.id, "the welcome") == joined["agent"]
        assert joined["atype"] == "py"
        assert agent.welcome["hb"] == 100 and agent.welcome["live"] == 5

        # tasks: submit, wait, task, cancel; assign, ack, progress, result, cancel
        result = c.run("work", b"v1", id="w1", wait_timeout=seconds(10))
        assert result.ok and result.stdout == b"1 v1"
        event = next_event(stream, lambda e: e.type == "task.progress")
        assert (event["pct"], event["note"], event["bytes"], event["total"]) == \
            (10, "start", 1, 4)
        changed = next_event(stream, lambda e: e.type == "mem.changed")
        assert changed["key"] == "fam/w1" and changed["agent"] == agent.id
        assert c.task("w1").state == "completed"
        held = c.submit("hold", id="h1")
        next_event(stream, lambda e: e.type == "task.running" and e["task"] == "h1")
        assert c.cancel(held) == "cancelled"
        release.set()

        # shared memory, a client's side and the entry the agent wrote
        entry = c.mem_get("fam/w1")
        assert entry["agent"] == agent.id and entry["access"] == "team"
        assert c.mem_put("fam/client", b"c", tags=["x"]) == 1
        assert c.mem_list("fam/", tags=["x"]) == ["fam/client"]
        assert c.mem_deposit("fam/signal", 7, half_life=60)["level"] == 7
        assert c.mem_del("fam/client") == 1

        # votes: proposed by a client and by an agent's handler, cast by the agent
        for vote in (c.vote("client asks?", ["a", "b"], voters=["py"])["vote"],
                     c.run("propose", wait_timeout=seconds(10)).stdout.decode()):
            decided = next_event(stream, lambda e: e.type == "vote.decided" and
                                 e["vote"] == vote)
            assert decided["option"] == "a" and decided["cast"] == 1
            assert c.vote_status(vote)["state"] == "decided"
            assert vote in c.votes()

        # providers: what the agent reported is the provider's and the swarm's
        provider = until(lambda: [p for p in c.providers()["providers"]
                                  if p.get("calls")], "the report")[0]
        assert (provider["name"], provider["tok_in"], provider["tok_out"]) == \
            ("local", 1000, 500)
        assert c.status()["tok_in"] == 1000

        # broadcast, pause, resume: agents hear them on the events socket (§9.1)
        agent_subscribed(c, heard)
        assert c.broadcast(b"to py", type="py") == 1
        assert next_broadcast(heard) == (b"to py", "py")
        event = next_event(stream, lambda e: e.type == "agent.broadcast" and
                           e["payload"] == b"to py")
        assert event["atype"] == "py"
        assert c.pause(agent=agent.id) == 1
        until(lambda: agent.paused, "the agent's pause")
        assert next_event(stream, lambda e: e.type == "agent.paused")["agent"] == agent.id
        assert c.resume(agent=agent.id) == 1
        until(lambda: not agent.paused, "the agent's resume")
        assert next_event(stream, lambda e: e.type == "agent.resumed")["agent"] == \
            agent.id
        assert c.run("work", b"again", wait_timeout=seconds(10)).ok

        # control: status, agents, topology, scale, stop, shutdown
        assert c.status()["n_completed"] >= 2 and c.status()["name"] == "py"
        assert [a["agent"] for a in c.agents()] == [agent.id]
        assert c.topology()["topology"] == "star"
        assert c.scale("echo", 1) == 1
        until(lambda: len(c.agents()) == 2, "the scaled agent")
        assert c.run("echo", b"e", wait_timeout=seconds(10)).stdout == b"e"
        c.stop("echo-1")
        next_event(stream, lambda e: e.type == "agent.left" and e["agent"] == "echo-1")

        # events: nothing was lost on the way
        assert stream.lost == 0
        c.shutdown()
        next_event(stream, lambda e: e.type == "swarm.stopping")
    # the coordinator's bye: the agent says hello again, to nobody
    until(lambda: not agent._session.welcomed, "the agent leaving its session")
    s.proc.wait(seconds(10))
