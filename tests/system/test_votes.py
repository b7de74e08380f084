# Votes against a real zswarmd (PROTOCOL.md §8.2, docs/votes.md): zswarm-agent processes
# vote as their swarm file entry says (a fixed answer, a command), and Python agents
# cast the ballots a test chooses, through real sockets: each strategy at its quorum
# and one short, ties, early ends, the refusals, trust-weighted ballots, the events,
# votes proposed by agents, and a restarted coordinator that knows no vote.

import os
import signal
import time

import pytest

from conftest import (SLOW, E_CONFLICT, E_FINISHED, E_FORBIDDEN, E_INVALID, E_LIMIT,
                      E_MALFORMED, E_NO_VOTE, E_UNKNOWN_TYPE, ScriptedAgent, descendants,
                      fixed_bind, swarm_yaml, wait_until)

HB_MS = 100
QUESTION = "release 1.2: tests pass"
CHOICES = ["yes", "no"]
# The deadline of a vote whose outcome needs it, and of one that must end before it
SHORT_MS = int(800 * SLOW)
LONG_MS = 60000


def in_time(attempt):
    """attempt(deadline_ms) proposes a vote with that deadline and casts its ballots; it
    returns False when a ballot came after the deadline, which says only that the
    machine is slow: then it is tried again with a deadline 4 times longer."""
    deadline_ms = SHORT_MS
    while not attempt(deadline_ms):
        deadline_ms *= 4
        assert deadline_ms < LONG_MS, (
            f"ballots still cast too late with a deadline of {deadline_ms // 4} ms")


def decided(sub, vote, seconds=10):
    return sub.wait_for(lambda m: m["t"] == "vote.decided" and m["vote"] == vote, seconds,
                        f"vote.decided of {vote}")


def propose(client, **fields):
    fields.setdefault("question", QUESTION)
    fields.setdefault("options", CHOICES)
    return client.ok("vote.propose", **fields)


# --- zswarm-agent votes from its swarm file ----------------------------------------------

def council_yaml(workdir):
    # Each run keeps its input: a run for an early-settled vote may still be going
    asked = os.path.join(workdir, "ask-$$.json")
    auditor = (f"tee {asked} | if grep -q 'tests pass'; then echo yes 0.9; "
               "else echo no 0.8; fi")
    return swarm_yaml("council", [
        "{type: optimist, count: 3, vote: 'yes'}",
        f"{{type: auditor, count: 2, vote: {{exec: [/bin/sh, -c, \"{auditor}\"]}}}}",
        "{type: slow, count: 1, vote: {exec: [/bin/sleep, '30']}}",
        "{type: babbler, count: 1, vote: {exec: [/bin/echo, 'maybe']}}",
        # One command for its tasks and its votes: it tells them apart by the input
        "{type: handy, count: 1, handler: exec, vote: handler, command: [/bin/sh, -c, "
        "'read -r line; case \"$line\" in *vote.ask*) echo no;; *) echo \"task $line\";; "
        "esac']}",
        "{type: mute, count: 1}",
    ], hb=HB_MS)


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return None


def test_real_agents_vote_as_their_swarm_file_says(make_swarm, workdir):
    swarm = make_swarm(council_yaml(workdir))
    swarm.wait_agents(9)
    sub = swarm.subscribe()
    client = swarm.client()

    ok = propose(client, voters=["optimist", "auditor"], vote="ship", deadline=LONG_MS)
    assert ok["vote"] == "ship" and ok["count"] == 5
    opened = sub.wait_for(lambda m: m["t"] == "vote.opened", 10, "vote.opened")
    assert opened["vote"] == "ship" and opened["question"] == QUESTION
    assert opened["options"] == CHOICES and opened["voters"] == ["optimist", "auditor"]
    assert opened["strategy"] == "majority" and opened["count"] == 5
    assert 0 < opened["deadline"] <= LONG_MS
    # Three fixed answers settle a majority of five: it ends long before its deadline
    end = decided(sub, "ship")
    assert end["state"] == "decided" and end["option"] == "yes" and end["count"] == 5
    status = client.ok("vote.status", vote="ship")
    assert status["state"] == "decided" and status["option"] == "yes"
    assert "deadline" not in status and status["cast"] == len(status["ballots"])
    for ballot in status["ballots"]:
        agent, option, counted, confidence, weight = ballot.split(" ")
        assert (option, counted, confidence, weight) == ("yes", "1000", "1000", "1"), ballot

    # The auditors' command read the ask as JSON, and now says no: no unanimity
    ok = propose(client, question="release 1.3", voters=["optimist", "auditor"],
                 strategy="unanimous", deadline=LONG_MS)
    end = decided(sub, ok["vote"])
    assert end["state"] == "no-decision" and end["cast"] == 5 and "option" not in end
    ballots = client.ok("vote.status", vote=ok["vote"])["ballots"]
    assert sorted(b.split(" ")[:2] for b in ballots) == [
        ["auditor-1", "no"], ["auditor-2", "no"], ["optimist-1", "yes"],
        ["optimist-2", "yes"], ["optimist-3", "yes"]]
    asks = []
    for name in os.listdir(workdir):
        if name.startswith("ask-"):
            with open(os.path.join(workdir, name)) as f:
                asks.append(f.read())
    asked = [a for a in asks if '"question":"release 1.3"' in a]
    assert len(asked) == 2, asks  # one per auditor
    assert asked[0].startswith('{"v":1,"t":"vote.ask",') and asked[0].endswith("}\n")
    assert '"options":["yes","no"]' in asked[0] and '"strategy":"unanimous"' in asked[0]
    # The command's second word is its confidence: 0.8 of an untried agent's trust, 0.5
    ok = propose(client, question="release 1.3", voters=["optimist", "auditor"],
                 strategy="trust-weighted", deadline=LONG_MS)
    assert decided(sub, ok["vote"])["option"] == "yes"  # 3 x 0.5 against 2 x 0.4
    ballots = client.ok("vote.status", vote=ok["vote"])["ballots"]
    assert sorted(b.split(" ", 1)[1] for b in ballots) == (
        ["no 400 800 1"] * 2 + ["yes 500 1000 1"] * 3)

    # 'vote: handler': the type's own command answers votes as it runs tasks
    assert client.run("handy", "hello")["stdout"] == b"task hello\n"
    ok = propose(client, voters=["handy"], deadline=LONG_MS)
    end = decided(sub, ok["vote"])
    assert end["state"] == "decided" and end["option"] == "no" and end["cast"] == 1

    # The others abstain: no answer of their own, a command past the deadline (killed),
    # an answer that is not an option
    ok = propose(client, voters=["slow", "babbler", "mute"], deadline=SHORT_MS)
    assert ok["count"] == 3
    end = decided(sub, ok["vote"])
    assert end["state"] == "no-quorum" and end["cast"] == 0
    wait_until(lambda: "sleep" not in [comm(p) for p in descendants(swarm.proc.pid)], 10,
               "the vote command killed")
    # Each agent logs its abstention when it gives up, which may come after the kill
    # was seen and after the vote ended: wait for all three lines
    reasons = ["abstaining: the agent's type has no 'vote' in the swarm file",
               "abstaining: timed out",
               "abstaining: the vote command's answer is not an option"]
    wait_until(lambda: all(r in swarm.log_tail(200) for r in reasons) or None, 10,
               f"the three abstentions in the log: {reasons}")


# --- the strategies at their edges, ballots chosen by the test ----------------------------

def voters_yaml(name, types=("v",), **kwargs):
    """Python voters answer heartbeats only while a test reads from them: a liveness
    of 100 s (100 heartbeats of 1 s) keeps them registered in between, also through a
    vote's deadline made longer for a slow machine (in_time)."""
    return swarm_yaml(name, [f"{{type: {t}, count: 0}}" for t in types], hb=1000,
                      liveness=100, **kwargs)


def cast_all(voters, vote, choices):
    """Each voter reads its ask and casts its choice (None abstains), in order; returns
    the ballots taken. A ballot after the vote was settled finds it ended."""
    taken = 0
    for voter, choice in zip(voters, choices):
        ask = voter.next("vote.ask", vote=vote)
        assert ask["options"] == CHOICES and ask["question"] == QUESTION
        if choice is not None:
            reply = voter.request("vote.cast", vote=vote, option=choice)
            assert reply["t"] == "vote.cast.ok" or reply.get("code") == E_FINISHED, reply
            taken += reply["t"] == "vote.cast.ok"
    return taken


# (strategy, ballots: y/n/- per voter, outcome, whether it must wait for the deadline)
EDGES = [
    ("majority", "yyy--", ("decided", "yes"), False),  # 3 of 5 settle it
    ("majority", "yy---", ("no-quorum", None), True),  # one short of the quorum 3
    ("majority", "yynn", ("no-decision", None), False),  # a tie: every voter cast
    ("majority", "yyn-", ("decided", "yes"), True),  # exactly the quorum, 2 of 3
    ("super-majority", "yyn", ("decided", "yes"), False),  # exactly two thirds
    ("super-majority", "yyynn", ("no-decision", None), False),  # 3/5 is short of 2/3
    ("super-majority", "yyyy---", ("decided", "yes"), True),  # 4 of 7: quorum, 100%
    ("byzantine", "yyy-", ("decided", "yes"), False),  # n=4, f=1: 2f+1=3 settle it
    ("byzantine", "yyn-", ("no-decision", None), True),  # quorum, but 2 < 3
    ("byzantine", "yy--", ("no-quorum", None), True),  # one short of 3
    ("byzantine", "yyyyyy-nnn", ("no-decision", None), True),  # n=10, f=3: 6 < 7
    ("byzantine", "yyyyyyy---", ("decided", "yes"), False),  # 7 of 10
    ("unanimous", "yyy", ("decided", "yes"), False),
    ("unanimous", "yy-", ("no-quorum", None), True),  # everyone must cast
    ("unanimous", "yyn", ("no-decision", None), False),
]


def test_each_strategy_at_its_quorum_and_one_short(make_swarm):
    swarm = make_swarm(voters_yaml("edges"))
    voters = [ScriptedAgent(swarm, "v", f"v{n:02}") for n in range(10)]
    sub = swarm.subscribe()
    client = swarm.client()
    # Largest votes first: n voters are the first n agents, the others leave for good
    for strategy, ballots, (state, option), waits in sorted(EDGES, key=lambda e: -len(e[1])):
        n = len(ballots)
        for voter in voters[n:]:
            voter.send("bye")
        voters = voters[:n]
        wait_until(lambda: len(swarm.agents()) == n, 10, f"{n} voters left")
        choices = [{"y": "yes", "n": "no", "-": None}[c] for c in ballots]

        def attempt(deadline_ms):
            proposed = time.monotonic()  # the deadline runs from a little later
            ok = propose(client, strategy=strategy, deadline=deadline_ms)
            assert ok["count"] == n, (strategy, ballots)
            taken = cast_all(voters, ok["vote"], choices)
            # A vote that need not wait ends long before its deadline; one that must,
            # never before it (less 10 ms: the coordinator's timers go by whole ms)
            end = decided(sub, ok["vote"],
                          seconds=deadline_ms / 1000 + 10 if waits else LONG_MS / 2000)
            if waits and taken < len(ballots) - ballots.count("-"):
                return False
            if waits:
                assert time.monotonic() - proposed >= deadline_ms / 1000 - 0.01, (
                    strategy, ballots)
            assert (end["state"], end.get("option")) == (state, option), (strategy, ballots)
            assert end["cast"] == taken, (strategy, ballots)
            return True
        if waits:
            in_time(attempt)
        else:
            attempt(LONG_MS)


# --- refusals ------------------------------------------------------------------------------

def test_proposals_and_ballots_that_are_refused(make_swarm):
    swarm = make_swarm(voters_yaml("refusals", ("v", "w")))
    v1, v2 = ScriptedAgent(swarm, "v", "v1"), ScriptedAgent(swarm, "v", "v2")
    outsider = ScriptedAgent(swarm, "w", "w1")
    client = swarm.client()
    for fields, code, why in [
        ({"options": ["yes"]}, E_INVALID, "at least 2 options"),
        ({"options": ["yes", "yes"]}, E_INVALID, "option 'yes' is given twice"),
        ({"options": ["yes", "a b"]}, E_INVALID, "an option must be"),
        ({"strategy": "plurality"}, E_INVALID, "strategy must be"),
        ({"vote": "a/b"}, E_INVALID, "vote id must be"),
        ({"voters": ["nobody"]}, E_INVALID, "no agent of the types asked"),
        ({"deadline": 86400001}, E_MALFORMED, "deadline"),
        ({"options": [f"o{n}" for n in range(17)]}, E_MALFORMED, "options"),
        ({"question": ""}, E_MALFORMED, "question"),
    ]:
        merged = {"question": QUESTION, "options": CHOICES, **fields}
        err = client.error("vote.propose", code, **merged)
        assert why in err["why"], (fields, err)
    client.error("vote.status", E_NO_VOTE, vote="nothing")
    client.error("vote.cast", E_UNKNOWN_TYPE, vote="x", option="yes")  # agents only

    ok = propose(client, vote="v-1", voters=["v"], deadline=LONG_MS)
    assert ok["count"] == 2
    assert "exists" in client.error("vote.propose", E_CONFLICT, vote="v-1",
                                    question=QUESTION, options=CHOICES)["why"]
    assert outsider.request("vote.cast", vote="v-1", option="yes")["code"] == E_FORBIDDEN
    assert v1.request("vote.cast", vote="nothing", option="yes")["code"] == E_NO_VOTE
    assert v1.request("vote.cast", vote="v-1", option="maybe")["code"] == E_INVALID
    assert v1.request("vote.cast", vote="v-1", option="yes")["t"] == "vote.cast.ok"
    assert v1.request("vote.cast", vote="v-1", option="no")["code"] == E_CONFLICT
    assert v2.request("vote.cast", vote="v-1", option="yes")["t"] == "vote.cast.ok"
    assert client.ok("vote.status", vote="v-1")["state"] == "decided"
    late = v2.request("vote.cast", vote="v-1", option="no")
    assert late["code"] == E_FINISHED and late["vote"] == "v-1"  # the vote it names


# --- trust ---------------------------------------------------------------------------------

def run_tasks(client, agent, ttype, status, count):
    """count tasks of ttype, each run by agent with this outcome."""
    for n in range(count):
        task = client.submit(ttype, task=f"{ttype}-{n}", tries=1)["task"]
        assign = agent.next("task.assign", task=task)
        agent.send("task.result", task=task, att=assign["att"], status=status)
        client.wait(task)


def weights(status):
    return {b.split(" ")[0]: (b.split(" ")[1], int(b.split(" ")[2]))
            for b in status["ballots"]}


def test_trust_weighted_ballots_weigh_each_voters_record(make_swarm):
    swarm = make_swarm(voters_yaml("trust", ("good", "bad1", "bad2")))
    good = ScriptedAgent(swarm, "good", "g1")
    bad = [ScriptedAgent(swarm, f"bad{n}", f"b{n}") for n in (1, 2)]
    client = swarm.client()
    run_tasks(client, good, "good", "ok", 6)
    for agent in bad:
        run_tasks(client, agent, agent.id.replace("b", "bad"), "fail", 6)
    # Beta(7, 1) and Beta(1, 7), their evidence a little faded
    trust = {a["agent"]: a["trust"] for a in swarm.agents()}
    assert abs(trust["g1"] - 875) <= 3 and abs(trust["b1"] - 125) <= 3, trust

    def vote(strategy, **b1_fields):
        ok = propose(client, strategy=strategy, deadline=LONG_MS)
        good.next("vote.ask", vote=ok["vote"])
        assert good.request("vote.cast", vote=ok["vote"], option="yes")["t"] == "vote.cast.ok"
        for agent in bad:
            agent.next("vote.ask", vote=ok["vote"])
            fields = b1_fields if agent.id == "b1" else {}
            assert agent.request("vote.cast", vote=ok["vote"], option="no",
                                 **fields)["t"] == "vote.cast.ok"
        return wait_until(lambda: (s := client.ok("vote.status", vote=ok["vote"]))
                          ["state"] != "open" and s, 10, "the vote to end")

    # One voter one vote: the two distrusted voters win
    status = vote("majority")
    assert status["option"] == "no" and weights(status)["g1"] == ("yes", 1000)
    # By trust: 0.875 against 2 x 0.125
    status = vote("trust-weighted")
    assert status["option"] == "yes"
    got = weights(status)
    assert got["g1"][0] == "yes" and abs(got["g1"][1] - 875) <= 3, got
    assert got["b2"][0] == "no" and abs(got["b2"][1] - 125) <= 3, got
    # A ballot's own weight multiplies its trust: 10 x 0.125 + 0.125 beats 0.875; its
    # confidence divides it: 0.5 x 10 x 0.125 + 0.125 does not
    status = vote("trust-weighted", weight=10)
    assert status["option"] == "no" and abs(weights(status)["b1"][1] - 1250) <= 30
    status = vote("trust-weighted", weight=10, confidence=500)
    assert status["option"] == "yes" and abs(weights(status)["b1"][1] - 625) <= 15
    # Counted strategies record confidence and weight but count one ballot each
    status = vote("majority", weight=10, confidence=300)
    assert status["option"] == "no" and "b1 no 1000 300 10" in status["ballots"]


# --- agents propose; a restart -------------------------------------------------------------

def test_an_agent_proposes_asks_and_lists(make_swarm):
    swarm = make_swarm(voters_yaml("agents"))
    proposer, other = ScriptedAgent(swarm, "v", "p1"), ScriptedAgent(swarm, "v", "o1")
    ok = proposer.request("vote.propose", question=QUESTION, options=CHOICES,
                          strategy="unanimous", deadline=LONG_MS)
    assert ok["t"] == "vote.propose.ok" and ok["count"] == 2
    for agent in (proposer, other):
        ask = agent.next("vote.ask", vote=ok["vote"])
        assert ask["agent"] == "p1" and ask["strategy"] == "unanimous"
        assert 0 < ask["deadline"] <= LONG_MS
    status = other.request("vote.status", vote=ok["vote"])
    assert status["t"] == "vote.status.ok" and status["state"] == "open"
    assert status["agent"] == "p1" and status["cast"] == 0 and status["deadline"] > 0
    for agent in (proposer, other):
        agent.request("vote.cast", vote=ok["vote"], option="no")
    assert other.request("vote.list")["votes"] == [ok["vote"]]
    status = proposer.request("vote.status", vote=ok["vote"])
    assert status["state"] == "decided" and status["option"] == "no"


def test_a_restarted_coordinator_knows_no_vote(make_swarm):
    swarm = make_swarm(voters_yaml("restart", bind=fixed_bind()))
    voter = ScriptedAgent(swarm, "v", "v1")
    ScriptedAgent(swarm, "v", "v2")  # never answers
    client = swarm.client()
    ok = propose(client, vote="pending", deadline=LONG_MS)  # the mute one keeps it open
    assert voter.request("vote.cast", vote="pending", option="yes")["t"] == "vote.cast.ok"
    assert client.ok("vote.status", vote="pending")["state"] == "open"
    swarm.kill()
    swarm.restart()
    client = swarm.client()
    client.error("vote.status", E_NO_VOTE, vote=ok["vote"])
    assert client.ok("vote.list").get("votes", []) == []
    # The old session's ballot finds no vote; a new vote is decided as usual
    voter = ScriptedAgent(swarm, "v", "v1")
    assert voter.request("vote.cast", vote="pending", option="yes")["code"] == E_NO_VOTE
    ok = propose(client, deadline=LONG_MS)
    assert ok["count"] == 1
    assert voter.request("vote.cast", vote=ok["vote"], option="no")["t"] == "vote.cast.ok"
    status = client.ok("vote.status", vote=ok["vote"])
    assert status["state"] == "decided" and status["option"] == "no"


@pytest.mark.parametrize("strategy", ["majority", "trust-weighted"])
def test_a_voter_that_left_still_counts(make_swarm, strategy):
    swarm = make_swarm(voters_yaml("left"))
    client = swarm.client()

    def attempt(deadline_ms):
        # Again with the same ids, each takes over its old session: three voters
        voters = [ScriptedAgent(swarm, "v", f"v{n}") for n in range(3)]
        ok = propose(client, strategy=strategy, deadline=deadline_ms)
        assert ok["count"] == 3, ok
        voters[2].send("bye")
        cast = voters[0].request("vote.cast", vote=ok["vote"], option="yes")
        if cast.get("code") == E_FINISHED:
            return False
        assert cast["t"] == "vote.cast.ok", cast
        # One ballot of three voters: no quorum, though the only voter left agreed
        status = wait_until(lambda: (s := client.ok("vote.status", vote=ok["vote"]))
                            ["state"] != "open" and s, deadline_ms / 1000 + 10,
                            "the deadline")
        assert status["state"] == "no-quorum" and status["count"] == 3
        return True
    in_time(attempt)


def test_the_votes_kept_and_the_votes_open_are_bounded(make_swarm):
    swarm = make_swarm(voters_yaml("bounds"))
    voter = ScriptedAgent(swarm, "v", "v1")  # one voter: its ballot settles a majority
    client = swarm.client()
    propose(client, vote="first", deadline=LONG_MS)
    rids = [client.send("vote.propose", question=QUESTION, options=CHOICES,
                        vote=f"o{n}", deadline=LONG_MS) for n in range(1, 1000)]
    assert all(client.reply(rid)["t"] == "vote.propose.ok" for rid in rids)
    assert "1000 votes are open" in client.error(
        "vote.propose", E_LIMIT, question=QUESTION, options=CHOICES)["why"]

    def cast_in(votes):
        for vote in votes:
            voter.send("vote.cast", vote=vote, option="yes", rid=voter.rid + 1)
            voter.rid += 1
        for _ in votes:
            reply = voter.next_match(lambda m: m["t"] in ("vote.cast.ok", "error"),
                                     "a ballot's reply")
            assert reply["t"] == "vote.cast.ok", reply

    # The 999 end in order, two more open and end: 1,001 ended, the first of them goes
    cast_in([f"o{n}" for n in range(1, 1000)])
    for vote in ("x1", "x2"):
        propose(client, vote=vote, deadline=LONG_MS)
    cast_in(["x1", "x2"])
    # The vote proposed first ends last: it is kept, the two ended first are not
    cast_in(["first"])
    assert client.ok("vote.status", vote="first")["state"] == "decided"
    client.error("vote.status", E_NO_VOTE, vote="o1")
    client.error("vote.status", E_NO_VOTE, vote="o2")
    assert client.ok("vote.status", vote="o3")["state"] == "decided"
    votes = client.ok("vote.list")["votes"]
    assert len(votes) == 1000 and votes[0] == "first" and votes[1] == "o3", votes[:3]
    assert votes[-2:] == ["x1", "x2"]


def test_a_stopping_swarm_ends_its_open_votes(make_swarm):
    swarm = make_swarm(voters_yaml("stopping"))
    voters = [ScriptedAgent(swarm, "v", f"v{n}") for n in range(4)]
    sub = swarm.subscribe()
    client = swarm.client()
    ok = propose(client, strategy="super-majority", deadline=LONG_MS)
    # Two thirds of the ballots cast, but the fourth voter could still dissent: open
    for voter, choice in zip(voters, ("no", "no", "yes")):
        assert voter.request("vote.cast", vote=ok["vote"], option=choice)["t"] == (
            "vote.cast.ok")
    assert client.ok("vote.status", vote=ok["vote"])["state"] == "open"
    swarm.proc.send_signal(signal.SIGTERM)
    # Tallied with the ballots it has
    end = decided(sub, ok["vote"])
    assert end["state"] == "decided" and end["option"] == "no" and end["cast"] == 3
    assert end["why"] == "the swarm is stopping"
