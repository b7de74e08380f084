# zswarm.Client against a real zswarmd: every family of calls, the errors of the
# protocol as exceptions, the checks made before sending, events and CURVE.

import concurrent.futures
import os
import subprocess
import sys
import time

import msgpack
import pytest
import zmq
import zmq.auth

import zswarm
from conftest import PACKAGE_DIR, echo_type, probe_events, seconds, swarm_yaml


# ---------------------------------------------------------------------------------------
# tasks


def test_submit_and_wait(swarm):
    c = swarm.client()
    task = c.submit("echo", b"hello", id="job-1")
    assert task == "job-1" and not task.dup
    result = c.wait(task, timeout=seconds(10))
    assert result.ok and result.state == "completed" and result.status == "ok"
    assert result.stdout == b"hello" and result.exit == 0
    assert c.submit("echo", "again", id="job-1").dup


def test_run_str_payload_and_failure(swarm):
    c = swarm.client()
    result = c.run("echo", "héllo", wait_timeout=seconds(10), priority=5, retries=0)
    assert result.ok and result.stdout == "héllo".encode()
    failed = c.run("fail", b"broken", retries=0, wait_timeout=seconds(10))
    assert failed.state == "dead" and not failed.ok and failed.why == "broken"


def test_futures_resolve_without_a_waiter(swarm):
    c = swarm.client()
    ids = [c.submit("echo", f"n{i}") for i in range(20)]
    futures = [c.future(t) for t in ids]
    done, _ = concurrent.futures.wait(futures, timeout=seconds(15))
    assert len(done) == 20
    assert sorted(f.result().stdout for f in futures) == sorted(
        f"n{i}".encode() for i in range(20))


def test_requests_from_many_threads(swarm):
    c = swarm.client()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: c.run("echo", str(i), wait_timeout=seconds(15)),
                                range(40)))
    assert [r.stdout for r in results] == [str(i).encode() for i in range(40)]


def test_deps_fan_out_and_task_view(swarm):
    c = swarm.client()
    first = c.submit("echo", b"a", id="first")
    agg = c.submit("echo", id="fan", each=[b"x\n", "y\n", b""], agg="echo", deps=[first])
    result = c.wait(agg, timeout=seconds(10))
    assert result.ok and result.stdout == b"x\ny\n"
    view = c.task("fan.2")
    assert view.state == "completed" and view.stdout == b"y\n"
    assert view.raw["deps"] == ["first"]


def test_cancel_and_status(swarm):
    c = swarm.client()
    before = c.status()
    pending = c.submit("nobody-runs-this", b"", requires=["gpu"], strategy="least-loaded",
                       timeout=2.5)
    assert c.task(pending).state == "ready"
    assert c.task(pending).raw["tmo"] == 2500
    assert c.cancel(pending) == "cancelled"
    assert c.wait(pending, timeout=seconds(5)).state == "cancelled"
    with pytest.raises(zswarm.Finished) as err:
        c.cancel(pending)
    assert err.value.code == 9 and err.value.task in (None, pending)
    after = c.status()
    assert after["name"] == "py"
    assert after["n_cancelled"] == before["n_cancelled"] + 1
    assert after["n_agents"] == 2 and after["n_ready"] == 0


def test_agents_topology_providers(swarm):
    c = swarm.client()
    agents = c.agents()
    assert sorted(a["agent"] for a in agents) == ["echo-1", "echo-2"]
    assert all(a["atype"] == "echo" and a["local"] for a in agents)
    assert c.topology()["topology"] == "star"
    providers = c.providers()
    assert providers["providers"] == []
    assert [b["scope"] for b in providers["budgets"]] == ["swarm"]


# ---------------------------------------------------------------------------------------
# shared memory and votes


def test_mem(swarm):
    c = swarm.client()
    assert c.mem_put("cfg/mode", b"fast", tags=["cfg"], ttl=60) == 1
    assert c.mem_put("cfg/empty") == 1
    entry = c.mem_get("cfg/mode")
    assert entry["value"] == b"fast" and entry["version"] == 1
    assert entry["tags"] == ["cfg"] and entry["access"] == "swarm"
    assert 0 < entry["ttl"] <= 60000
    assert c.mem_get("cfg/empty")["value"] == b""   # an empty value is a value
    assert c.mem_list(tags=["cfg"]) == ["cfg/mode"]
    assert c.mem_put("cfg/mode", "slow", version=1) == 2   # tags replaced: none
    with pytest.raises(zswarm.Conflict):
        c.mem_put("cfg/mode", b"x", version=1)
    with pytest.raises(zswarm.Conflict):
        c.mem_put("cfg/mode", b"x", version=0)    # 0: only if it does not exist
    assert c.mem_list("cfg/") == ["cfg/empty", "cfg/mode"]
    assert c.mem_list(tags=["cfg"]) == []
    signal = c.mem_deposit("route/a", 10, half_life=60)
    assert signal["version"] == 1 and signal["level"] == 10
    c.mem_deposit("route/b", 20, half_life=60)
    assert c.mem_list("route/", top=1) == ["route/b"]
    got = c.mem_get("route/a")
    assert "value" not in got and got["half_life"] == 60000
    assert c.mem_del("cfg/mode", version=2) == 2
    with pytest.raises(zswarm.NoKey) as err:
        c.mem_get("cfg/mode")
    assert err.value.code == 12


def test_votes(make_swarm):
    s = make_swarm(swarm_yaml([echo_type(count=2, type_="aye", extra=", vote: yes"),
                               echo_type(count=1, type_="nay", extra=", vote: no")]))
    c = s.client()
    s.wait_agents(c, 3)
    opened = c.vote("ship it?", ["yes", "no"], id="ship", deadline=seconds(10))
    assert opened == {"vote": "ship", "count": 3}
    until = time.monotonic() + seconds(10)
    while (status := c.vote_status("ship"))["state"] == "open":
        assert time.monotonic() < until, status
        time.sleep(0.02)
    assert status["state"] == "decided" and status["option"] == "yes"
    assert status["question"] == "ship it?" and status["strategy"] == "majority"
    assert "ship" in c.votes()
    with pytest.raises(zswarm.Conflict):
        c.vote("again?", ["yes", "no"], id="ship")
    with pytest.raises(zswarm.NoVote):
        c.vote_status("never")
    with pytest.raises(zswarm.Invalid):
        c.vote("who?", ["yes", "no"], voters=["nobody"])


# ---------------------------------------------------------------------------------------
# errors: refusals from zswarmd, checks before sending, timeouts


def test_refusals_carry_their_code(swarm):
    c = swarm.client()
    with pytest.raises(zswarm.NoTask) as err:
        c.wait("no-such-task", timeout=seconds(5))
    assert err.value.code == 5 and err.value.name == "NO_TASK"
    assert isinstance(err.value, zswarm.ZswarmError)
    with pytest.raises(zswarm.NoTask):
        c.task("no-such-task")
    with pytest.raises(zswarm.NoTask):
        c.submit("echo", deps=["no-such-task"])
    with pytest.raises(zswarm.Invalid):
        c.submit("echo", id="self", deps=["self"])
    with pytest.raises(zswarm.Invalid):
        c.stop("not-a-local-agent")
    future = c.future("no-such-task")
    assert isinstance(future.exception(seconds(5)), zswarm.NoTask)
    # the escape hatch sends what the methods would refuse; zswarmd refuses it too
    reply = c.send("submit", ttype="echo", pri=5000)[0]
    assert reply.exception(seconds(5)).code == zswarm.Malformed.code
    with pytest.raises(zswarm.UnknownType):
        c.request("vote.cast", vote="v", option="yes")


def test_every_code_has_a_class():
    for code in range(1, 16):
        exc = zswarm.errors.error_from_reply({"t": "error", "code": code, "why": "w"})
        assert type(exc) is not zswarm.ZswarmError and exc.code == code
    unknown = zswarm.errors.error_from_reply({"t": "error", "code": 99, "why": "new"})
    assert type(unknown) is zswarm.ZswarmError and unknown.code == 99


@pytest.mark.parametrize("call, message", [
    (lambda c: c.submit("bad type"), "ttype"),
    (lambda c: c.submit("x" * 65), "ttype"),
    (lambda c: c.submit("echo", b"x" * (1024 * 1024 + 1)), "payload"),
    (lambda c: c.submit("echo", priority=1001), "priority"),
    (lambda c: c.submit("echo", timeout=0), "timeout"),
    (lambda c: c.submit("echo", timeout=86401), "timeout"),
    (lambda c: c.submit("echo", retries=101), "retries"),
    (lambda c: c.submit("echo", deps=[f"d{i}" for i in range(65)]), "deps"),
    (lambda c: c.submit("echo", deps="one"), "deps"),
    (lambda c: c.submit("echo", strategy="fastest"), "strategy"),
    (lambda c: c.submit("echo", each=[b"a"]), "fan-out"),
    (lambda c: c.submit("echo", b"p", each=[b"a"], agg="echo"), "payload"),
    (lambda c: c.submit("echo", each=[], agg="echo"), "each"),
    (lambda c: c.mem_put("", b"v"), "key"),
    (lambda c: c.mem_put("k" * 257, b"v"), "key"),
    (lambda c: c.mem_put("k", b"v" * 65537), "value"),
    (lambda c: c.mem_put("k", access="public"), "access"),
    (lambda c: c.mem_put("k", tags=["t"] * 17), "tags"),
    (lambda c: c.mem_put("k\0", b"v"), "key"),
    (lambda c: c.mem_deposit("k", 10 ** 12 + 1), "amount"),
    (lambda c: c.vote("q?", ["yes"]), "options"),
    (lambda c: c.vote("q?", ["yes", "yes"]), "options"),
    (lambda c: c.vote("", ["yes", "no"]), "question"),
    (lambda c: c.vote("q?", ["yes", "no"], strategy="loudest"), "strategy"),
    (lambda c: c.cancel("a b"), "task"),
    (lambda c: c.scale("echo", 1001), "count"),
    (lambda c: c.submit("echo", agent="a b"), "agent"),
    (lambda c: c.agents(capability="bad name"), "capability"),
    (lambda c: c.broadcast(b""), "payload"),
    (lambda c: c.broadcast(b"x" * 65537), "payload"),
    (lambda c: c.broadcast(7), "payload"),
    (lambda c: c.broadcast(b"x", type="a b"), "type"),
    (lambda c: c.pause(), "exactly one"),
    (lambda c: c.pause("echo-1", type="echo"), "exactly one"),
    (lambda c: c.resume(), "exactly one"),
    (lambda c: c.resume(agent="a b"), "agent"),
    (lambda c: c.pause(type="bad type"), "type"),
])
def test_checks_before_sending(call, message):
    with zswarm.Client("tcp://127.0.0.1:9", timeout=0.2) as c:
        with pytest.raises(zswarm.ValidationError, match=message):
            call(c)


def test_timeout_and_close():
    c = zswarm.Client("tcp://127.0.0.1:9", timeout=0.2)   # nobody listens there
    with pytest.raises(zswarm.Timeout, match="no reply"):
        c.status()
    future = c.future("t")
    c.close()
    assert isinstance(future.exception(1), zswarm.ClientClosed)
    with pytest.raises(zswarm.ClientClosed):
        c.status()


# ---------------------------------------------------------------------------------------
# events


def test_events_of_a_task(swarm):
    c = swarm.client()
    with c.events("task.", timeout=seconds(10)) as stream:
        probe_events(c, stream, "t")
        task = c.submit("echo", b"hi", id="watched")
        seen = []
        for event in stream:
            assert isinstance(event, zswarm.Event), event   # no gap on a quiet swarm
            assert event.type.startswith("task.")
            if event.get("task") == "watched":
                seen.append(event.type)
                if event.type == "task.completed":
                    break
        assert seen[0] == "task.ready" and seen[-1] == "task.completed"
        assert c.wait(task).ok
        c.mem_put("not/a/task", b"")          # filtered out, and not a gap either
        c.submit("echo", id="after")
        event = stream.get(seconds(5))
        assert event.type == "task.ready" and event["task"] == "after"
        assert stream.lost == 0


def publisher(ctx):
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    return pub, f"tcp://127.0.0.1:{port}"


def publish(pub, seq, t="task.ready"):
    pub.send_multipart([t.encode(), msgpack.packb({"v": 1, "t": t, "seq": seq,
                                                   "task": f"t{seq}", "ttype": "x"})])


def ready_stream(client, pub, stream):
    """Publish seq 1 until the stream sees it: the subscription is in effect."""
    until = time.monotonic() + seconds(10)
    while True:
        publish(pub, 1)
        if stream.get(0.05) is not None:
            return
        assert time.monotonic() < until, "the fake publisher's events never arrived"


@pytest.mark.parametrize("on_gap", ["yield", "raise"])
def test_gaps_by_sequence_number(on_gap):
    # A publisher of our own, so that events can be lost on purpose
    ctx = zmq.Context()
    pub, endpoint = publisher(ctx)
    try:
        with zswarm.Client("tcp://127.0.0.1:9", endpoint) as c:
            stream = c.events("task.", on_gap=on_gap, timeout=1)
            ready_stream(c, pub, stream)
            publish(pub, 2)
            publish(pub, 3, "mem.changed")     # not wanted, but counted
            publish(pub, 6)                    # 4 and 5 lost
            publish(pub, 7)
            publish(pub, 2)                    # numbering starts again: a restart
            assert stream.get(2)["seq"] == 2
            if on_gap == "yield":
                assert stream.get(2) == zswarm.Gap(4, 5)
            else:
                with pytest.raises(zswarm.GapError) as err:
                    stream.get(2)
                assert err.value.gap == zswarm.Gap(4, 5)
            assert stream.get(2)["seq"] == 6
            assert stream.get(2)["seq"] == 7
            if on_gap == "yield":
                gap = stream.get(2)
                assert gap.restarted and gap.first == 8 and gap.count == 0
            else:
                with pytest.raises(zswarm.GapError):
                    stream.get(2)
            assert stream.get(2)["seq"] == 2
            assert stream.lost == 2
            assert list(stream) == []           # timeout: iteration ends
    finally:
        pub.close()
        ctx.term()


# ---------------------------------------------------------------------------------------
# CURVE, and shutdown


def test_curve(make_swarm, workdir):
    for sub in ("clients", "keys"):
        os.mkdir(os.path.join(workdir, sub))
    server_pub, server_secret = zmq.auth.create_certificates(workdir, "coord")
    client_pub, client_secret = zmq.auth.create_certificates(
        os.path.join(workdir, "clients"), "alice")
    extra = (f'security: {{cert: "{server_secret}", '
             f'clients: "{workdir}/clients"}}\n')
    s = make_swarm(swarm_yaml([echo_type()], extra))
    c = s.client(cert=client_secret, server_key=server_pub)
    s.wait_agents(c, 1)
    assert c.run("echo", b"secret", wait_timeout=seconds(10)).stdout == b"secret"
    public, secret = zswarm.load_secret_cert(client_secret)
    server_z85 = zswarm.load_server_key(server_pub)
    by_keys = s.client(public_key=public, secret_key=secret, server_key=server_z85)
    assert by_keys.status()["name"] == "py"
    with by_keys.events("task.", timeout=seconds(5)) as stream:
        probe_events(by_keys, stream, "curve")
    stranger = s.client(timeout=0.5)         # no keys: its handshake never succeeds
    with pytest.raises(zswarm.Timeout):
        stranger.status()
    with pytest.raises(zswarm.ValidationError, match="server_key"):
        zswarm.Client(s.control_ep, cert=client_secret)
    with pytest.raises(zswarm.ValidationError, match="secret certificate"):
        zswarm.Client(s.control_ep, cert=client_pub, server_key=server_pub)
    with pytest.raises(zswarm.ValidationError, match="Z85"):
        zswarm.Client(s.control_ep, cert=client_secret, server_key="short")


def test_shutdown(swarm):
    c = swarm.client()
    c.shutdown()
    assert swarm.proc.wait(timeout=seconds(15)) == 0


def test_run_wait_timeout(swarm):
    c = swarm.client()
    with pytest.raises(zswarm.Timeout, match="did not end"):
        c.run("nobody-runs-this", wait_timeout=0.2, id="never-ends")
    assert c.cancel("never-ends") == "cancelled"


def test_the_example_client_runs(make_swarm):
    """examples/client.py, the README's ten lines, against a swarm of echo agents."""
    s = make_swarm(swarm_yaml([echo_type()]))
    s.wait_agents(s.client(), 1)
    example = os.path.join(PACKAGE_DIR, "..", "examples", "client.py")
    env = dict(os.environ, ZSWARM_CONTROL=s.control_ep, PYTHONPATH=PACKAGE_DIR)
    proc = subprocess.run([sys.executable, example], env=env, capture_output=True,
                          text=True, timeout=seconds(30))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert out[:3] == ["hello", "a", "b"] and out[3].startswith("b'hi' "), proc.stdout
