# The http handler through the whole system (docs/http.md): requests from a task's
# payload, results with status, selected headers and body, the allow list on the first
# request and on every redirect, and an agent whose transfer hangs that still
# heartbeats, runs another task, and aborts the hung one when it is cancelled.
#
# Servers are the local FileServer fake (tests/system/fakes/files.py) on 127.0.0.1.

import json
import time

import pytest

from conftest import swarm_yaml, yaml_flow
from fakes.files import FileServer


def fetch_type(allow, count=1, concurrency=4, **http):
    """An http agent type named fetch, allowed to reach the prefixes in allow."""
    section = {"allow": list(allow), **http}
    return (f"{{type: fetch, count: {count}, handler: http, concurrency: {concurrency}, "
            f"http: {yaml_flow(section)}}}")


@pytest.fixture
def servers():
    with FileServer() as allowed, FileServer() as other:
        allowed.add("/hello.txt", b"hello, world\n", content_type="text/plain")
        other.add("/secret.txt", b"not for agents\n")
        yield allowed, other


@pytest.fixture
def fetch_swarm(make_swarm, servers):
    allowed, _ = servers
    swarm = make_swarm(swarm_yaml("http", [fetch_type(
        [allowed.url("/")], headers=["content-type", "etag"], max_redirects=3)]))
    swarm.wait_agents(1, atype="fetch")
    return swarm


def payload(**fields):
    return json.dumps(fields)


def result(done):
    """The stdout of a wait.ok as JSON."""
    assert done.get("stdout"), f"no stdout: {done!r}"
    return json.loads(done["stdout"])


def test_get_returns_status_headers_and_body(fetch_swarm, servers):
    allowed, _ = servers
    client = fetch_swarm.client()
    done = client.run("fetch", payload(url=allowed.url("/hello.txt")))
    assert done["state"] == "completed" and done["status"] == "ok", f"{done!r}"
    out = result(done)
    assert out["status"] == 200 and out["body"] == "hello, world\n", f"{out!r}"
    assert out["headers"]["content-type"] == "text/plain", f"{out!r}"
    assert out["headers"]["etag"] == allowed.etag("/hello.txt"), f"{out!r}"
    assert allowed.last_request.headers["user-agent"].startswith("zswarm/")


def test_post_reaches_the_server_as_asked(fetch_swarm, servers):
    allowed, _ = servers
    client = fetch_swarm.client()
    done = client.run("fetch", payload(
        url=allowed.url("/echo/x"), method="POST", body='{"a": 1}',
        headers={"Content-Type": "application/json", "X-Task": "t1"}))
    assert done["state"] == "completed", f"{done!r}"
    echo = json.loads(result(done)["body"])
    assert echo["method"] == "POST" and echo["body"] == '{"a": 1}', f"{echo!r}"
    sent = {name.lower(): value for name, value in echo["headers"]}
    assert sent["content-type"] == "application/json" and sent["x-task"] == "t1", sent


def test_http_status_fails_with_the_response(fetch_swarm, servers):
    allowed, _ = servers
    client = fetch_swarm.client()
    done = client.run("fetch", payload(url=allowed.url("/missing")), tries=1)
    assert done["state"] == "dead" and done["why"] == "http status 404", f"{done!r}"
    assert result(done)["status"] == 404


def test_allow_refuses_before_connecting(fetch_swarm, servers):
    allowed, other = servers
    client = fetch_swarm.client()
    refused = [
        "file:///etc/passwd",
        other.url("/secret.txt"),                                   # another port
        f"http://{allowed.host}:{allowed.port}@127.0.0.1:{other.port}/secret.txt",
        f"http://user@{allowed.host}:{allowed.port}/hello.txt",    # userinfo
        f"http://{allowed.host}:{allowed.port}.evil.invalid/",
        "gopher://127.0.0.1/",
    ]
    for url in refused:
        done = client.run("fetch", payload(url=url), tries=1)
        assert done["state"] == "dead", f"{url}: {done!r}"
        assert done["why"].startswith("refused: "), f"{url}: {done!r}"
    assert not other.requests, f"a refused URL was fetched: {other.requests!r}"
    assert not allowed.requests, f"a refused URL was fetched: {allowed.requests!r}"


def test_redirect_to_a_refused_host_is_not_followed(fetch_swarm, servers):
    allowed, other = servers
    allowed.redirect("/away", other.url("/secret.txt"))
    allowed.redirect("/here", "/hello.txt", code=301)
    client = fetch_swarm.client()
    away = client.run("fetch", payload(url=allowed.url("/away")), tries=1)
    assert away["state"] == "dead", f"{away!r}"
    assert away["why"].startswith("refused: redirect 1: "), f"{away!r}"
    assert not other.requests, f"the redirect was followed: {other.requests!r}"
    here = client.run("fetch", payload(url=allowed.url("/here")))
    assert here["state"] == "completed", f"{here!r}"
    assert result(here)["body"] == "hello, world\n"


def events_within(sub, seconds):
    """Every event that arrives in the next `seconds`: the window is the condition
    waited on (an agent that stopped heartbeating would show as agent.left in it)."""
    until = time.monotonic() + seconds
    seen = []
    while time.monotonic() < until:
        msg = sub.read(max(1, int((until - time.monotonic()) * 1000)))
        if msg is not None:
            seen.append(msg)
    return seen


def test_hung_transfer_keeps_the_agent_alive_and_cancel_aborts(fetch_swarm, servers):
    allowed, _ = servers
    allowed.hang("/slow")
    client = fetch_swarm.client()
    sub = fetch_swarm.subscribe()
    agent = fetch_swarm.agents()[0]["agent"]
    hung = client.submit("fetch", payload(url=allowed.url("/slow")), tries=1)["task"]
    request = allowed.wait_for_requests(1)[0]
    # Another task runs on the same agent while the first one hangs
    done = client.run("fetch", payload(url=allowed.url("/hello.txt")))
    assert done["state"] == "completed" and done["agent"] == agent, f"{done!r}"
    # 20 heartbeat intervals (hb 100 ms, dead after 4 missed) with the transfer hung:
    # the agent never left and is still the one registered
    window = events_within(sub, 2)
    left = [m for m in window if m["t"] == "agent.left"]
    assert not left, f"the agent was declared gone while its transfer hung: {left!r}"
    assert client.ok("task", task=hung)["state"] == "running"
    assert [a["agent"] for a in fetch_swarm.agents()] == [agent]
    # A cancel aborts the transfer at once: the server sees the client go away
    client.ok("cancel", task=hung)
    assert client.wait(hung)["state"] == "cancelled"
    request.wait_finished()
    assert request.disconnected, "the cancelled transfer's connection stayed open"


def test_timeout_aborts_the_transfer(fetch_swarm, servers):
    allowed, _ = servers
    allowed.hang("/slow")
    client = fetch_swarm.client()
    done = client.run("fetch", payload(url=allowed.url("/slow")), tries=1, tmo=300)
    assert done["state"] == "dead", f"{done!r}"
    # The agent's own timeout ends it; on a slow machine the coordinator's (tmo and two
    # heartbeats) may come first and cancel it, which aborts the transfer the same way
    assert done.get("why") == "timeout after 300 ms" or "within 300 ms" in (
        done.get("why") or ""), f"{done!r}"
    request = allowed.wait_for_requests(1)[0].wait_finished()
    assert request.disconnected, "the timed-out transfer's connection stayed open"
