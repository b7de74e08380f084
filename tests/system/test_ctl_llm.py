# zswarmctl and what issue 14 added to zswarmd: LLM providers and budgets (providers,
# status, task), and a running task's progress (task).
#
# The llm agent is a ScriptedAgent (conftest): zswarmd needs no real provider to list
# its providers, and a script decides exactly what a task reports (provider.report,
# task.progress) and when. Transfers are the real download handler against the local
# FileServer fake. A terminal is a pty: zswarmctl's stdout is its slave end, and the
# test reads the master end.

import json
import os
import pty
import select
import subprocess
import time

import pytest

from conftest import (ScriptedAgent, binary, deadline, explain, run_ctl, spawn,
                      stop_process, swarm_yaml, unpack, wait_until, yaml_flow)
from fakes.files import FileServer

MIB = 1 << 20
SECRET = "sk-zswarm-test-never-printed"  # the value of the provider's key_env

PROVIDERS = {
    "local": {"kind": "ollama", "base_url": "http://127.0.0.1:9", "model": "llama3.2",
              "rpm": 60, "price_in": 1, "price_out": 2},
    "cloud": {"kind": "openai", "base_url": "http://127.0.0.1:9/v1",
              "model": "gpt-4o-mini", "key_env": "ZS_TEST_LLM_KEY"},
}
# 1000 tokens in and 500 out at local's prices: 0.001 + 0.001 USD
TOK_IN, TOK_OUT, USD = 1000, 500, 0.002


def llm_yaml(name, agents, type_budget=1000):
    """A swarm with the providers above, a swarm budget, and an llm type 'coder' whose
    agents join by themselves (count 0: the test's ScriptedAgent)."""
    coder = {"provider": "local", "fallbacks": ["cloud"], "budget": {"tokens": type_budget}}
    return swarm_yaml(name, [f"{{type: coder, count: 0, handler: llm, "
                             f"llm: {yaml_flow(coder)}}}", *agents], hb=100, liveness=40,
                      providers=PROVIDERS, budget={"tokens": 100000, "usd": 5})


@pytest.fixture
def llm_swarm(make_swarm):
    return make_swarm(llm_yaml("llm", []), env={"ZS_TEST_LLM_KEY": SECRET})


def ctl(swarm, *args, **kwargs):
    return run_ctl("-e", swarm.control_ep, *args, **kwargs)


def ctl_json(swarm, *args):
    proc = ctl(swarm, "--json", *args)
    assert proc.returncode == 0, explain(proc)
    assert SECRET not in proc.stdout + proc.stderr, f"a key was printed: {explain(proc)}"
    return json.loads(proc.stdout)


def pump(agent):
    """Answer the coordinator's heartbeats while the test waits on something else; keep
    every other message for agent.next()."""
    while agent.sock.poll(0):
        msg = unpack(agent.sock.recv(), f"message to {agent.id}")
        if msg["t"] == "heartbeat":
            agent.send("heartbeat")
        else:
            agent.kept.append(msg)


# ---------------------------------------------------------------------------------------
# zswarmctl under a terminal


class Ctl:
    """zswarmctl run in the background: stdout a pipe (or a pty), stderr a pty (or a
    pipe). read() collects what it wrote; the process is stopped by PID at the end."""

    def __init__(self, swarm, *args, tty_err=True, tty_out=False):
        self.out_master = self.err_master = None
        out = err = subprocess.PIPE
        slaves = []
        if tty_out:
            self.out_master, out = pty.openpty()
            slaves.append(out)
        if tty_err:
            self.err_master, err = pty.openpty()
            slaves.append(err)
        self.proc = spawn([binary("ZSWARMCTL"), "-e", swarm.control_ep, *args],
                          stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        for fd in slaves:
            os.close(fd)  # the child holds the slave end
        self.fds = {"out": self.out_master if tty_out else self.proc.stdout.fileno(),
                    "err": self.err_master if tty_err else self.proc.stderr.fileno()}
        self.data = {"out": b"", "err": b""}

    def read(self, timeout_ms=0):
        """Read what is there (waiting up to timeout_ms for something)."""
        fds = [fd for fd in self.fds.values() if fd is not None]
        ready, _, _ = select.select(fds, [], [], timeout_ms / 1000)
        for name, fd in self.fds.items():
            if fd in ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # a pty whose slave closed: EIO
                    chunk = b""
                if chunk:
                    self.data[name] += chunk
                else:
                    self.fds[name] = None

    def wait_for(self, name, predicate, what, seconds=20, agent=None, each=None):
        """Read until predicate(self.data[name]) holds; agent is pumped and each() called
        between reads (to repeat an event until it is seen)."""
        until = deadline(seconds)
        while not predicate(self.data[name]):
            if time.monotonic() > until:
                pytest.fail(f"zswarmctl's {name} never showed {what}: {self.data!r}")
            if each:
                each()
            if agent:
                pump(agent)
            self.read(50)
        return self.data[name]

    def finish(self, seconds=20, agent=None):
        """Wait for the exit, reading to the end; returns the exit status."""
        until = deadline(seconds)
        while self.proc.poll() is None or any(fd is not None for fd in self.fds.values()):
            if time.monotonic() > until:
                pytest.fail(f"zswarmctl did not end: {self.data!r}")
            if agent:
                pump(agent)
            self.read(50)
            if self.proc.poll() is not None:
                self.read(0)
                # a pty master reads EIO once the child is gone and drained
                for name in ("out", "err"):
                    fd = self.fds[name]
                    if fd is not None and not select.select([fd], [], [], 0)[0]:
                        self.fds[name] = None
        return self.proc.wait()

    def close(self):
        stop_process(self.proc)
        for fd in (self.out_master, self.err_master):
            if fd is not None:
                os.close(fd)


@pytest.fixture
def background():
    """Factory: background(swarm, *args, tty_err=, tty_out=) -> a running Ctl, stopped
    by PID when the test ends."""
    started = []

    def start(*args, **kwargs):
        c = Ctl(*args, **kwargs)
        started.append(c)
        return c

    yield start
    for c in started:
        c.close()


# ---------------------------------------------------------------------------------------
# providers, status, task


def test_providers_lists_providers_and_budgets(llm_swarm):
    reply = ctl_json(llm_swarm, "providers")
    assert reply["t"] == "providers.ok", reply
    by_name = {p["name"]: p for p in reply["providers"]}
    assert set(by_name) == {"local", "cloud"}, reply
    assert by_name["local"] == {"name": "local", "kind": "ollama", "model": "llama3.2",
                                "state": "closed", "left": 0, "calls": 0, "fails": 0,
                                "tok_in": 0, "tok_out": 0, "usd": 0, "rpm": 60,
                                "tpm": 0}, by_name["local"]
    assert by_name["cloud"]["kind"] == "openai" and by_name["cloud"]["rpm"] == 0
    assert "key_env" not in by_name["cloud"], by_name["cloud"]
    budgets = {b["scope"]: b for b in reply["budgets"]}
    assert budgets["swarm"]["tok_max"] == 100000 and budgets["swarm"]["usd_max"] == 5, (
        budgets)
    assert budgets["coder"]["tok_max"] == 1000 and "usd_max" not in budgets["coder"], (
        budgets)

    # --json after the command word is the same flag
    after = ctl(llm_swarm, "providers", "--json")
    assert after.returncode == 0 and json.loads(after.stdout)["t"] == "providers.ok", (
        explain(after))

    table = ctl(llm_swarm, "providers")
    assert table.returncode == 0, explain(table)
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["PROVIDER", "KIND", "MODEL", "STATE", "LEFT", "CALLS",
                                "FAILS", "TOK_IN", "TOK_OUT", "USD", "RPM", "TPM",
                                "WHY"], table.stdout
    assert lines[1].split()[:4] == ["local", "ollama", "llama3.2", "closed"], table.stdout
    assert "" in lines and lines[lines.index("") + 1].split() == [
        "SCOPE", "TOKENS/MAX", "USD/MAX"], table.stdout
    assert "swarm  0/100000" in table.stdout and "coder  0/1000" in table.stdout, (
        table.stdout)
    assert SECRET not in table.stdout

    helped = ctl(llm_swarm, "providers", "--help")
    assert helped.returncode == 0 and "usage: zswarmctl" in helped.stdout, explain(helped)


def test_spending_shows_in_status_task_and_providers(llm_swarm):
    agent = ScriptedAgent(llm_swarm, "coder", "coder-s1")
    status = ctl_json(llm_swarm, "status")
    assert status["tok_in"] == 0 and status["tok_max"] == 100000, status
    assert status["usd_max"] == 5, status

    submitted = ctl_json(llm_swarm, "submit", "--type", "coder", "--payload", "2+2?")
    task = submitted["task"]
    assign = agent.next("task.assign", task=task)
    att = assign["att"]
    agent.send("task.ack", task=task, att=att)
    agent.send("task.progress", task=task, att=att, pct=40, note="thinking")

    def running():
        view = ctl_json(llm_swarm, "task", task)
        return view if view["pct"] == 40 else None

    view = wait_until(running, 20, "the task's progress in its view", interval=0.05)
    assert view["state"] == "running" and view["note"] == "thinking", view
    shown = ctl(llm_swarm, "task", task)
    assert "progress: 40%" in shown.stdout and "note:     thinking" in shown.stdout, (
        explain(shown))

    agent.send("provider.report", task=task, att=att, provider="local", outcome="ok",
               tok_in=TOK_IN, tok_out=TOK_OUT, ms=20, http=200)
    agent.send("task.result", task=task, att=att, status="ok", stdout=b"4",
               provider="local", tok_in=TOK_IN, tok_out=TOK_OUT)
    waited = ctl(llm_swarm, "wait", task)
    assert waited.returncode == 0 and waited.stdout == "4", explain(waited)

    view = ctl_json(llm_swarm, "task", task)
    assert (view["provider"], view["tok_in"], view["tok_out"]) == ("local", TOK_IN,
                                                                   TOK_OUT), view
    assert view["usd"] == pytest.approx(USD) and view["code"] == 0, view
    assert view["pct"] == 0 and "note" not in view, f"progress outlived the task: {view}"
    shown = ctl(llm_swarm, "task", task)
    for line in ("provider: local", f"tokens:   {TOK_IN} in, {TOK_OUT} out",
                 "usd:      0.002000"):
        assert line in shown.stdout.splitlines(), explain(shown)
    assert not any(line.startswith("code:") for line in shown.stdout.splitlines()), (
        explain(shown))

    status = ctl_json(llm_swarm, "status")
    assert (status["tok_in"], status["tok_out"]) == (TOK_IN, TOK_OUT), status
    assert status["usd"] == pytest.approx(USD), status
    shown = ctl(llm_swarm, "status").stdout.splitlines()
    for line in (f"tokens:    {TOK_IN} in, {TOK_OUT} out", "usd:       0.002000",
                 "budget:    1500 of 100000 tokens, 0.002000 of 5.000000 USD"):
        assert line in shown, shown

    providers = ctl_json(llm_swarm, "providers")
    local = next(p for p in providers["providers"] if p["name"] == "local")
    assert (local["calls"], local["tok_in"], local["tok_out"]) == (1, TOK_IN, TOK_OUT)
    assert local["usd"] == pytest.approx(USD), local
    budgets = {b["scope"]: b for b in providers["budgets"]}
    assert budgets["swarm"]["tok"] == 1500 and budgets["coder"]["tok"] == 1500, budgets

    # coder's budget (1000 tokens) is spent: its next task ends dead with code 15
    spent = ctl(llm_swarm, "submit", "--type", "coder", "--payload", "more", "--id",
                "over", "--wait")
    assert spent.returncode == 1 and "budget" in spent.stderr, explain(spent)
    view = ctl_json(llm_swarm, "task", "over")
    assert view["state"] == "dead" and view["code"] == 15, view
    shown = ctl(llm_swarm, "task", "over")
    assert "code:     15 (budget spent)" in shown.stdout.splitlines(), explain(shown)
    agent.close()


# ---------------------------------------------------------------------------------------
# downloads: bytes of a total


@pytest.fixture
def files():
    with FileServer() as fs:
        fs.add_generated("/data.bin", 2 * MIB, seed=5)
        yield fs


@pytest.fixture
def dl_swarm(make_swarm, files, workdir):
    directory = os.path.join(workdir, "downloads")
    os.mkdir(directory)
    download = {"allow": [files.url("/")], "dir": directory}
    dl = f"{{type: dl, count: 1, handler: download, download: {yaml_flow(download)}}}"
    swarm = make_swarm(swarm_yaml("dl", [dl]))
    swarm.wait_agents(1, atype="dl")
    return swarm


def dl_payload(files, path):
    return json.dumps({"url": files.url("/data.bin"), "path": path})


def test_task_shows_a_running_download(dl_swarm, files, background):
    files.stall_after("/data.bin", MIB)  # holds the task running until cancelled
    sub = ctl_json(dl_swarm, "submit", "--type", "dl", "--payload",
                   dl_payload(files, "stalled.bin"), "--id", "stalled")

    def progressed():
        view = ctl_json(dl_swarm, "task", "stalled")
        return view if view["state"] == "running" and view["bytes"] > 0 else None

    view = wait_until(progressed, 20, "the download's progress in its view",
                      interval=0.05)
    assert view["total"] == 2 * MIB and sub["task"] == "stalled", view

    plain = ctl(dl_swarm, "task", "stalled")
    assert plain.returncode == 0 and "of 2.0 MiB" in plain.stdout, explain(plain)
    assert "[" not in plain.stdout, f"a bar on a pipe: {explain(plain)}"

    c = background(dl_swarm, "task", "stalled", tty_out=True, tty_err=False)
    assert c.finish() == 0, c.data
    lines = c.data["out"].decode().splitlines()
    assert lines[-1].startswith("[") and "of 2.0 MiB" in lines[-1], lines
    assert ctl(dl_swarm, "cancel", "stalled").returncode == 0
