# The llm handler through the whole system (docs/swarm-file.md, llm, providers and
# budgets; PROTOCOL.md §8.3): real zswarmd and zswarm-agent processes call the strict
# fakes of tests/system/fakes/llm.py, and each test asserts what the fake received as
# well as what the swarm answered.
#
# - the request each provider kind sends (path, headers, model, messages, max_tokens,
#   temperature) and the result it makes of the answer (text, provider, tokens, USD);
# - fallbacks in order, retries, auth failures that move on, a bad request that does not;
# - Retry-After obeyed; the coordinator's circuit (open, half_open, closed) skipped by
#   every agent; budgets spent by several agents, kept across a SIGKILL;
# - API keys never leave the agent; streamed text as task.progress; a hung provider,
#   malformed, cut and huge answers.
#
# Timings are kept short in the swarm files (backoffs of 20 ms, a cooldown of ~2 s) so
# that the file runs in well under a minute; every wait is for an event, a reply or a
# request the fake received, never a bare sleep.

import os
import re
import time
import uuid

import msgpack
import pytest

from conftest import SLOW, explain, journal_conf, run_ctl, swarm_yaml, yaml_flow
from fakes.llm import AnthropicFake, OllamaFake, OpenAIFake, count_tokens

E_BUDGET = 15

# kind -> (fake class, what base_url adds to the fake's address, a model it accepts)
KINDS = {
    "openai": (OpenAIFake, "/v1", "gpt-4o-mini"),
    "anthropic": (AnthropicFake, "", "claude-haiku-4-5"),
    "ollama": (OllamaFake, "", "llama3.2"),
}
OPENAI_KEY = "sk-test-" + uuid.uuid4().hex
ANTHROPIC_KEY = "sk-ant-test-" + uuid.uuid4().hex
KEYS_ENV = {"OPENAI_KEY": OPENAI_KEY, "ANTHROPIC_KEY": ANTHROPIC_KEY}


@pytest.fixture
def fakes():
    """Factory: fakes(kind, **kwargs) -> a started fake of that kind, closed (and
    checked for errors of its own) when the test ends."""
    made = []

    def make(kind, **kwargs):
        cls = KINDS[kind][0]
        if kind == "openai":
            kwargs.setdefault("api_key", OPENAI_KEY)
        elif kind == "anthropic":
            kwargs.setdefault("api_key", ANTHROPIC_KEY)
        fake = cls(**kwargs)
        fake.kind = kind
        made.append(fake)
        return fake

    yield make
    for fake in made:
        fake.close()
    errors = [e for fake in made for e in fake.errors]
    assert not errors, "a fake failed:\n" + "\n".join(errors)


def provider(fake, key_env=None, **more):
    """A providers: entry for fake; key_env defaults to the variable of its kind."""
    kind = fake.kind
    _, suffix, model = KINDS[kind]
    conf = {"kind": kind, "base_url": fake.base_url + suffix, "model": model}
    if key_env is None:
        key_env = {"openai": "OPENAI_KEY", "anthropic": "ANTHROPIC_KEY"}.get(kind)
    if key_env:
        conf["key_env"] = key_env
    conf.update(more)
    return conf


def llm_type(type_, first, count=1, concurrency=1, **llm):
    """An llm agent type calling provider `first` (then llm's fallbacks, if any)."""
    section = {"provider": first, "backoff_ms": 20, **llm}
    return (f"{{type: {type_}, count: {count}, handler: llm, "
            f"concurrency: {concurrency}, llm: {yaml_flow(section)}}}")


def llm_swarm(make_swarm, providers, types, env=None, name="llm", **kwargs):
    """A started swarm of llm types, its agents registered, keys in its environment."""
    text = swarm_yaml(name, types, providers=providers, **kwargs)
    swarm = make_swarm(text, name=name, env={**KEYS_ENV, **(env or {})})
    count = sum(int(re.search(r"count: (\d+)", t).group(1)) for t in types)
    swarm.wait_agents(count)
    return swarm


def bodies(fake):
    return [r.json for r in fake.requests]


def events_of(sub, task, t):
    return [m for m in sub.seen if m["t"] == t and m.get("task") == task]


def events_within(sub, seconds):
    """Every event that arrives in the next `seconds` (the window is what is waited
    on: an agent that stopped heartbeating would show as agent.left in it)."""
    until = time.monotonic() + seconds
    seen = []
    while time.monotonic() < until:
        msg = sub.read(max(1, int((until - time.monotonic()) * 1000)))
        if msg is not None:
            seen.append(msg)
    return seen


# ---------------------------------------------------------------------------------------
# 1. What each kind sends, and what comes back


def expected_messages(kind, system, user):
    if kind == "anthropic":   # the system prompt is a top-level field there
        return [{"role": "user", "content": user}]
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


@pytest.mark.parametrize("kind", ["openai", "anthropic", "ollama"])
def test_request_shape_and_result(kind, make_swarm, fakes):
    fake = fakes(kind)
    answer = "def add(a, b): return a + b"
    fake.answer(answer)
    swarm = llm_swarm(make_swarm, {"p": provider(fake, price_in=1, price_out=2)}, [
        llm_type("coder", "p", system="You code.", prompt="Write {{payload}}",
                 max_tokens=50, temperature=0.5)])
    done = swarm.control.run("coder", "an adder", tries=1)
    assert done["state"] == "completed" and done["status"] == "ok", f"{done!r}"
    assert done["stdout"] == answer.encode(), f"{done!r}"
    assert done["provider"] == "p", f"{done!r}"
    tok_in = count_tokens("You code.") + count_tokens("Write an adder")
    tok_out = count_tokens(answer)
    assert (done.get("tok_in"), done.get("tok_out")) == (tok_in, tok_out), f"{done!r}"
    assert done["usd"] == pytest.approx((tok_in * 1 + tok_out * 2) / 1e6), f"{done!r}"

    [req] = fake.requests
    body, headers = req.json, req.headers
    assert req.method == "POST" and req.status == 200, f"{req!r}"
    assert headers["content-type"].split(";")[0] == "application/json", headers
    assert body["model"] == KINDS[kind][2], body
    messages = expected_messages(kind, "You code.", "Write an adder")
    assert body["messages"] == messages, body
    if kind == "openai":
        assert req.path == "/v1/chat/completions", req.path
        assert headers.get("authorization") == f"Bearer {OPENAI_KEY}", headers
        assert "x-api-key" not in headers, headers
        assert body.get("max_tokens", body.get("max_completion_tokens")) == 50, body
        assert body["temperature"] == pytest.approx(0.5), body
        assert not body.get("stream"), body
    elif kind == "anthropic":
        assert req.path == "/v1/messages", req.path
        assert headers.get("x-api-key") == ANTHROPIC_KEY, headers
        assert headers.get("anthropic-version") == "2023-06-01", headers
        assert "authorization" not in headers, headers
        assert body["system"] == "You code.", body
        assert body["max_tokens"] == 50, body          # required by the API
        assert body["temperature"] == pytest.approx(0.5), body
        assert not body.get("stream"), body
    else:
        assert req.path == "/api/chat", req.path
        assert "authorization" not in headers and "x-api-key" not in headers, headers
        assert body["stream"] is False, body           # Ollama streams unless told not
        assert body["options"]["num_predict"] == 50, body
        assert body["options"]["temperature"] == pytest.approx(0.5), body
        assert "max_tokens" not in body and "temperature" not in body, body


def test_answer_cut_at_max_tokens_says_so(make_swarm, fakes):
    oa, an, ol = (fakes(k, text="one two three four five six")
                  for k in ("openai", "anthropic", "ollama"))
    swarm = llm_swarm(make_swarm, {"oa": provider(oa), "an": provider(an),
                                   "ol": provider(ol)},
                      [llm_type(f"t-{n}", n, max_tokens=3) for n in ("oa", "an", "ol")])
    for name in ("oa", "an", "ol"):
        done = swarm.control.run(f"t-{name}", "x", tries=1)
        assert done["state"] == "completed", f"{done!r}"
        assert done["stdout"] == b"one two three" and done["tok_out"] == 3, f"{done!r}"
        assert done.get("why") == "the answer was cut at max_tokens", f"{done!r}"


def test_temperature_left_out_when_not_set(make_swarm, fakes):
    oa, an, ol = fakes("openai"), fakes("anthropic"), fakes("ollama")
    swarm = llm_swarm(make_swarm, {
        "oa": provider(oa), "an": provider(an), "ol": provider(ol)}, [
        llm_type("t-oa", "oa"), llm_type("t-an", "an"), llm_type("t-ol", "ol")])
    client = swarm.control
    for ttype in ("t-oa", "t-an", "t-ol"):
        done = client.run(ttype, "hello there", tries=1)
        assert done["state"] == "completed", f"{done!r}"
        # no system prompt in the file: the user message alone, the default template
        assert done["stdout"] == b"echo: hello there", f"{done!r}"
    for body in bodies(oa) + bodies(an):
        assert "temperature" not in body and "system" not in body, body
        assert body["messages"] == [{"role": "user", "content": "hello there"}], body
    [body] = bodies(ol)
    assert "temperature" not in body["options"], body
    assert body["messages"] == [{"role": "user", "content": "hello there"}], body
    # Anthropic requires max_tokens: the default (1024) is sent
    assert bodies(an)[0]["max_tokens"] == 1024, bodies(an)


# ---------------------------------------------------------------------------------------
# 2. Fallbacks, retries, and what does not fall back


def test_server_errors_are_retried_then_the_fallback_answers(make_swarm, fakes):
    a, b = fakes("openai"), fakes("anthropic")
    retries = 2
    for _ in range(retries + 1):
        a.server_error()
    b.answer("from b")
    swarm = llm_swarm(make_swarm, {"a": provider(a), "b": provider(b)}, [
        llm_type("coder", "a", fallbacks=["b"], retries=retries)])
    done = swarm.control.run("coder", "x", tries=1)
    assert done["state"] == "completed" and done["provider"] == "b", f"{done!r}"
    assert done["stdout"] == b"from b", f"{done!r}"
    assert [r.status for r in a.requests] == [500] * (retries + 1), a.requests
    assert len(b.requests) == 1, b.requests
    assert b.requests[0].monotonic > a.requests[-1].monotonic
    # the same request each time: a retry is the call again
    assert all(r.json == a.requests[0].json for r in a.requests), bodies(a)
    # tokens are b's answer's alone: a's failures counted none
    assert done["tok_out"] == 2, f"{done!r}"


def test_auth_failures_move_on_at_once_in_order(make_swarm, fakes):
    a = fakes("openai", api_key="sk-the-right-key-is-not-ours")
    b = fakes("anthropic", api_key="sk-ant-nor-this-one")
    c = fakes("ollama")
    c.answer("from c")
    swarm = llm_swarm(make_swarm, {"a": provider(a), "b": provider(b), "c": provider(c)},
                      [llm_type("coder", "a", fallbacks=["b", "c"], retries=2)])
    sub = swarm.subscribe()
    done = swarm.control.run("coder", "x", tries=1)
    assert done["state"] == "completed" and done["provider"] == "c", f"{done!r}"
    # an auth failure is not retried: one request each, in the order of the file
    assert [r.status for r in a.requests] == [401], a.requests
    assert [r.status for r in b.requests] == [401], b.requests
    assert len(c.requests) == 1, c.requests
    assert a.requests[0].monotonic < b.requests[0].monotonic < c.requests[0].monotonic
    # the coordinator marks both bad, for every agent
    for name in ("a", "b"):
        sub.wait_for(lambda m, n=name: m["t"] == "provider.state" and
                     m["provider"] == n and m["state"] == "bad", 5, f"{name} bad")
    states = {p["name"]: p for p in swarm.control.ok("providers")["providers"]}
    assert states["a"]["state"] == "bad" and states["b"]["state"] == "bad", states
    assert states["c"]["state"] == "closed", states
    assert states["a"]["fails"] == 1 and states["a"]["calls"] == 1, states


def test_bad_request_fails_the_task_without_falling_back(make_swarm, fakes):
    a, b = fakes("openai"), fakes("openai")
    a.status(400, body={"error": {"message": "Invalid 'messages[1].content': bad",
                                  "type": "invalid_request_error", "param": None,
                                  "code": None}})
    swarm = llm_swarm(make_swarm, {"a": provider(a), "b": provider(b)}, [
        llm_type("coder", "a", fallbacks=["b"], retries=2)])
    # Tries are left, but the agent says the failure is final: no attempt 2 (the fake
    # would answer it)
    done = swarm.control.run("coder", "x", tries=3)
    assert done["state"] == "dead" and done["status"] == "fail", f"{done!r}"
    assert done["att"] == 1, f"{done!r}"
    why = done.get("why") or ""
    assert "'a'" in why and "http 400" in why and "invalid_request_error" in why, why
    assert len(a.requests) == 1, a.requests      # neither retried...
    assert not b.requests, b.requests            # ...nor sent elsewhere
    assert "provider" not in done, f"{done!r}"


def test_context_length_moves_on_without_opening_the_circuit(make_swarm, fakes):
    a, b = fakes("anthropic"), fakes("openai")
    a.context_length_exceeded()
    swarm = llm_swarm(make_swarm, {"a": provider(a), "b": provider(b)}, [
        llm_type("coder", "a", fallbacks=["b"], retries=2)])
    done = swarm.control.run("coder", "x", tries=1)
    assert done["state"] == "completed" and done["provider"] == "b", f"{done!r}"
    assert [r.status for r in a.requests] == [400], a.requests   # not retried
    view = {p["name"]: p for p in swarm.control.ok("providers")["providers"]}
    # another prompt may fit: the provider is not unwell
    assert view["a"]["state"] == "closed" and view["a"].get("fails", 0) == 0, view
    assert view["a"]["calls"] == 1, view


# ---------------------------------------------------------------------------------------
# 3. Retry-After


def test_retry_after_is_waited_for(make_swarm, fakes):
    a = fakes("openai")
    a.rate_limited(retry_after=1).answer("after the wait")
    swarm = llm_swarm(make_swarm, {"a": provider(a)}, [
        llm_type("coder", "a", retries=2, backoff_ms=1)])
    done = swarm.control.run("coder", "x", tries=1)
    assert done["state"] == "completed", f"{done!r}"
    assert done["stdout"] == b"after the wait", f"{done!r}"
    first, second = a.requests
    assert first.status == 429 and second.status == 200, a.requests
    waited = second.monotonic - first.monotonic
    assert waited >= 0.9, f"the retry came {waited:.3f} s after a 429 asking for 1 s"


# ---------------------------------------------------------------------------------------
# 4. The coordinator's circuit: open, skipped by every agent, half-open, closed


def provider_event(sub, name, state, seconds=5):
    return sub.wait_for(
        lambda m: m["t"] == "provider.state" and m["provider"] == name
        and m["state"] == state, seconds, f"provider.state {name} {state}")


def test_cooldown_opens_the_circuit_for_every_agent(make_swarm, fakes):
    a, b = fakes("openai"), fakes("ollama")
    a.server_error().server_error()
    cooldown_ms = int(2000 * SLOW)
    cooldown = {"failures": 2, "window_ms": 60000, "cooldown_ms": cooldown_ms}
    # Two types, one agent each: the second never saw a fail, so it can only know of
    # the open circuit from the coordinator
    swarm = llm_swarm(make_swarm, {"a": provider(a, cooldown=cooldown), "b": provider(b)},
                      [llm_type("first", "a", fallbacks=["b"], retries=1),
                       llm_type("second", "a", fallbacks=["b"], retries=1)])
    sub = swarm.subscribe()
    client = swarm.control
    done = client.run("first", "one", tries=1)
    assert done["provider"] == "b" and done["state"] == "completed", f"{done!r}"
    assert [r.status for r in a.requests] == [500, 500], a.requests
    opened = provider_event(sub, "a", "open")
    assert 0 < opened.get("left", 0) <= cooldown_ms, f"{opened!r}"
    assert "server" in opened.get("why", ""), f"{opened!r}"
    view = {p["name"]: p for p in client.ok("providers")["providers"]}
    assert view["a"]["state"] == "open" and 0 < view["a"].get("left", 0) <= cooldown_ms
    assert (view["a"]["calls"], view["a"]["fails"]) == (2, 2), view
    assert view["b"]["state"] == "closed" and view["b"]["calls"] == 1, view

    # While open, the other agent goes straight to b: a sees nothing
    done = client.run("second", "two", tries=1)
    assert done["provider"] == "b" and done["agent"].startswith("second"), f"{done!r}"
    assert len(a.requests) == 2, a.requests
    assert len(b.requests) == 2, b.requests
    sub.wait_for(lambda m: m["t"] == "task.completed" and m["task"] == done["task"], 5,
                 "task.completed")
    assert not [m for m in sub.seen if m["t"] == "provider.state" and
                m["provider"] == "a" and m["state"] != "open"], sub.seen

    # After the cooldown one call probes a; its success closes the circuit
    provider_event(sub, "a", "half_open", seconds=cooldown_ms / 1000 + 5)
    done = client.run("second", "three", tries=1)
    assert done["provider"] == "a", f"{done!r}"
    assert len(a.requests) == 3 and len(b.requests) == 2
    provider_event(sub, "a", "closed")
    view = {p["name"]: p for p in client.ok("providers")["providers"]}
    assert view["a"]["state"] == "closed" and view["a"]["calls"] == 3, view
    budgets = client.ok("providers")["budgets"]
    assert {r["scope"] for r in budgets} == {"swarm", "first", "second"}, budgets


# ---------------------------------------------------------------------------------------
# 5. Budgets


def test_swarm_budget_spent_by_two_agents_survives_sigkill(make_swarm, workdir, fakes):
    answer = "one two three four five six seven eight nine ten"
    a = fakes("openai", text=answer)
    per_task = count_tokens("Write x") + count_tokens(answer)     # 2 + 10
    budget = 2 * per_task - 4                                     # one fits, two do not
    text = swarm_yaml("budget", [
        llm_type("coder", "a", prompt="Write {{payload}}"),
        llm_type("writer", "a", prompt="Write {{payload}}")],
        providers={"a": provider(a, price_in=1, price_out=2)},
        budget={"tokens": budget}, journal=journal_conf(workdir, "budget"))
    swarm = make_swarm(text, name="budget", env=KEYS_ENV)
    swarm.wait_agents(2)
    sub = swarm.subscribe()
    client = swarm.control
    # One task on each type's agent, at once
    rids = [client.send("submit", ttype=t, payload=b"x", wait=True, tries=1)
            for t in ("coder", "writer")]
    tasks = [client.reply(rid)["task"] for rid in rids]
    ends = [client.reply(rid, 15) for rid in rids]
    assert [e["state"] for e in ends] == ["completed", "completed"], ends
    assert ends[0]["agent"] != ends[1]["agent"], ends
    assert [e["task"] for e in ends] == tasks
    spent = sub.wait_for(lambda m: m["t"] == "budget.spent", 5, "budget.spent")
    assert spent["scope"] == "swarm", f"{spent!r}"
    assert (spent.get("tok"), spent.get("tok_max")) == (2 * per_task, budget), spent

    def refused(client):
        done = client.run("coder", "x", tries=1)
        assert done["state"] == "dead" and done.get("code") == E_BUDGET, f"{done!r}"
        assert "budget" in done["why"] and "swarm" in done["why"], f"{done!r}"
        assert f"{2 * per_task} of {budget} tokens" in done["why"], f"{done!r}"
        return done

    refused(client)
    assert len(a.requests) == 2, "a task past the budget called the provider"
    before = swarm.status()
    assert (before.get("tok_in"), before.get("tok_out")) == (4, 20), before
    assert before["usd"] == pytest.approx((4 * 1 + 20 * 2) / 1e6), before
    assert before.get("tok_max") == budget, before

    # A crash, then the same file again: the journal brings back what was spent
    swarm.kill()
    again = make_swarm(text, name="budget", env=KEYS_ENV)
    again.wait_agents(2)
    after = again.status()
    for key in ("tok_in", "tok_out", "tok_max"):
        assert after.get(key) == before.get(key), (key, before, after)
    assert after["usd"] == pytest.approx(before["usd"]), (before, after)
    refused(again.control)
    assert len(a.requests) == 2, "a task past the budget called the provider"
    [swarm_budget] = [r for r in again.control.ok("providers")["budgets"]
                      if r["scope"] == "swarm"]
    assert swarm_budget.get("tok") == 2 * per_task, swarm_budget


def test_type_budget_stops_only_that_type(make_swarm, fakes):
    a = fakes("ollama", text="one two three four five")
    swarm = llm_swarm(make_swarm, {"a": provider(a)}, [
        llm_type("coder", "a", budget={"tokens": 5}),
        llm_type("writer", "a")])
    client = swarm.control
    assert client.run("coder", "x", tries=1)["state"] == "completed"
    done = client.run("coder", "x", tries=1)
    assert done["state"] == "dead" and done.get("code") == E_BUDGET, f"{done!r}"
    assert "type 'coder'" in done["why"], f"{done!r}"
    assert client.run("writer", "x", tries=1)["state"] == "completed"
    assert len(a.requests) == 2
    budgets = {r["scope"]: r for r in client.ok("providers")["budgets"]}
    assert budgets["coder"].get("tok_max") == 5 and budgets["coder"]["tok"] == 6, budgets
    assert "tok_max" not in budgets["swarm"], budgets


# ---------------------------------------------------------------------------------------
# 6. The API key stays on the agent


def test_key_appears_nowhere(make_swarm, workdir, fakes):
    key = "sk-SECRET-" + uuid.uuid4().hex
    good = fakes("openai", api_key=key)
    wrong = fakes("openai", api_key="sk-another-key-altogether-0000")   # echoes a part
    echo = fakes("openai", api_key=key)
    echo.status(401, body={"error": {"message": f"Incorrect API key provided: {key}.",
                                     "type": "invalid_request_error", "param": None,
                                     "code": "invalid_api_key"}})
    stream = fakes("anthropic", api_key=key)
    providers = {"good": provider(good, key_env="SECRET_KEY"),
                 "wrong": provider(wrong, key_env="SECRET_KEY"),
                 "echo": provider(echo, key_env="SECRET_KEY"),
                 "stream": provider(stream, key_env="SECRET_KEY")}
    text = swarm_yaml("secret", [
        llm_type("good", "good"), llm_type("bad", "wrong", fallbacks=["echo"]),
        llm_type("stream", "stream", stream=True)],
        providers=providers, journal=journal_conf(workdir, "secret"))
    swarm = make_swarm(text, name="secret",
                       env={"SECRET_KEY": key, "ZSWARM_LOG": "debug"})
    swarm.wait_agents(3)
    sub = swarm.subscribe()
    client = swarm.control
    ok = client.run("good", "hello", tries=1)
    bad = client.run("bad", "hello", tries=1)
    streamed = client.run("stream", "hello", tries=1)
    assert ok["state"] == "completed" and streamed["state"] == "completed", (ok, streamed)
    assert bad["state"] == "dead" and "'echo'" in bad["why"], f"{bad!r}"
    # the fakes did get the key (so it was there to leak), and echoed it back
    assert good.requests[0].headers["authorization"] == f"Bearer {key}"
    assert stream.requests[0].headers["x-api-key"] == key
    assert [r.status for r in wrong.requests + echo.requests] == [401, 401]
    shown = key[:3] + "*" * (len(key) - 7) + key[-4:]      # what `wrong` echoed
    sub.wait_for(lambda m: m["t"] == "provider.state" and m["provider"] == "echo",
                  5, "echo's provider.state")

    ctl = [run_ctl("-e", swarm.control_ep, "--json", *args) for args in (
        ["status"], ["task", ok["task"]], ["task", bad["task"]],
        ["task", streamed["task"]], ["providers"])]
    assert all(p.returncode == 0 for p in ctl), [explain(p) for p in ctl]
    replies = [client.ok("providers"), client.ok("status"),
               client.ok("task", task=bad["task"]), ok, bad, streamed]
    swarm.stop()   # logs and journal complete

    secrets = {"the key": key.encode(), "the key's echo": shown.encode(),
               "the key's tail": key[10:].encode()}
    places = {}
    for root, _, names in os.walk(workdir):
        for name in names:
            with open(os.path.join(root, name), "rb") as f:
                places[f"file {name}"] = f.read()
    assert any(n.endswith(".journal") for n in places), places.keys()
    assert "file secret.stderr" in places and places["file secret.stderr"], places.keys()
    places["events"] = b"\n".join(msgpack.packb(m) for m in sub.seen)
    places["replies"] = b"\n".join(msgpack.packb(m) for m in replies)
    for i, proc in enumerate(ctl):
        places[f"zswarmctl output {i}"] = (proc.stdout + proc.stderr).encode()
    leaks = [f"{what} in {where}" for where, data in places.items()
             for what, secret in secrets.items() if secret in data]
    assert not leaks, leaks


# ---------------------------------------------------------------------------------------
# 7. Streaming


STREAM_CHUNKS = ["Once ", "upon ", "a ", "time, ", "a ", "stream ", "ended."]


@pytest.mark.parametrize("kind", ["openai", "anthropic", "ollama"])
def test_stream_progress_and_usage(kind, make_swarm, fakes):
    fake = fakes(kind)
    # token counts unlike any estimate: they can only come from the stream's records
    fake.stream(STREAM_CHUNKS, interval=0.06, prompt_tokens=321, completion_tokens=45)
    swarm = llm_swarm(make_swarm, {"p": provider(fake)}, [
        llm_type("coder", "p", stream=True, max_tokens=100)])
    sub = swarm.subscribe()
    done = swarm.control.run("coder", "tell", tries=1)
    assert done["state"] == "completed", f"{done!r}"
    whole = "".join(STREAM_CHUNKS)
    assert done["stdout"] == whole.encode(), f"{done!r}"
    assert (done.get("tok_in"), done.get("tok_out")) == (321, 45), f"{done!r}"
    sub.wait_for(lambda m: m["t"] == "task.completed" and m["task"] == done["task"], 5,
                 "task.completed")
    texts = [m["text"] for m in events_of(sub, done["task"], "task.progress")
             if "text" in m]
    assert "".join(texts) == whole, texts
    assert len(texts) >= 2, f"the text came in one piece, not as it was written: {texts}"
    body = fake.requests[0].json
    assert body["stream"] is True, body
    if kind == "openai":   # without include_usage a stream carries no usage at all
        assert body["stream_options"] == {"include_usage": True}, body
        assert body["max_tokens"] == 100, body
    elif kind == "ollama":
        assert body["options"]["num_predict"] == 100, body
    else:
        assert body["max_tokens"] == 100, body
    assert fake.requests[0].status == 200


# ---------------------------------------------------------------------------------------
# 8. A provider that hangs


def test_hung_provider_keeps_the_agent_alive_and_cancel_aborts(make_swarm, fakes):
    a = fakes("anthropic")
    a.hang()
    swarm = llm_swarm(make_swarm, {"a": provider(a)}, [
        llm_type("coder", "a", concurrency=2)])
    client = swarm.control
    sub = swarm.subscribe()
    [agent] = swarm.agents()
    hung = client.submit("coder", "wait", tries=1)["task"]
    request = a.wait_for_requests(1)[0]
    # Another task runs on the same agent while the first one hangs
    done = client.run("coder", "go on")
    assert done["state"] == "completed" and done["agent"] == agent["agent"], f"{done!r}"
    # 10 heartbeat intervals (100 ms, dead after 4 missed) with the call hung
    window = events_within(sub, 1.0)
    gone = [m for m in window if m["t"] in ("agent.left", "agent.exited")]
    assert not gone, f"the agent was lost while its call hung: {gone!r}"
    assert client.ok("task", task=hung)["state"] == "running"
    assert [(a_["agent"], a_.get("pid")) for a_ in swarm.agents()] == [
        (agent["agent"], agent.get("pid"))]
    # A cancel aborts the call at once: the fake sees the client go away
    started = time.monotonic()
    client.ok("cancel", task=hung)
    assert client.wait(hung, seconds=5)["state"] == "cancelled"
    request.wait_finished(5)
    assert request.disconnected, "the cancelled call's connection stayed open"
    assert time.monotonic() - started < 3 * SLOW
    report = {p["name"]: p for p in client.ok("providers")["providers"]}["a"]
    assert report["state"] == "closed", report   # a cancel says nothing of its health


def test_provider_timeout_falls_back_and_task_timeout_aborts(make_swarm, fakes):
    a, b = fakes("openai"), fakes("ollama")
    a.hang().hang()
    swarm = llm_swarm(make_swarm, {"a": provider(a, timeout_ms=300), "b": provider(b)},
                      [llm_type("coder", "a", fallbacks=["b"], retries=0),
                       llm_type("solo", "a", retries=0)])
    client = swarm.control
    # The provider's own timeout ends the call; the fallback answers
    done = client.run("coder", "x", tries=1)
    assert done["state"] == "completed" and done["provider"] == "b", f"{done!r}"
    first = a.requests[0].wait_finished(5)
    assert first.disconnected, "the timed-out call's connection stayed open"
    view = {p["name"]: p for p in client.ok("providers")["providers"]}
    assert view["a"]["fails"] == 1 and "timeout" in view["a"].get("why", ""), view
    # The task's time limit ends a call that has none of its own left
    done = client.run("solo", "x", tries=1, tmo=200)
    assert done["state"] == "dead", f"{done!r}"
    # The agent's own limit ends it; on a slow machine the coordinator's (tmo and two
    # heartbeats) may come first and cancel it, which aborts the call the same way
    assert done.get("why") == "timed out after 200 ms" or "within 200 ms" in (
        done.get("why") or ""), f"{done!r}"
    second = a.requests[1].wait_finished(5)
    assert second.disconnected, "the timed-out task's connection stayed open"


# ---------------------------------------------------------------------------------------
# 9. Answers that cannot be read


@pytest.mark.parametrize("kind,fault,stream,expect", [
    ("openai", "malformed", False, "answer is not a JSON object"),
    ("openai", "cut", False, "transfer closed with"),
    ("openai", "huge", False, "answer passes 8388608 bytes"),
    ("openai", "malformed", True, "stream record is not a JSON object"),
    ("anthropic", "malformed", True, "stream record is not a JSON object"),
    ("ollama", "malformed", True, "stream record is not a JSON object"),
    ("openai", "cut", True, "transfer closed with"),
    ("ollama", "huge", True, "answer text passes 4194304 bytes"),
    ("anthropic", "error", True, "stream error overloaded_error: Overloaded"),
])
def test_unreadable_answers_fail_clearly(kind, fault, stream, expect, make_swarm, fakes):
    a = fakes(kind)
    script = {"malformed": a.malformed, "cut": lambda: a.close_mid_stream(2),
              "huge": lambda: a.huge(9 << 20),
              "error": lambda: a.error_mid_stream(2, 529)}
    script[fault]()
    swarm = llm_swarm(make_swarm, {"a": provider(a)}, [
        llm_type("coder", "a", retries=0, stream=stream)])
    sub = swarm.subscribe()
    [agent] = swarm.agents()
    done = swarm.control.run("coder", "x", tries=1)
    assert done["state"] == "dead" and done["status"] == "fail", f"{done!r}"
    assert expect in done["why"] and "'a'" in done["why"], f"{done!r}"
    assert len(a.requests) == 1
    # no crash: the same agent process is still there, and runs the next task
    again = swarm.control.run("coder", "y", tries=1)
    assert again["state"] == "completed" and again["agent"] == agent["agent"], again
    assert [(x["agent"], x.get("pid")) for x in swarm.agents()] == [
        (agent["agent"], agent.get("pid"))]
    gone = [m for m in sub.seen if m["t"] in ("agent.left", "agent.exited")]
    assert not gone, gone
    report = {p["name"]: p for p in swarm.control.ok("providers")["providers"]}["a"]
    assert report["fails"] == 1 and report["calls"] == 2, report


def test_cut_stream_falls_back_and_voids_the_text(make_swarm, fakes):
    a, b = fakes("openai"), fakes("anthropic")
    a.close_mid_stream(3, text="this text will be void soon")
    b.stream(["the ", "real ", "answer"])
    swarm = llm_swarm(make_swarm, {"a": provider(a), "b": provider(b)}, [
        llm_type("coder", "a", fallbacks=["b"], retries=0, stream=True)])
    sub = swarm.subscribe()
    done = swarm.control.run("coder", "x", tries=1)
    assert done["state"] == "completed" and done["provider"] == "b", f"{done!r}"
    assert done["stdout"] == b"the real answer", f"{done!r}"
    sub.wait_for(lambda m: m["t"] == "task.completed" and m["task"] == done["task"], 5,
                 "task.completed")
    progress = events_of(sub, done["task"], "task.progress")
    notes = [i for i, m in enumerate(progress) if "void" in m.get("note", "")]
    assert len(notes) == 1, progress
    before = "".join(m.get("text", "") for m in progress[:notes[0]])
    after = "".join(m.get("text", "") for m in progress[notes[0]:])
    assert before and "this text will be void soon".startswith(before), progress
    assert after == "the real answer", progress
