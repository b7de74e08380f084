# zswarmctl against a real zswarmd: output, exit statuses (0 done, 1 task failed or
# request refused, 2 usage or no connection) and JSON that parses.

import json
import os
import socket
import time

import pytest

from conftest import run_ctl


def ctl(swarm, *args, **kwargs):
    return run_ctl("-e", swarm.control_ep, *args, **kwargs)


def explain(proc):
    return f"exit {proc.returncode}, stdout {proc.stdout!r}, stderr {proc.stderr!r}"


def test_submit_wait_prints_output(swarm):
    proc = ctl(swarm, "--timeout", "15000", "submit", "--type", "echo", "--payload",
               "hello from ctl", "--wait")
    assert proc.returncode == 0, explain(proc)
    assert proc.stdout == "hello from ctl", explain(proc)


def test_submit_payload_from_stdin_and_wait_by_id(swarm):
    proc = ctl(swarm, "submit", "--type", "echo", "--payload", "-", "--id", "ctl-in",
               input_="from stdin\n")
    assert proc.returncode == 0 and proc.stdout.strip() == "ctl-in", explain(proc)
    waited = ctl(swarm, "wait", "ctl-in")
    assert waited.returncode == 0 and waited.stdout == "from stdin\n", explain(waited)
    again = ctl(swarm, "submit", "--type", "echo", "--payload", "x", "--id", "ctl-in")
    assert again.returncode == 0 and again.stdout.strip() == "ctl-in", explain(again)
    assert "exists" in again.stderr, f"a duplicate id should be reported: {explain(again)}"


def test_failing_task_exits_1(swarm):
    proc = ctl(swarm, "--timeout", "15000", "submit", "--type", "fail", "--payload",
               "broken", "--retries", "1", "--wait")
    assert proc.returncode == 1, explain(proc)
    assert "dead" in proc.stderr, f"should say the task is dead: {explain(proc)}"


def test_refused_request_exits_1(swarm):
    proc = ctl(swarm, "task", "no-such-task")
    assert proc.returncode == 1, explain(proc)
    proc = ctl(swarm, "--json", "wait", "no-such-task")
    assert proc.returncode == 1, explain(proc)
    reply = json.loads(proc.stdout.splitlines()[0])
    assert reply["t"] == "error" and reply["code"] == 5, f"JSON of the refusal: {reply!r}"


@pytest.mark.parametrize("args", [
    [],                                                    # no command
    ["frobnicate"],                                        # unknown command
    ["submit"],                                            # --type missing
    ["submit", "--type", "echo", "--priority", "abc"],     # not an integer
    ["submit", "--type", "echo", "--priority", "5000"],    # out of range
    ["submit", "--type", "echo", "--id", "bad id"],        # id syntax
    ["wait"],                                              # id missing
    ["task", "a", "b"],                                    # too many ids
    ["--timeout", "0", "status"],                          # out of range
    ["status", "--bogus"],                                 # unknown option
])
def test_bad_usage_exits_2(swarm, args):
    proc = ctl(swarm, *args)
    assert proc.returncode == 2, f"zswarmctl {args}: {explain(proc)}"
    assert proc.stderr.startswith("zswarmctl: "), f"diagnostic format: {explain(proc)}"
    assert proc.stdout == "", f"usage errors print nothing on stdout: {explain(proc)}"


def test_json_output_parses(swarm):
    swarm.wait_agents(2)
    status = ctl(swarm, "--json", "status")
    assert status.returncode == 0, explain(status)
    reply = json.loads(status.stdout)
    assert reply["t"] == "status.ok" and reply["name"] == "t1", f"{reply!r}"
    assert reply["n_agents"] == 2, f"{reply!r}"

    agents = ctl(swarm, "--json", "agents")
    assert agents.returncode == 0, explain(agents)
    records = json.loads(agents.stdout)["agents"]
    assert sorted(r["agent"] for r in records) == ["echo-1", "echo-2"], f"{records!r}"

    done = ctl(swarm, "--json", "submit", "--type", "echo", "--payload", "a\"b\\c\x01",
               "--wait")
    assert done.returncode == 0, explain(done)
    lines = done.stdout.splitlines()
    assert len(lines) == 1, f"submit --wait --json prints one line: {explain(done)}"
    reply = json.loads(lines[0])
    assert reply["t"] == "wait.ok" and reply["state"] == "completed", f"{reply!r}"
    assert reply["stdout"] == "a\"b\\c\x01", f"JSON stdout: {reply['stdout']!r}"

    task = ctl(swarm, "--json", "task", reply["task"])
    assert task.returncode == 0 and json.loads(task.stdout)["task"] == reply["task"], (
        explain(task))


def test_json_may_follow_the_command_word(swarm, workdir):
    after = ctl(swarm, "status", "--json")
    assert after.returncode == 0, explain(after)
    assert json.loads(after.stdout)["t"] == "status.ok", explain(after)
    helped = ctl(swarm, "agents", "--help")
    assert "--json" in helped.stdout, f"--json in the command's help: {explain(helped)}"
    # keygen asks no zswarmd: it prints no reply, and takes no --json
    offline = ctl(swarm, "keygen", f"{workdir}/k", "--json")
    assert offline.returncode == 2 and "--json" in offline.stderr, explain(offline)
    assert not os.path.exists(f"{workdir}/k"), "a refused keygen wrote a key"


def test_human_output(swarm):
    swarm.wait_agents(2)
    status = ctl(swarm, "status")
    assert status.returncode == 0 and "t1" in status.stdout, explain(status)
    agents = ctl(swarm, "agents")
    assert agents.returncode == 0, explain(agents)
    assert "echo-1" in agents.stdout and "echo-2" in agents.stdout, explain(agents)


def free_port():
    """A loopback port nothing listens on (bound then closed: nothing will answer)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dead_endpoint_exits_2_within_timeout():
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    started = time.monotonic()
    # It must not hang: run_ctl raises after 30 s
    proc = run_ctl("-e", endpoint, "--timeout", "500", "status", timeout=30)
    elapsed = time.monotonic() - started
    assert proc.returncode == 2, explain(proc)
    assert "no reply" in proc.stderr and "within 500 ms" in proc.stderr, (
        f"should say no reply within the --timeout: {explain(proc)}")
    # It waited for the reply that long first: a slow machine can only make it longer
    assert elapsed >= 0.5, f"zswarmctl gave up after {elapsed:.3f} s, before its --timeout"


def test_help_exits_0():
    proc = run_ctl("--help")
    assert proc.returncode == 0 and "usage: zswarmctl" in proc.stdout, explain(proc)
