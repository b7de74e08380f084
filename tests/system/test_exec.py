# The exec handler through the whole system: the payload reaches the command on stdin,
# stdout, stderr and the exit status come back, a non-zero exit fails the attempt, and
# a timeout kills the task's whole process group.

import os

import pytest

from conftest import group_members, is_alive, swarm_yaml, wait_until

OUTPUT_MAX = 64 * 1024

EXEC_TYPES = [
    "{type: cat, count: 1, handler: exec, command: [/bin/cat], concurrency: 2}",
    # the payload is the script: sh reads its commands from stdin
    "{type: sh, count: 1, handler: exec, command: [/bin/sh], concurrency: 2}",
    "{type: nocmd, count: 1, handler: exec, command: [/nonexistent/zswarm-test]}",
]


@pytest.fixture
def exec_swarm(make_swarm):
    swarm = make_swarm(swarm_yaml("exec", EXEC_TYPES, tasks={"timeout_ms": 20000}))
    swarm.wait_agents(3)
    return swarm


def test_payload_reaches_stdin_and_stdout_comes_back(exec_swarm):
    client = exec_swarm.client()
    payload = bytes(range(256)) * 4 + b"\nend"
    done = client.run("cat", payload)
    assert done["state"] == "completed" and done["status"] == "ok", f"{done!r}"
    assert done["stdout"] == payload, f"cat returned {done.get('stdout', b'')[:64]!r}..."
    assert done.get("exit", 0) == 0 and not done.get("stderr"), f"{done!r}"
    empty = client.run("cat", None)
    assert empty["state"] == "completed" and not empty.get("stdout"), f"{empty!r}"


def test_stdout_stderr_and_exit_code(exec_swarm):
    client = exec_swarm.client()
    done = client.run("sh", "printf 'to out'; printf 'to err' >&2; exit 3", tries=1)
    assert done["state"] == "dead", f"exit 3 is a failure: {done!r}"
    assert done["status"] == "fail" and done["exit"] == 3, f"{done!r}"
    assert done["stdout"] == b"to out" and done["stderr"] == b"to err", f"{done!r}"
    ok = client.run("sh", "printf 'fine'; printf 'warn' >&2")
    assert ok["state"] == "completed" and ok["status"] == "ok", f"{ok!r}"
    assert ok["stdout"] == b"fine" and ok["stderr"] == b"warn", f"{ok!r}"
    assert ok.get("exit", 0) == 0, f"{ok!r}"


def test_nonzero_exit_is_retried_then_dead(exec_swarm, workdir):
    client = exec_swarm.client()
    counter = os.path.join(workdir, "attempts")
    done = client.run("sh", f"echo run >> '{counter}'; exit 7", tries=3)
    assert done["state"] == "dead" and done["att"] == 3, f"{done!r}"
    assert done["exit"] == 7, f"{done!r}"
    with open(counter) as f:
        runs = f.read().split()
    assert runs == ["run"] * 3, f"the command ran {len(runs)} times for 3 tries"


def test_signal_exit_is_reported_negative(exec_swarm):
    client = exec_swarm.client()
    done = client.run("sh", "kill -9 $$", tries=1)
    assert done["state"] == "dead" and done["exit"] == -9, (
        f"a command killed by signal 9 exits -9: {done!r}")


def test_output_is_truncated_at_64k(exec_swarm):
    client = exec_swarm.client()
    done = client.run("sh", "head -c 200000 /dev/zero; head -c 100000 /dev/zero >&2")
    brief = {k: v for k, v in done.items() if k not in ("stdout", "stderr")}
    assert done["state"] == "completed", f"{brief!r}"
    assert len(done["stdout"]) == OUTPUT_MAX, f"stdout kept {len(done['stdout'])} bytes"
    assert len(done["stderr"]) == OUTPUT_MAX, f"stderr kept {len(done['stderr'])} bytes"
    assert "truncat" in (done.get("why") or ""), f"why should say truncated: {brief!r}"


def run_recorded(client, workdir):
    """Submit a script that records its pids, then sleeps past its timeout. The timeout
    must come after the record: one that came first (the task ended without the record,
    or with its background sleep gone) says only that the machine is slow, and the
    script runs again with a timeout 4 times longer. Returns the rid of the submit,
    which waits, the pids of the script and of its background sleep, and the process
    group of the latter."""
    for attempt, tmo in enumerate((1500, 6000, 24000)):
        task = f"tmo-{attempt}"
        pids_file = os.path.join(workdir, f"pids-{attempt}")
        script = (f"echo $$ > '{pids_file}.tmp'; sleep 30 & echo $! >> '{pids_file}.tmp'; "
                  f"mv '{pids_file}.tmp' '{pids_file}'; sleep 30")
        rid = client.send("submit", ttype="sh", payload=script.encode(), task=task,
                          tmo=tmo, tries=1, wait=True)
        assert client.reply(rid)["t"] == "submit.ok"
        wait_until(lambda t=task, p=pids_file: os.path.exists(p) or (
            client.ok("task", task=t)["state"] == "dead"), 10 + tmo / 1000,
            "the script to record its pids, or its timeout")
        if os.path.exists(pids_file):
            with open(pids_file) as f:
                leader, background = (int(x) for x in f.read().split())
            try:
                if is_alive(background):
                    return rid, leader, background, os.getpgid(background)
            except ProcessLookupError:
                pass  # the timeout came first after all
        client.reply(rid, seconds=30)
    pytest.fail(f"the script never recorded its pids before its timeout of {tmo} ms")


def test_timeout_kills_the_process_group(exec_swarm, workdir):
    client = exec_swarm.client()
    rid, leader, background, group = run_recorded(client, workdir)
    assert group == leader, f"the task does not lead its own group: {group} != {leader}"

    done = client.reply(rid, seconds=30)
    assert done["state"] == "dead", f"a timed-out task with tries 1 is dead: {done!r}"
    assert done.get("status") == "timeout" or "timeout" in (done.get("why") or ""), (
        f"the outcome should say timeout: {done!r}")
    # The group is killed before the result is sent; allow for signal delivery
    wait_until(lambda: not group_members(leader), 5,
               f"process group {leader} to be gone (members: {group_members(leader)})")
    assert not is_alive(background), f"background sleep {background} survived the timeout"


def test_missing_command_fails_without_killing_the_agent(exec_swarm):
    client = exec_swarm.client()
    before = {a["agent"]: a["pid"] for a in exec_swarm.agents()}
    done = client.run("nocmd", "x", tries=2)
    assert done["state"] == "dead" and done["att"] == 2, f"{done!r}"
    assert done["status"] == "fail", f"{done!r}"
    after = {a["agent"]: a["pid"] for a in exec_swarm.agents()}
    assert after == before, f"agents changed: {before} -> {after}"
