# Topologies end to end (docs/topologies.md, PROTOCOL.md §6.1): for each, the paths it
# allows work and the others are refused with error 11 and counted; agents are told
# their neighbours on registration and on change; a hierarchical team delegates and
# elects a new lead; a ring task passes through its stages. Agents whose messages a test
# must control are written here in Python from the spec: DEALERs that say hello.

import json
import os
import signal

import zmq

from conftest import (E_FORBIDDEN, E_INVALID, E_LIMIT, VERSION, ScriptedAgent, deadline,
                      fixed_bind, journal_conf, left_ms, pack, run_ctl, swarm_yaml,
                      unpack, wait_until)

HB_MS = 100


def topo_yaml(name, topology, agents, extra="", hb=HB_MS, **kwargs):
    text = swarm_yaml(name, agents, hb=hb, **kwargs)
    return text + f"topology: {topology}\n" + extra


class Peer(ScriptedAgent):
    """A scripted agent that follows its neighbours messages and collects the agent
    messages it gets; an error on the way must be a refusal by the topology."""

    keeps = False

    def __init__(self, swarm, atype, agent):
        self.peers = set()
        self.role = self.lead = None
        self.inbox = []
        self.waiting = None
        super().__init__(swarm, atype, agent, conc=4)

    def seen(self, msg):
        if msg["t"] == "neighbours":
            if msg.get("full"):
                self.peers = set()
            self.peers |= set(msg.get("peers", []))
            self.peers -= set(msg.get("gone", []))
            self.role, self.lead = msg["role"], msg.get("lead")
        if msg["t"] == "msg":
            self.inbox.append((msg["agent"], msg.get("payload")))
        if msg["t"] == "error":
            assert msg["code"] == E_FORBIDDEN or self.waiting == "error", f"{self.id}: {msg!r}"

    def next(self, t, seconds=10, **match):
        self.waiting = t
        return super().next(t, seconds, **match)

    def settle(self, seconds=0.3):
        """Read whatever comes for a while."""
        try:
            self.next("-", seconds)
        except AssertionError:
            pass


def forbidden(peer, t, **fields):
    peer.send(t, **fields)
    return peer.next("error", code=E_FORBIDDEN)["why"]


def test_star_allows_no_agent_messages(make_swarm):
    swarm = make_swarm(topo_yaml("star", "star", ["{type: x, count: 0}"]))
    a, b = Peer(swarm, "x", "a"), Peer(swarm, "x", "b")
    assert "star topology: 'a' (agent) may not message 'b'" in forbidden(
        a, "msg.send", agent="b", payload=b"hi")
    assert "no neighbours" in forbidden(a, "msg.share", payload=b"hi")
    # zswarmd sends an agent its messages in order: a neighbours list or a message for
    # b, from its hello or from a's refused sends, would come before this reply
    b.request("mem.query")
    assert b.inbox == [] and b.role is None, "star: no message, no neighbours list"
    assert swarm.status().get("n_forbidden") == 2
    assert swarm.control.ok("topology")["topology"] == "star"
    assert swarm.control.ok("topology").get("links", []) == []


def test_mesh_any_to_any_and_share_reaches_all(make_swarm):
    swarm = make_swarm(topo_yaml("mesh", "mesh", ["{type: x, count: 0}"]))
    p1 = Peer(swarm, "x", "p1")
    p1.next("neighbours", role="peer")
    p2, p3 = Peer(swarm, "x", "p2"), Peer(swarm, "x", "p3")
    for peer, others in ((p1, {"p2", "p3"}), (p2, {"p1", "p3"}), (p3, {"p1", "p2"})):
        wait_until(lambda p=peer, o=others: (p.settle(0.05), p.peers == o)[1], 5,
                   f"{peer.id}'s neighbours {others}")
    p1.send("msg.send", agent="p3", payload=b"direct")
    assert p3.next("msg")["payload"] == b"direct" and p3.inbox[-1][0] == "p1"
    p2.send("msg.share", payload=b"to all")
    assert p1.next("msg", agent="p2")["payload"] == b"to all"
    assert p3.next("msg", agent="p2")["payload"] == b"to all"
    assert "which is not registered" in forbidden(p1, "msg.send", agent="ghost")
    assert "may not message 'p1'" in forbidden(p1, "msg.send", agent="p1")
    links = swarm.control.ok("topology")["links"]
    assert sorted(sorted(link.split()) for link in links) == [
        ["p1", "p2"], ["p1", "p3"], ["p2", "p3"]]
    p3.send("bye")
    p1.next("neighbours", gone=["p3"])
    assert p1.peers == {"p2"}
    assert swarm.status().get("n_forbidden") == 2


HIER = ["{type: boss, count: 0, concurrency: 4}", "{type: w, count: 0, reports_to: boss}",
        "{type: loner, count: 0}"]


def test_hierarchical_paths_delegation_and_refusals(make_swarm):
    swarm = make_swarm(topo_yaml("team", "hierarchical", HIER))
    client = swarm.client()
    boss = Peer(swarm, "boss", "boss-a")
    boss.next("neighbours", role="lead")
    w1, w2 = Peer(swarm, "w", "w1"), Peer(swarm, "w", "w2")
    w1.next("neighbours", role="worker", lead="boss-a")
    w2.next("neighbours", role="worker", lead="boss-a")
    wait_until(lambda: (boss.settle(0.05), boss.peers == {"w1", "w2"})[1], 5,
               "the lead's neighbours")
    assert w1.peers == {"boss-a"}
    # A worker talks to its lead, the lead to its workers; workers not to each other
    w1.send("msg.send", agent="boss-a", payload=b"up")
    assert boss.next("msg", agent="w1")["payload"] == b"up"
    boss.send("msg.send", agent="w2", payload=b"down")
    assert w2.next("msg", agent="boss-a")["payload"] == b"down"
    assert "'w1' (worker) may not message 'w2'" in forbidden(w1, "msg.send", agent="w2")
    loner = Peer(swarm, "loner", "solo")
    assert "may not message 'boss-a'" in forbidden(loner, "msg.send", agent="boss-a")
    # A worker type's tasks come through the lead
    err = client.error("submit", E_FORBIDDEN, ttype="w", payload=b"x")
    assert "type 'w' reports to 'boss': submit to 'boss'" in err["why"]
    # The team's task goes to the lead, which delegates it to a worker
    rid = client.send("submit", ttype="boss", task="job", payload=b"data", wait=True)
    assert client.reply(rid)["t"] == "submit.ok"
    assign = boss.next("task.assign", task="job")
    boss.send("task.ack", task="job", att=assign["att"])
    boss.send("task.delegate", task="job", att=assign["att"])
    worker = None
    until = deadline(10)
    while worker is None:
        for w in (w1, w2):
            if w.sock.poll(20, zmq.POLLIN):
                msg = unpack(w.sock.recv(), w.id)
                if msg["t"] == "task.assign":
                    worker, work = w, msg
        assert left_ms(until) > 0, "no worker got the delegated task"
    assert work["task"] == "job.w" and work["payload"] == b"data"
    # A worker may not hand work on: only a lead delegates
    assert "only a team's lead delegates" in forbidden(
        worker, "task.delegate", task="job.w", att=work["att"])
    worker.send("task.result", task="job.w", att=work["att"], status="ok",
                stdout=b"done by " + worker.id.encode())
    report = boss.next("task.report", task="job")
    assert report["agent"] == worker.id and report["stdout"] == b"done by " + worker.id.encode()
    boss.send("task.result", task="job", att=assign["att"], status="ok",
              stdout=report["stdout"])
    done = client.reply(rid)
    assert done["state"] == "completed" and done["stdout"] == report["stdout"]
    assert swarm.status().get("n_forbidden") == 4


def test_hierarchical_election_is_the_longest_registered_member(make_swarm):
    swarm = make_swarm(topo_yaml("elect", "hierarchical", HIER))
    sub = swarm.subscribe()
    boss = Peer(swarm, "boss", "boss-a")
    workers = [Peer(swarm, "w", f"w{n}") for n in (1, 2, 3)]
    for w in workers:
        w.next("neighbours", lead="boss-a")
    boss.close()  # silent: deemed lost after the liveness; the others keep talking
    elected = None
    until = deadline(10)
    while elected is None:
        for w in workers:
            w.settle(0.02)
        msg = sub.read(20)
        if msg and msg["t"] == "team.elected" and msg["agent"] != "boss-a":
            elected = msg
        assert left_ms(until) > 0, "no team.elected"
    assert elected["agent"] == "w1" and elected["atype"] == "boss"
    assert "lead 'boss-a' left" in elected.get("why", "")
    w1, w2, w3 = workers
    wait_until(lambda: (w1.settle(0.05), w1.role == "lead" and w1.peers == {"w2", "w3"})[1],
               5, "w1 leading w2 and w3")
    for w in (w2, w3):
        wait_until(lambda w=w: (w.settle(0.05), w.lead == "w1" and w.peers == {"w1"})[1],
                   5, f"{w.id} told of its new lead")
    # Work goes on: the team's tasks now go to w1
    swarm.client().submit("boss", b"next", task="after")
    assert w1.next("task.assign", task="after")["payload"] == b"next"
    records = {a["agent"]: a for a in swarm.control.ok("topology")["agents"]}
    assert records["w1"]["role"] == "lead" and records["w2"]["lead"] == "w1"


def team_swarm(make_swarm):
    return make_swarm(topo_yaml("crew", "hierarchical", [
        "{type: boss, count: 1, concurrency: 8, handler: exec, "
        "command: [/bin/sh, -c, 'printf \"boss: \"; cat']}",
        "{type: w, count: 3, reports_to: boss, handler: exec, "
        "command: [/bin/sh, -c, 'printf \"worked: \"; cat']}"]))


def test_a_team_of_real_agents_survives_its_lead(make_swarm):
    """zswarm-agent leads by delegating; killed, a worker is elected and leads on."""
    swarm = team_swarm(make_swarm)
    swarm.wait_agents(4)
    client = swarm.client()
    for n in range(4):
        done = client.run("boss", f"job {n}", task=f"j{n}")
        assert done["stdout"] == f"worked: job {n}".encode(), done
        worker = client.ok("task", task=f"j{n}.w")
        assert worker["agent"].startswith("w-"), worker
    sub = swarm.subscribe()
    lead = next(a for a in swarm.agents() if a.get("role") == "lead")
    assert lead["agent"] == "boss-1"
    os.kill(lead["pid"], signal.SIGKILL)
    elected = sub.wait_for(lambda m: m["t"] == "team.elected", 10, "team.elected")
    assert elected["agent"].startswith("w-")
    for n in range(4, 8):
        done = client.run("boss", f"job {n}", task=f"j{n}")
        assert done["stdout"] == f"worked: job {n}".encode(), done
        assert client.ok("task", task=f"j{n}.w")["agent"] != elected["agent"]


RING = ["{type: up, count: 2, handler: exec, command: [tr, a-z, A-Z]}",
        "{type: rev, count: 1, handler: exec, command: [rev]}",
        "{type: wrap, count: 1, handler: exec, "
        "command: [/bin/sh, -c, 'printf \"[\"; cat; printf \"]\"']}"]


def test_ring_pipeline_output_and_paths(make_swarm):
    swarm = make_swarm(topo_yaml("pipe", "ring", RING, "ring: [up, rev, wrap]\n"))
    swarm.wait_agents(4)
    client = swarm.client()
    done = client.run("up", "hello ring", task="r0")
    assert done["stdout"] == b"[GNIR OLLEH]" and done["ttype"] == "wrap", done
    assert client.ok("task", task="r0.1")["stdout"] == b"HELLO RING"
    assert client.ok("task", task="r0.2")["stdout"] == b"GNIR OLLEH"
    err = client.error("submit", E_FORBIDDEN, ttype="rev", payload=b"x")
    assert "ring stage 2: its input comes from stage 'up'" in err["why"]
    # The first stage's two agents share the work
    ids = [client.submit("up", f"t{n}", task=f"r{n + 1}")["task"] for n in range(8)]
    for task in ids:
        assert client.wait(task)["state"] == "completed"
    firsts = {client.ok("task", task=f"{task}.1")["agent"] for task in ids}
    assert firsts == {"up-1", "up-2"}, firsts
    # Neighbours: adjacent stages, the last next to the first; not within a stage
    pairs = {tuple(sorted(link.split())) for link in swarm.control.ok("topology")["links"]}
    assert pairs == {("rev-1", "up-1"), ("rev-1", "up-2"), ("rev-1", "wrap-1"),
                     ("up-1", "wrap-1"), ("up-2", "wrap-1")}, pairs


def test_ring_messages_follow_the_stages(make_swarm):
    swarm = make_swarm(topo_yaml("ringmsg", "ring",
                                 ["{type: a, count: 0}", "{type: b, count: 0}",
                                  "{type: c, count: 0}", "{type: d, count: 0}"],
                                 "ring: [a, b, c, d]\n"))
    a, b, c = Peer(swarm, "a", "a1"), Peer(swarm, "b", "b1"), Peer(swarm, "c", "c1")
    a.send("msg.send", agent="b1", payload=b"next")
    assert b.next("msg", agent="a1")["payload"] == b"next"
    assert "'a1' (stage) may not message 'c1'" in forbidden(a, "msg.send", agent="c1")
    b.send("msg.share", payload=b"both ways")
    assert a.next("msg", agent="b1")["payload"] == b"both ways"
    assert c.next("msg", agent="b1")["payload"] == b"both ways"


def test_zswarmctl_topology_text_dot_and_json(make_swarm):
    swarm = make_swarm(topo_yaml("show", "hierarchical", HIER))
    boss = Peer(swarm, "boss", "boss-a")
    w1 = Peer(swarm, "w", "w1")
    w1.next("neighbours", lead="boss-a")
    text = run_ctl("-e", swarm.control_ep, "topology")
    assert text.returncode == 0, text.stderr
    assert "topology: hierarchical (2 agents, 1 links)" in text.stdout
    assert "boss-a  boss, lead" in text.stdout and "w1  w, worker, lead boss-a" in text.stdout
    assert ("boss-a -- w1" in text.stdout) or ("w1 -- boss-a" in text.stdout)
    dot = run_ctl("-e", swarm.control_ep, "topology", "--dot")
    assert dot.returncode == 0 and dot.stdout.startswith("graph zswarm {"), dot.stdout
    assert '"w1" [label="w1\\nw, worker"];' in dot.stdout
    assert 'zswarmd -- "boss-a" [style=dashed];' in dot.stdout
    assert 'zswarmd -- "w1"' not in dot.stdout  # a worker's tasks come from its lead
    assert ('"boss-a" -- "w1";' in dot.stdout) or ('"w1" -- "boss-a";' in dot.stdout)
    reply = json.loads(run_ctl("-e", swarm.control_ep, "--json", "topology").stdout)
    assert reply["t"] == "topology.ok" and len(reply["links"]) == 1
    boss.send("msg.send", agent="ghost")
    boss.next("error", code=E_FORBIDDEN)
    status = run_ctl("-e", swarm.control_ep, "status").stdout
    assert "forbidden: 1" in status.replace("  ", " ").replace("  ", " "), status


# ---------------------------------------------------------------------------------------
# Edges: ids, fan-outs and aggregates, teams without a lead, work of a lead that left


def test_submits_that_would_get_round_the_topology(make_swarm):
    swarm = make_swarm(topo_yaml("edges", "hierarchical", HIER))
    client = swarm.client()
    # An aggregate of a worker type would go straight to a worker
    err = client.error("submit", E_FORBIDDEN, ttype="loner", items=[b"a"], agg="w")
    assert "type 'w' reports to 'boss'" in err["why"]
    # A team task's work ID.w must fit in 64 bytes, for fan-out items too
    client.error("submit", E_INVALID, ttype="boss", task="t" * 63)
    err = client.error("submit", E_INVALID, ttype="boss", task="f" * 61, items=[b"x"],
                       agg="loner")
    assert "no room for team task" in err["why"]
    # ID.w cannot be taken by a client while team task ID runs, nor the other way
    client.submit("boss", b"x", task="team1")
    err = client.error("submit", E_INVALID, ttype="loner", task="team1.w")
    assert "is the work of team task 'team1'" in err["why"]
    client.submit("loner", b"x", task="mine.w")
    err = client.error("submit", E_INVALID, ttype="boss", task="mine")
    assert "task 'mine.w' exists already" in err["why"]


def test_ring_aggregates_and_hellos_are_checked(make_swarm):
    swarm = make_swarm(topo_yaml("ringedge", "ring",
                                 ["{type: a, count: 0}", "{type: b, count: 0}",
                                  "{type: c, count: 0}"], "ring: [a, b]\n"))
    client = swarm.client()
    client.error("submit", E_FORBIDDEN, ttype="c", items=[b"x"], agg="b")
    err = client.error("submit", E_INVALID, ttype="c", items=[b"x"], agg="a")
    assert "cannot start a ring pipeline" in err["why"]
    client.error("submit", E_INVALID, ttype="a", items=[b"x"], agg="c")
    # Agent ids and types follow the name rule, so a link "A B" splits one way only
    sock = swarm.ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(swarm.agents_ep)
    sock.send(pack({"v": VERSION, "t": "hello", "atype": "a", "agent": "a b"}))
    assert sock.poll(5000, zmq.POLLIN)
    reply = unpack(sock.recv(), "hello reply")
    assert reply["t"] == "error" and reply["code"] == E_INVALID, reply
    sock.close(0)
    # An agent message is small: a share is copied to every neighbour
    a = Peer(swarm, "a", "a1")
    Peer(swarm, "b", "b1")
    a.send("msg.send", agent="b1", payload=b"x" * 65537)
    assert a.next("error", code=E_INVALID)["why"].startswith("an agent message's payload")


def test_a_team_without_an_agent_of_the_lead_type_elects_a_worker(make_swarm):
    swarm = make_swarm(topo_yaml("nolead", "hierarchical", HIER))
    sub = swarm.subscribe()
    workers = [Peer(swarm, "w", f"w{n}") for n in (1, 2)]
    elected = None
    until = deadline(10)
    while elected is None:
        for w in workers:
            w.settle(0.02)
        msg = sub.read(20)
        if msg and msg["t"] == "team.elected":
            elected = msg
        assert left_ms(until) > 0, "no team.elected"
    assert elected["agent"] == "w1" and "no agent of the lead type" in elected["why"]
    swarm.client().submit("boss", b"go", task="j")
    assert workers[0].next("task.assign", task="j")["payload"] == b"go"
    # The lead type's agent that comes late works under the elected lead
    late = Peer(swarm, "boss", "boss-late")
    late.next("neighbours", role="worker", lead="w1")


def test_work_goes_on_when_its_lead_leaves_and_ends_with_its_team_task(make_swarm):
    swarm = make_swarm(topo_yaml("handover", "hierarchical", HIER))
    client = swarm.client()
    boss = Peer(swarm, "boss", "boss-a")
    boss.next("neighbours", role="lead")
    workers = [Peer(swarm, "w", f"w{n}") for n in (1, 2, 3)]
    for w in workers:
        w.next("neighbours", lead="boss-a")
    rid = client.send("submit", ttype="boss", task="job", payload=b"in", pri=7, wait=True)
    assert client.reply(rid)["t"] == "submit.ok"
    assign = boss.next("task.assign", task="job")
    boss.send("task.ack", task="job", att=assign["att"])
    boss.send("task.delegate", task="job", att=assign["att"])
    holder, work = None, None
    until = deadline(10)
    while holder is None:
        for w in workers:
            if w.sock.poll(10, zmq.POLLIN):
                msg = unpack(w.sock.recv(), w.id)
                if msg["t"] == "task.assign":
                    holder, work = w, msg
        assert left_ms(until) > 0, "no worker got job.w"
    assert client.ok("task", task="job.w").get("pri") == 7  # the team task's priority
    boss.send("bye")
    # The team task goes to the new lead, w1; its delegate finds job.w still running
    w1 = workers[0]
    lead_assign = w1.next("task.assign", task="job")
    w1.send("task.ack", task="job", att=lead_assign["att"])
    w1.send("task.delegate", task="job", att=lead_assign["att"])
    holder.send("task.result", task="job.w", att=work["att"], status="ok", stdout=b"out")
    report = w1.next("task.report", task="job")
    assert report["agent"] == holder.id and report["stdout"] == b"out"
    w1.send("task.result", task="job", att=lead_assign["att"], status="ok", stdout=b"out")
    assert client.reply(rid)["stdout"] == b"out"
    assert client.ok("task", task="job.w")["att"] == 1, "the work ran once"
    # A team task that ends cancels its work
    client.submit("boss", b"in", task="job2")
    assign = w1.next("task.assign", task="job2")
    w1.send("task.ack", task="job2", att=assign["att"])
    w1.send("task.delegate", task="job2", att=assign["att"])
    wait_until(lambda: client.ok("task", task="job2.w").get("state") in ("assigned",
                                                                        "running"),
               5, "job2.w assigned")
    client.ok("cancel", task="job2")
    done = client.ok("task", task="job2.w")
    assert done["state"] == "cancelled" and done["why"] == "its team task ended", done


def test_topology_listing_is_bounded(make_swarm):
    """A mesh of 142 agents has 10,011 links: more than a reply lists. The scripted
    peers answer heartbeats only while read, and registering 142 of them takes
    seconds under ASan: a long heartbeat keeps the first ones alive meanwhile."""
    swarm = make_swarm(topo_yaml("big", "mesh", ["{type: x, count: 0}"], hb=5000))
    peers = [Peer(swarm, "x", f"x{n}") for n in range(142)]
    err = swarm.control.error("topology", E_LIMIT)
    assert "more than 10000 links" in err["why"]
    peers[0].send("bye")
    wait_until(lambda: len(swarm.agents()) == 141, 10, "141 agents")
    assert len(swarm.control.ok("topology")["links"]) == 141 * 140 // 2


def kill_restart_and_wait(swarm, task):
    """SIGKILL zswarmd, start it again on its journal; a new client and task's wait.ok."""
    swarm.kill()
    swarm.restart()
    client = swarm.client()
    return client, client.wait(task, seconds=30)


def test_ring_tasks_survive_a_coordinator_kill(make_swarm, workdir):
    """Ring stages are journaled: a pipeline goes on from the stage it reached."""
    ring = ["{type: up, count: 1, handler: exec, command: [tr, a-z, A-Z]}",
            "{type: slow, count: 1, handler: exec, "
            "command: [/bin/sh, -c, 'sleep 1; rev']}",
            "{type: boss, count: 0}"]
    swarm = make_swarm(topo_yaml("durable-ring", "ring", ring, "ring: [up, slow]\n",
                                 bind=fixed_bind(),
                                 journal=journal_conf(workdir, "durable-ring")))
    swarm.wait_agents(2)
    client = swarm.client()
    client.submit("up", b"pipeline", task="p")
    wait_until(lambda: client.ok("task", task="p.1").get("state") == "completed", 10,
               "stage 1 done")
    client, done = kill_restart_and_wait(swarm, "p")
    assert done["state"] == "completed" and done["stdout"] == b"ENILEPIP", done
    assert client.ok("task", task="p.1")["att"] == 1, "stage 1 ran once"


def test_team_tasks_survive_a_coordinator_kill(make_swarm, workdir):
    """A lead's delegated work is not journaled: its team task runs again, from its
    lead, after the restart."""
    team = ["{type: boss, count: 1, concurrency: 4, handler: exec, command: [cat]}",
            "{type: w, count: 2, reports_to: boss, handler: exec, "
            "command: [/bin/sh, -c, 'sleep 1; printf \"worked: \"; cat']}"]
    swarm = make_swarm(topo_yaml("durable-team", "hierarchical", team, bind=fixed_bind(),
                                 journal=journal_conf(workdir, "durable-team")))
    swarm.wait_agents(3)
    client = swarm.client()
    client.submit("boss", b"plan", task="t")
    wait_until(lambda: client.ok("task", task="t.w").get("state") == "running", 10,
               "the work running on a worker")
    client, done = kill_restart_and_wait(swarm, "t")
    assert done["state"] == "completed" and done["stdout"] == b"worked: plan", done
    assert client.ok("task", task="t.w")["state"] == "completed"


def test_agents_a_message_cannot_reach_do_not_stall_the_others(make_swarm):
    """Three agents vanish without a word (liveness is long, so they stay registered);
    every neighbours message to them fails and is retried each heartbeat, while the
    other agents' attempts still time out on time."""
    text = swarm_yaml("lost", ["{type: x, count: 0}", "{type: y, count: 0}"], hb=HB_MS,
                      liveness=60) + "topology: mesh\n"
    swarm = make_swarm(text)
    workers = [Peer(swarm, "y", f"w{n}") for n in range(6)]
    for gone in [Peer(swarm, "x", f"d{n}") for n in range(3)]:
        gone.close()
    Peer(swarm, "x", "e")  # its arrival cannot reach d0..d2
    client = swarm.client()
    tasks = [client.submit("y", b"p", task=f"t{n}", tmo=200, tries=1)["task"]
             for n in range(6)]

    def all_timed_out():
        for w in workers:
            w.settle(0.01)
        return all(client.ok("task", task=t)["state"] == "dead" for t in tasks)
    wait_until(all_timed_out, 5, "every attempt to time out (200 ms)")
