# zswarmctl vote against a real zswarmd (docs/ctl.md, PROTOCOL.md §8.2): propose and
# wait for the outcome, a vote's status with its ballots, the list of votes, the exit
# status of a vote that ends without a decision, and usage errors that send nothing.
#
# The agents vote as their type's 'vote' key says: 'aye' agents answer yes at once,
# the 'nay' agent runs a command that answers no, 'mute' agents have no 'vote' key and
# abstain.

import json
import os

from conftest import SLOW, free_ports, run_ctl, swarm_yaml

HB_MS = 100


def council(make_swarm, name):
    swarm = make_swarm(swarm_yaml(name, [
        "{type: aye, count: 3, vote: 'yes'}",
        "{type: nay, count: 1, vote: {exec: [sh, -c, 'cat >/dev/null; echo no']}}",
        "{type: mute, count: 2}",
    ], hb=HB_MS))
    swarm.wait_agents(6)
    return swarm


def ctl(swarm, *args, **kwargs):
    return run_ctl("-e", swarm.control_ep, *args, **kwargs)


def propose_wait(swarm, *args):
    return ctl(swarm, "vote", "propose", *args, "--wait", "--events", swarm.events_ep)


def fields(out):
    """The 'key: value' lines of vote status output; ballots as a list."""
    found = {"ballot": []}
    for line in out.splitlines():
        key, _, value = line.partition(":")
        value = value.strip()
        if key == "ballot":
            found["ballot"].append(value)
        else:
            found[key] = value
    return found


def test_propose_wait_prints_the_decision_and_status_the_ballots(make_swarm):
    swarm = council(make_swarm, "ctlvote")
    done = propose_wait(swarm, "release 1.2?", "yes", "no", "--voters", "aye,nay",
                        "--id", "ship")
    assert done.returncode == 0, done
    shown = fields(done.stdout)
    assert (shown["vote"], shown["question"], shown["options"], shown["state"],
            shown["decision"], shown["types"], shown["voters"]) == (
        "ship", "release 1.2?", "yes,no", "decided", "yes", "aye,nay", "4"), done
    # Majority ends as soon as three of four said yes: the nay may not have cast
    assert shown["cast"] in ("3", "4") and len(shown["ballot"]) == int(shown["cast"])
    assert done.stderr == "", done

    status = ctl(swarm, "vote", "status", "ship")
    assert status.returncode == 0, status
    ballots = fields(status.stdout)["ballot"]
    ayes = [f"aye-{n} yes 1.000 confidence 1.000 weight 1" for n in (1, 2, 3)]
    assert sorted(b for b in ballots if b.startswith("aye")) == ayes, status
    assert set(ballots) - set(ayes) <= {"nay-1 no 1.000 confidence 1.000 weight 1"}, status
    assert "left" not in fields(status.stdout), status  # ended: no time left

    as_json = json.loads(ctl(swarm, "--json", "vote", "status", "ship").stdout)
    assert (as_json["t"], as_json["state"], as_json["option"]) == (
        "vote.status.ok", "decided", "yes"), as_json
    assert "aye-1 yes 1000 1000 1" in as_json["ballots"], as_json

    # --json --wait prints the vote.status.ok line only; $ZSWARM_EVENTS names the socket
    waited = ctl(swarm, "--json", "vote", "propose", "again?", "yes", "no", "--voters",
                 "aye", "--wait", env=dict(os.environ, ZSWARM_EVENTS=swarm.events_ep))
    assert waited.returncode == 0 and len(waited.stdout.splitlines()) == 1, waited
    line = json.loads(waited.stdout)
    assert (line["t"], line["question"], line["option"]) == (
        "vote.status.ok", "again?", "yes"), line


def test_every_ballot_and_weights_in_thousandths(make_swarm):
    swarm = council(make_swarm, "ctlballots")
    # Unanimous waits for every voter: all four ballots are in, and the nay dissents
    split = propose_wait(swarm, "unanimous?", "yes", "no", "--voters", "aye,nay",
                         "--strategy", "unanimous", "--id", "all")
    assert split.returncode == 1, split
    assert "vote 'all' ended no-decision: 4 of 4 voters cast" in split.stderr, split
    shown = fields(split.stdout)
    assert shown["state"] == "no-decision" and "decision" not in shown, split
    assert [b.split(" confidence")[0] for b in sorted(shown["ballot"])] == [
        "aye-1 yes 1.000", "aye-2 yes 1.000", "aye-3 yes 1.000", "nay-1 no 1.000"], split
    # Trust-weighted ballots weigh the voter's trust: a fraction, shown as 0.NNN
    weighted = propose_wait(swarm, "weighted?", "yes", "no", "--voters", "aye",
                            "--strategy", "trust-weighted")
    assert weighted.returncode == 0, weighted
    for ballot in fields(weighted.stdout)["ballot"]:
        agent, option, weight, _, confidence, _, own = ballot.split()
        assert agent.startswith("aye-") and option == "yes", weighted
        assert weight.startswith("0.") and len(weight) == 5, weighted
        assert (confidence, own) == ("1.000", "1"), weighted


def test_propose_prints_the_id_and_list_lists_the_votes(make_swarm):
    swarm = council(make_swarm, "ctllist")
    first = ctl(swarm, "vote", "propose", "first?", "yes", "no", "--voters", "aye",
                "--id", "first")
    assert first.returncode == 0 and first.stdout == "first\n", first
    assert first.stderr == "zswarmctl: vote 'first': 3 voters asked\n", first
    made = ctl(swarm, "vote", "propose", "made?", "a", "b", "c")
    assert made.returncode == 0, made
    made_id = made.stdout.strip()
    assert made_id and "\n" not in made_id and made_id != "first", made
    proposed = json.loads(ctl(swarm, "--json", "vote", "propose", "json?", "yes", "no",
                              "--voters", "mute", "--id", "quiet").stdout)
    assert (proposed["t"], proposed["vote"], proposed["count"]) == (
        "vote.propose.ok", "quiet", 2), proposed

    listed = ctl(swarm, "vote", "list")
    assert listed.returncode == 0, listed
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert rows[0] == ["VOTE", "STATE", "CAST/VOTERS", "DECISION"], listed
    assert [row[0] for row in rows[1:]] == ["first", made_id, "quiet"], listed
    assert rows[3] == ["quiet", "open", "0/2", "-"], listed
    assert rows[1][0:2] == ["first", "decided"] and rows[1][3] == "yes", listed
    assert json.loads(ctl(swarm, "--json", "vote", "list").stdout)["votes"] == [
        "first", made_id, "quiet"]


def test_no_quorum_exits_1_and_a_vote_still_open_exits_2(make_swarm):
    swarm = council(make_swarm, "ctlquorum")
    # Nobody of type mute answers: no ballot by the deadline. The wait ends with the
    # vote.decided event, long before the hour of --timeout (run_ctl gives up at 30 s)
    mute = run_ctl("-e", swarm.control_ep, "--timeout", "3600000", "vote", "propose",
                   "anyone?", "yes", "no", "--voters", "mute", "--deadline",
                   str(int(300 * SLOW)), "--id", "silence", "--wait", "--events",
                   swarm.events_ep)
    assert mute.returncode == 1, mute
    assert fields(mute.stdout)["state"] == "no-quorum", mute
    assert mute.stderr == ("zswarmctl: vote 'silence' ended no-quorum: 0 of 2 voters "
                           "cast\n"), mute
    # --timeout ends the wait before the vote ends: status shows it open, exit 2. A
    # --timeout that ran out before the proposal's reply says only that the machine is
    # slow: then a longer one is tried, for a vote of its own
    for attempt, timeout_ms in enumerate((300, 1200, 4800)):
        waiting = run_ctl("-e", swarm.control_ep, "--timeout", str(int(timeout_ms * SLOW)),
                          "vote", "propose", "later?", "yes", "no", "--voters", "mute",
                          "--deadline", "60000", "--id", f"later-{attempt}", "--wait",
                          "--events", swarm.events_ep)
        if "no reply" not in waiting.stderr:
            break
    assert waiting.returncode == 2, waiting
    assert f"vote 'later-{attempt}' still open" in waiting.stderr, waiting
    shown = fields(waiting.stdout)
    assert shown["state"] == "open" and shown["left"].endswith(" s"), waiting


def test_a_lost_event_falls_back_to_status(make_swarm):
    swarm = council(make_swarm, "ctllost")
    # An events endpoint where nobody listens: no event ever comes. Without the vote's
    # vote.opened, zswarmctl asks vote.status now and then, and sees the decision long
    # before the hour of --timeout (run_ctl gives up at 30 s)
    nowhere = f"tcp://127.0.0.1:{free_ports(1)[0]}"
    done = run_ctl("-e", swarm.control_ep, "--timeout", "3600000", "vote", "propose",
                   "lost?", "yes", "no", "--voters", "aye", "--wait", "--events", nowhere)
    assert done.returncode == 0, done
    shown = fields(done.stdout)
    assert (shown["state"], shown["decision"]) == ("decided", "yes"), done


def test_refusals_exit_1(make_swarm):
    swarm = council(make_swarm, "ctlrefused")
    missing = ctl(swarm, "vote", "status", "nope")
    assert missing.returncode == 1 and "no such vote" in missing.stderr, missing
    nobody = ctl(swarm, "vote", "propose", "q", "yes", "no", "--voters", "ghost")
    assert nobody.returncode == 1 and "no agent of the types asked" in nobody.stderr, (
        nobody)
    assert ctl(swarm, "vote", "propose", "q", "yes", "no", "--id", "x").returncode == 0
    taken = ctl(swarm, "vote", "propose", "q", "yes", "no", "--id", "x")
    assert taken.returncode == 1 and "vote 'x' exists" in taken.stderr, taken
    refused = json.loads(ctl(swarm, "--json", "vote", "status", "nope").stdout)
    assert (refused["t"], refused["code"]) == ("error", 14), refused


def test_usage_errors_exit_2_and_send_nothing(make_swarm):
    swarm = council(make_swarm, "ctlusage")
    bad = {
        ("vote", "propose", "q", "yes"): "expected 2..16 options, got 1",
        ("vote", "propose", "q", *[f"o{n}" for n in range(17)]): "got 17",
        ("vote", "propose", "q", "yes", "yes"): "option 'yes' is given twice",
        ("vote", "propose", "q", "yes", "no/t"): "vote option: expected 1..64",
        ("vote", "propose", "", "yes", "no"): "a question is 1..1024 bytes",
        ("vote", "propose", "x" * 1025, "yes", "no"): "got 1025",
        # Bytes 0xff 0xfe: an argument is bytes, and these are not UTF-8
        ("vote", "propose", "\udcff\udcfe?", "yes", "no"): "is not valid UTF-8",
        ("vote", "propose", "q", "yes", "no", "--strategy", "plurality"):
            "--strategy: expected majority",
        ("vote", "propose", "q", "yes", "no", "--deadline", "0"):
            "--deadline: expected an integer in 1..86400000",
        ("vote", "propose", "q", "yes", "no", "--deadline", "86400001"): "--deadline",
        ("vote", "propose", "q", "yes", "no", "--voters", "a,,b"): "--voters",
        ("vote", "propose", "q", "yes", "no", "--id", "a b"): "--id",
        ("vote", "propose", "q", "yes", "no", "--events", "tcp://127.0.0.1:1"):
            "--events goes with --wait",
        ("vote", "status", "x", "--wait"): "vote status: --wait does not apply",
        ("vote", "list", "--voters", "aye"): "vote list: --voters does not apply",
        ("vote", "list", "extra"): "unexpected argument 'extra'",
        ("vote", "status"): "expected one vote ID",
        ("vote", "frob"): "expected propose, status or list, got 'frob'",
        ("vote",): "missing operand",
    }
    for args, message in bad.items():
        usage = ctl(swarm, *args)
        assert usage.returncode == 2, (args, usage)
        assert usage.stderr.startswith("zswarmctl: ") and message in usage.stderr, (
            args, usage)
        assert usage.stdout == "", (args, usage)
    assert swarm.control.ok("vote.list").get("votes", []) == []


def test_help_describes_vote():
    overall = run_ctl("--help")
    assert overall.returncode == 0 and "\n  vote " in overall.stdout, overall
    assert "a vote without decision" in overall.stdout, overall
    own = run_ctl("vote", "--help")
    assert own.returncode == 0, own
    assert "vote propose QUESTION OPTION OPTION..." in own.stdout, own
    for option in ("--voters", "--strategy", "--deadline", "--id", "--wait", "--events"):
        assert f"  {option} " in own.stdout, (option, own)
