# zswarmctl and what issue 14 added to zswarmd: LLM providers and budgets (providers,
# status, task), and a task's progress while submit --wait waits for it: a bar on a
# terminal, and with --follow the text the task streams.
#
# The llm agent is mostly a ScriptedAgent (conftest): zswarmd needs no real provider to
# list its providers, and a script decides exactly what a task reports (provider.report,
# task.progress with text) and when; one test follows a real llm agent streaming from
# the OllamaFake. Transfers are the real download handler against the local FileServer
# fake. A terminal is a pty: zswarmctl's stderr (or stdout) is its slave end, and the
# test reads the master end.
#
# Events are lossy until a subscription is in effect, some time after zswarmctl
# connects. So a test that needs zswarmctl to see an event first makes it show one it
# can see (a progress bar on the pty, a JSON line), repeating the event until it does.

import json
import os
import pty
import select
import subprocess
import time

import pytest

from conftest import (SLOW, ScriptedAgent, binary, deadline, explain, run_ctl, spawn,
                      stop_process, swarm_yaml, unpack, wait_until, yaml_flow)
from fakes.files import FileServer
from fakes.llm import OllamaFake

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
# submit --wait: a bar on a terminal, --follow


def run_until_shown(agent, c, task, att, name, predicate, what):
    """Send the task's progress (pct 10) until zswarmctl shows it (its subscription is
    then in effect), answering heartbeats meanwhile."""
    last = [0.0]

    def resend():
        if time.monotonic() - last[0] > 0.1:
            agent.send("task.progress", task=task, att=att, pct=10)
            last[0] = time.monotonic()

    return c.wait_for(name, predicate, what, agent=agent, each=resend)


def start_coder_task(llm_swarm, background, *extra, **tty):
    agent = ScriptedAgent(llm_swarm, "coder", "coder-f1")
    c = background(llm_swarm, "--timeout", str(int(60000 * SLOW)), "submit", "--type",
                   "coder", "--payload", "say hello", "--id", "hello", "--wait",
                   "--events", llm_swarm.events_ep, *extra, **tty)
    assign = agent.next("task.assign", task="hello")
    agent.send("task.ack", task="hello", att=assign["att"])
    return agent, c, assign["att"]


def test_follow_prints_the_text_as_it_streams(llm_swarm, background):
    agent, c, att = start_coder_task(llm_swarm, background, "--follow")
    run_until_shown(agent, c, "hello", att, "err", lambda err: b"10%" in err,
                    "a bar at 10%")
    agent.send("task.progress", task="hello", att=att, pct=20, text="Hello")
    c.wait_for("out", lambda out: out == b"Hello", "the first piece", agent=agent)
    agent.send("task.progress", task="hello", att=att, pct=50, text=", wor")
    agent.send("task.progress", task="hello", att=att, pct=90, text="ld")
    agent.send("task.result", task="hello", att=att, status="ok", stdout=b"Hello, world",
               provider="local")
    assert c.finish(agent=agent) == 0, c.data
    # The followed text is the whole output: not printed again, and a line ended
    assert c.data["out"] == b"Hello, world\n", c.data
    err = c.data["err"]
    assert b"not its output" not in err, c.data
    # The bar was erased before the end: the last thing on the terminal is a blank line
    assert err.endswith(b"\r"), c.data
    assert err.rstrip(b"\r").rsplit(b"\r", 1)[-1].strip() == b"", c.data
    agent.close()


def test_follow_prints_the_output_when_the_text_is_not_it(llm_swarm, background):
    agent, c, att = start_coder_task(llm_swarm, background, "--follow")
    run_until_shown(agent, c, "hello", att, "err", lambda err: b"10%" in err,
                    "a bar at 10%")
    agent.send("task.progress", task="hello", att=att, text="a draft")
    c.wait_for("out", lambda out: out == b"a draft", "the draft", agent=agent)
    agent.send("task.result", task="hello", att=att, status="ok", stdout=b"the answer",
               provider="local")
    assert c.finish(agent=agent) == 0, c.data
    assert c.data["out"] == b"a draft\nthe answer\n", c.data
    assert b"zswarmctl: task 'hello': the text followed is not its output" in (
        c.data["err"]), c.data
    agent.close()


def test_follow_says_so_when_the_task_failed_after_text(llm_swarm, background):
    agent, c, att = start_coder_task(llm_swarm, background, "--follow", "--retries", "0")
    run_until_shown(agent, c, "hello", att, "err", lambda err: b"10%" in err,
                    "a bar at 10%")
    agent.send("task.progress", task="hello", att=att, text="half an ans")
    c.wait_for("out", lambda out: out == b"half an ans", "the text", agent=agent)
    agent.send("task.result", task="hello", att=att, status="fail",
               why="'local': connect: the connection broke")
    assert c.finish(agent=agent) != 0, c.data
    assert c.data["out"] == b"half an ans\n", c.data
    assert b"zswarmctl: task 'hello': the text followed is not its output" in (
        c.data["err"]), c.data
    agent.close()


def test_follow_json_prints_each_event(llm_swarm, background):
    agent, c, att = start_coder_task(llm_swarm, background, "--follow", "--json",
                                     tty_err=False)
    run_until_shown(agent, c, "hello", att, "out", lambda out: b'"pct":10' in out,
                    "a task.progress line")
    agent.send("task.progress", task="hello", att=att, text="streamed")
    agent.send("task.result", task="hello", att=att, status="ok", stdout=b"streamed")
    assert c.finish(agent=agent) == 0, c.data
    lines = [json.loads(line) for line in c.data["out"].decode().splitlines()]
    assert all(m["t"] == "task.progress" and m["task"] == "hello" for m in lines[:-1])
    assert lines[-1]["t"] == "wait.ok" and lines[-1]["stdout"] == "streamed", lines
    assert c.data["err"] == b"", c.data
    agent.close()


def test_follow_a_streaming_llm_agent(make_swarm, background):
    # The real thing: an llm agent streaming from a fake Ollama, chunks 0.3 s apart (the
    # first one too, so zswarmctl's subscription is in effect well before it)
    answer = b"Hello streamed world"
    with OllamaFake() as llm:
        llm.stream(["Hello", " streamed", " world"], interval=0.3 * SLOW)
        providers = {"fake": {"kind": "ollama", "base_url": llm.url("/").rstrip("/"),
                              "model": "llama3.2", "price_in": 1, "price_out": 2}}
        coder = {"provider": "fake", "stream": True}
        swarm = make_swarm(swarm_yaml("real", [f"{{type: coder, count: 1, handler: llm, "
                                               f"llm: {yaml_flow(coder)}}}"],
                                      providers=providers))
        swarm.wait_agents(1, atype="coder")
        c = background(swarm, "submit", "--type", "coder", "--payload", "hi", "--id",
                       "real", "--wait", "--follow", "--events", swarm.events_ep,
                       tty_err=False)
        c.wait_for("out", lambda out: out.startswith(b"Hello"), "the first chunk")
        partial = c.data["out"]
        assert c.finish() == 0, c.data
    out, err = c.data["out"], c.data["err"]
    assert answer.startswith(partial) and partial != answer, (
        f"not streamed: {partial!r} then {c.data!r}")
    # zswarmctl printed the text as it came, and not again at the end
    assert out == answer + b"\n" and err == b"", c.data
    view = ctl_json(swarm, "task", "real")
    # The fake counts words as tokens: 1 in ("hi"), 3 out
    assert (view["provider"], view["tok_in"], view["tok_out"]) == ("fake", 1, 3), view
    assert view["usd"] == pytest.approx(7e-6), view


def test_follow_and_events_need_wait(llm_swarm):
    for option in (["--follow"], ["--events", llm_swarm.events_ep]):
        proc = ctl(llm_swarm, "submit", "--type", "coder", *option)
        assert proc.returncode == 2 and "only with --wait" in proc.stderr, explain(proc)


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


def test_submit_wait_draws_a_bar_on_a_terminal(dl_swarm, files, background):
    files.throttle("/data.bin", MIB // 2)  # 4 s: the bar shows well before the end
    c = background(dl_swarm, "submit", "--type", "dl", "--payload",
                   dl_payload(files, "bar.bin"), "--wait", "--events", dl_swarm.events_ep)
    c.wait_for("err", lambda err: b" of 2.0 MiB" in err, "a bar with bytes of the total")
    assert c.finish(seconds=60) == 0, c.data
    out = json.loads(c.data["out"])
    assert out["bytes"] == 2 * MIB and out["path"] == "bar.bin", out
    err = c.data["err"]
    draws = err.split(b"\r")
    assert draws[1].startswith(b"[") and b"%" in draws[1], c.data
    assert err.endswith(b"\r") and draws[-2].strip() == b"", f"bar not erased: {c.data}"


def test_no_bar_without_a_terminal(dl_swarm, files):
    proc = ctl(dl_swarm, "submit", "--type", "dl", "--payload",
               dl_payload(files, "plain.bin"), "--wait", "--events", dl_swarm.events_ep)
    assert proc.returncode == 0 and proc.stderr == "", explain(proc)
    assert json.loads(proc.stdout)["bytes"] == 2 * MIB, explain(proc)


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
