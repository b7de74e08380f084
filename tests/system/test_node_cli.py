# zswarm-node's command line, without a coordinator: --help and --version exit 0, a
# usage error exits 2 with a message on stderr and nothing on stdout, and a good command
# line prints the ready line and stops cleanly on SIGTERM (nothing answers its hellos).
# The node against a real zswarmd is in test_node.py.

import os
import re
import signal
import socket
import subprocess

import pytest

from conftest import SLOW, binary, spawn, stop_process, wait_until

NAME_RE = re.compile(r"^[A-Za-z0-9._:-]{1,32}$")


def explain(proc):
    return f"exit {proc.returncode}, stdout {proc.stdout!r}, stderr {proc.stderr!r}"


def node(*args, env=None):
    return subprocess.run([binary("ZSWARM_NODE"), *args], capture_output=True, text=True,
                          timeout=30 * SLOW, env=env)


def free_endpoint():
    """A loopback endpoint nothing listens on (bound then closed: nothing answers)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


def test_help_and_version_exit_0():
    proc = node("--help")
    assert proc.returncode == 0, explain(proc)
    assert proc.stdout.startswith("usage: zswarm-node --connect ENDPOINT"), explain(proc)
    for option in ("--slots", "--name", "--agent", "--cert", "--server-key"):
        assert option in proc.stdout, f"--help does not mention {option}: {explain(proc)}"
    proc = node("--version")
    assert proc.returncode == 0 and re.match(r"^zswarm-node \S+\n$", proc.stdout), (
        explain(proc))


EP = "tcp://127.0.0.1:1"


@pytest.mark.parametrize("args, says", [
    ([], "--connect ENDPOINT is required"),
    (["--slots", "4"], "--connect ENDPOINT is required"),
    (["-c", EP, "--slots", "0"], "--slots: expected an integer in 1..1000, got '0'"),
    (["-c", EP, "--slots", "1001"], "--slots: expected an integer in 1..1000"),
    (["-c", EP, "--slots", "four"], "--slots: expected an integer in 1..1000"),
    (["-c", EP, "--name", "bad name"], "--name must be 1-32 of A-Z a-z 0-9 . _ : -"),
    (["-c", EP, "--name", "n" * 33], "--name must be 1-32"),
    (["-c", EP, "--name", ""], "--name must be 1-32"),
    (["-c", EP, "--cert", "x_secret"], "--cert and --server-key go together"),
    (["-c", EP, "--server-key", "x"], "--cert and --server-key go together"),
    (["-c", EP, "--agent", "/nonexistent/zswarm-agent"],
     "cannot run agent program '/nonexistent/zswarm-agent'"),
    (["-c", EP, "--bogus"], "unrecognized option '--bogus'"),
    (["-c", EP, "extra"], "unexpected argument 'extra'"),
    (["-c", EP, "--slots"], "requires an argument"),
])
def test_bad_usage_exits_2(args, says):
    proc = node(*args)
    assert proc.returncode == 2, f"zswarm-node {args}: {explain(proc)}"
    assert says in proc.stderr, f"zswarm-node {args} should say {says!r}: {explain(proc)}"
    assert "try 'zswarm-node --help'" in proc.stderr, explain(proc)
    assert proc.stdout == "", f"usage errors print nothing on stdout: {explain(proc)}"


@pytest.mark.parametrize("args, says", [
    (["--connect", "bogus://x"], "cannot connect to 'bogus://x'"),
    (["--connect", EP, "--cert", "/nonexistent/n_secret", "--server-key", "x" * 40],
     "/nonexistent/n_secret"),
])
def test_unusable_endpoint_or_keys_exit_2(args, says):
    proc = node(*args)
    assert proc.returncode == 2, f"zswarm-node {args}: {explain(proc)}"
    assert says in proc.stderr, f"zswarm-node {args} should say {says!r}: {explain(proc)}"
    assert "zswarm-node ready" not in proc.stdout, explain(proc)


def start(workdir, *args):
    out_path = os.path.join(workdir, "node.stdout")
    with open(out_path, "wb") as out, open(os.path.join(workdir, "node.stderr"),
                                          "wb") as err:
        proc = spawn([binary("ZSWARM_NODE"), "--connect", free_endpoint(), *args],
                     stdin=subprocess.DEVNULL, stdout=out, stderr=err)

    def ready():
        assert proc.poll() is None, f"zswarm-node exited with {proc.returncode}"
        with open(out_path) as f:
            return f.read()
    return proc, wait_until(ready, 10, "zswarm-node's ready line")


def test_ready_line_then_sigterm_exits_0(workdir):
    proc, line = start(workdir, "--name", "n-1.a", "--slots", "3")
    assert line == "zswarm-node ready name=n-1.a slots=3\n", line
    assert stop_process(proc, signal.SIGTERM, 10) == 0


def test_defaults_are_the_host_name_and_the_cpus(workdir):
    name = socket.gethostname().split(".")[0]
    if not NAME_RE.match(name):
        pytest.skip(f"the host name {name!r} makes no node name")
    proc, line = start(workdir)
    slots = min(max(os.cpu_count() or 1, 1), 1000)
    assert line == f"zswarm-node ready name={name} slots={slots}\n", line
    assert stop_process(proc, signal.SIGINT, 10) == 0
