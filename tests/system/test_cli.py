# The command line every program shares (common/zs_opts), without a coordinator:
# -h/--help and -V/--version exit 0 with their text on stdout; a usage error exits 2
# with "PROGRAM: message" on stderr and nothing on stdout. zswarm-node's own options
# are in test_node_cli.py, zswarmctl's commands in test_ctl.py and test_vote_ctl.py.

import re
import subprocess

import pytest

from conftest import SLOW, binary

PROGRAMS = {
    "ZSWARMD": "zswarmd",
    "ZSWARM_AGENT": "zswarm-agent",
    "ZSWARM_NODE": "zswarm-node",
    "ZSWARMCTL": "zswarmctl",
}
# Their usage errors end with a pointer to --help; zswarmctl's are one line
TRY_HELP = {"zswarmd", "zswarm-agent", "zswarm-node"}
EP = "tcp://127.0.0.1:1"


def run(env_name, *args):
    return subprocess.run([binary(env_name), *args], capture_output=True, text=True,
                          timeout=30 * SLOW, stdin=subprocess.DEVNULL)


def explain(proc):
    return f"exit {proc.returncode}, stdout {proc.stdout!r}, stderr {proc.stderr!r}"


@pytest.mark.parametrize("env_name", PROGRAMS)
@pytest.mark.parametrize("word", ["-h", "--help"])
def test_help(env_name, word):
    proc = run(env_name, word)
    name = PROGRAMS[env_name]
    assert proc.returncode == 0 and proc.stderr == "", explain(proc)
    assert proc.stdout.startswith(f"usage: {name} "), explain(proc)
    assert "\n  -h, --help " in proc.stdout and "\n  -V, --version " in proc.stdout, (
        explain(proc))


@pytest.mark.parametrize("env_name", PROGRAMS)
@pytest.mark.parametrize("word", ["-V", "--version"])
def test_version(env_name, word):
    proc = run(env_name, word)
    assert proc.returncode == 0, explain(proc)
    assert re.match(rf"^{PROGRAMS[env_name]} \S+\n$", proc.stdout), explain(proc)


@pytest.mark.parametrize("env_name, args, says", [
    ("ZSWARMD", [], "no swarm file given"),
    ("ZSWARMD", ["a.yaml", "b.yaml"], "unexpected argument 'b.yaml'"),
    ("ZSWARMD", ["--bogus", "a.yaml"], "unrecognized option '--bogus'"),
    ("ZSWARMD", ["--check=yes", "a.yaml"], "--check: takes no value"),
    ("ZSWARM_AGENT", [], "--connect ENDPOINT is required"),
    ("ZSWARM_AGENT", ["-c", EP], "--type TYPE is required"),
    ("ZSWARM_AGENT", ["-c", EP, "-t", ""], "--type TYPE is required"),
    ("ZSWARM_AGENT", ["-c", EP, "-t", "bad type"],
     "--type must be 1-64 of A-Z a-z 0-9 . _ : -, not 'bad type'"),
    ("ZSWARM_AGENT", ["-c", EP, "-t", "x", "-i", "a/b"], "--id must be 1-64"),
    ("ZSWARM_AGENT", ["-c", EP, "-t", "x", "-n", "0"],
     "--concurrency: expected an integer in 1..1024, got '0'"),
    ("ZSWARM_AGENT", ["-c", EP, "-t", "x", "-p0"],
     "--parent: expected an integer in 1..2147483647, got '0'"),
    ("ZSWARM_AGENT", ["-c", EP, "-t", "x", "--cert", "a_secret"],
     "--cert and --server-key go together"),
    ("ZSWARM_AGENT", ["-c", EP, "-t", "x", "extra"], "unexpected argument 'extra'"),
    ("ZSWARM_AGENT", ["-c", EP, "-t"], "--type: requires an argument TYPE"),
    ("ZSWARMCTL", ["--bogus", "status"], "unrecognized option '--bogus'"),
    ("ZSWARMCTL", ["-e"], "--endpoint: requires an argument ENDPOINT"),
    ("ZSWARMCTL", ["submit"], "--type T is required"),
])
def test_usage_error_exits_2(env_name, args, says):
    proc = run(env_name, *args)
    name = PROGRAMS[env_name]
    assert proc.returncode == 2, explain(proc)
    assert proc.stderr.startswith(f"{name}: {says}"), explain(proc)
    assert (f"\ntry '{name} --help'\n" in proc.stderr) == (name in TRY_HELP), (
        explain(proc))
    assert proc.stdout == "", explain(proc)


def test_agent_bad_secret_exits_2():
    proc = subprocess.run([binary("ZSWARM_AGENT"), "-c", EP, "-t", "x"],
                          capture_output=True, text=True, timeout=30 * SLOW,
                          env={"ZSWARM_AGENT_SECRET": "not hex"})
    assert proc.returncode == 2, explain(proc)
    assert "$ZSWARM_AGENT_SECRET must be 64 hex digits" in proc.stderr, explain(proc)


@pytest.mark.parametrize("env_name, args, says", [
    ("ZSWARM_AGENT", ["--connect", "bogus://x", "--type", "x"],
     "cannot connect to 'bogus://x'"),
    ("ZSWARM_AGENT", ["-c", EP, "-t", "x", "--cert", "/nonexistent/a_secret",
                      "--server-key", "x" * 40], "/nonexistent/a_secret"),
])
def test_unusable_endpoint_or_keys_exit_2(env_name, args, says):
    proc = run(env_name, *args)
    assert proc.returncode == 2, explain(proc)
    assert says in proc.stderr, explain(proc)
