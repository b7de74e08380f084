# Shared memory against a real zswarmd (PROTOCOL.md §8.1, docs/memory.md): clients and
# agents put, get, delete and query entries; versions and compare-and-set; access
# levels refused with an error, never an empty answer; expiry; every change an event;
# entries survive a SIGKILLed coordinator.

import os
import subprocess
import time

from conftest import (E_CONFLICT, E_FORBIDDEN, E_INVALID, E_NO_KEY, ScriptedAgent, binary,
                      fixed_bind, journal_conf, run_ctl, spawn, stop_process, swarm_yaml,
                      wait_until, wall_ms)

HB_MS = 100
# ms: a signal of 100 fades below 0.001 (and is removed) only after 17 s, so that it is
# still there after a restart on a slow machine
HALF_LIFE = 1000


def mem_yaml(name, **kwargs):
    """Scripted agents answer heartbeats only while a test reads from them: a liveness
    of 10 s, not 0.4 s, keeps them registered in between on a loaded machine."""
    return swarm_yaml(name, ["{type: red, count: 0}", "{type: blue, count: 0}"], hb=HB_MS,
                      liveness=100, **kwargs)


def assert_decayed(level, amount, deposited, read):
    """level, a reply's, is amount deposited within the monotonic span deposited (its
    first request sent, its last reply in) and decayed to a moment within the span read
    (the request sent, its reply in). The bounds are the half-life formula's over those
    measured spans, widened by the reply's rounding to an integer (0.5) and by 2 ms for
    the coordinator's whole-ms clock: a slow machine widens them, it cannot break them."""
    oldest = read[1] - deposited[0] + 0.002
    youngest = max(0.0, read[0] - deposited[1] - 0.002)
    low = amount * 2 ** (-oldest * 1000 / HALF_LIFE) - 0.5
    high = amount * 2 ** (-youngest * 1000 / HALF_LIFE) + 0.5
    assert low <= level <= high, (
        f"level {level} of {amount} deposited {youngest:.3f}..{oldest:.3f} s before, "
        f"half-life {HALF_LIFE} ms: expected {low:.2f}..{high:.2f}")


def read_level(client, key, amount, deposited):
    """The level of a signal now, checked by assert_decayed."""
    asked = time.monotonic()
    level = client.ok("mem.get", key=key)["level"]
    assert_decayed(level, amount, deposited, (asked, time.monotonic()))
    return level


def test_put_get_versions_and_compare_and_set(make_swarm):
    swarm = make_swarm(mem_yaml("mem"))
    client = swarm.client()
    assert client.ok("mem.put", key="cfg/a", value=b"1", tags=["cfg"])["version"] == 1
    assert client.ok("mem.put", key="cfg/a", value=b"2")["version"] == 2
    got = client.ok("mem.get", key="cfg/a")
    assert got["value"] == b"2" and got["version"] == 2 and got["access"] == "swarm"
    assert "agent" not in got and "ttl" not in got  # a client's entry, lasting
    err = client.error("mem.put", E_CONFLICT, key="cfg/a", value=b"3", cas=True, version=1)
    assert "is at version 2, not 1" in err["why"]
    assert client.ok("mem.put", key="cfg/a", value=b"3", cas=True, version=2)["version"] == 3
    client.error("mem.put", E_CONFLICT, key="cfg/a", value=b"x", cas=True)  # not absent
    assert client.ok("mem.put", key="cfg/new", cas=True)["version"] == 1
    client.error("mem.put", E_INVALID, key="cfg/a", value=b"x", version=3)  # needs cas
    client.error("mem.put", E_INVALID, key="cfg/a", access="public")
    client.error("mem.put", E_INVALID, key="cfg/a", agent="someone")  # journal's fields
    client.error("mem.put", E_INVALID, key="cfg/a", half_life=5)
    client.error("mem.put", E_INVALID, key="cfg/a", level_micro=5)
    assert client.ok("mem.query", prefix="cfg/")["keys"] == ["cfg/a", "cfg/new"]
    # An entry written without a value, or with an empty one, has an empty value, which
    # the reply carries (PROTOCOL.md §8.1); a signal has a level and no value
    assert client.ok("mem.get", key="cfg/new")["value"] == b""
    client.ok("mem.put", key="cfg/empty", value=b"")
    assert client.ok("mem.get", key="cfg/empty")["value"] == b""
    client.ok("mem.deposit", key="sig/x", amount=5, half_life=60000)
    assert "value" not in client.ok("mem.get", key="sig/x")
    client.ok("mem.del", key="cfg/empty")
    # A write replaces the whole entry: its second put had no tags
    assert client.ok("mem.query", tags=["cfg"]).get("keys", []) == []
    assert client.ok("mem.del", key="cfg/a", cas=True, version=3)["version"] == 3
    client.error("mem.get", E_NO_KEY, key="cfg/a")
    client.error("mem.del", E_NO_KEY, key="cfg/a")
    assert client.ok("mem.query", prefix="zzz").get("keys", []) == []


def test_agents_share_by_access_level_and_refusals_are_errors(make_swarm):
    swarm = make_swarm(mem_yaml("acl"))
    red1, red2 = ScriptedAgent(swarm, "red", "red1"), ScriptedAgent(swarm, "red", "red2")
    blue = ScriptedAgent(swarm, "blue", "blue1")
    assert red1.request("mem.put", key="p", value=b"mine", access="private")["t"] == \
        "mem.put.ok"
    assert red1.request("mem.put", key="t", value=b"ours", access="team")["t"] == \
        "mem.put.ok"
    assert blue.request("mem.put", key="s", value=b"all")["t"] == "mem.put.ok"
    # private: the owner only; team: its type; swarm: everyone; clients: everything
    assert red1.request("mem.get", key="p")["value"] == b"mine"
    refused = red2.request("mem.get", key="p")
    assert refused["t"] == "error" and refused["code"] == E_FORBIDDEN, refused
    assert red2.request("mem.get", key="t")["value"] == b"ours"
    assert blue.request("mem.get", key="t")["code"] == E_FORBIDDEN
    assert blue.request("mem.put", key="t", value=b"x")["code"] == E_FORBIDDEN
    assert blue.request("mem.del", key="p")["code"] == E_FORBIDDEN
    assert red2.request("mem.get", key="s")["value"] == b"all"
    got = swarm.client().ok("mem.get", key="p")
    assert got["value"] == b"mine" and got["agent"] == "red1"
    # A query lists only what the asker may read
    assert red2.request("mem.query")["keys"] == ["s", "t"]
    assert blue.request("mem.query")["keys"] == ["s"]
    assert swarm.client().ok("mem.query")["keys"] == ["p", "s", "t"]
    # Only the owner widens an entry
    assert red2.request("mem.put", key="t", value=b"x", access="swarm")["code"] == \
        E_FORBIDDEN
    assert red1.request("mem.put", key="t", value=b"x", access="swarm")["t"] == \
        "mem.put.ok"
    assert blue.request("mem.get", key="t")["value"] == b"x"


def test_changes_are_events_and_entries_expire(make_swarm):
    swarm = make_swarm(mem_yaml("events"))
    sub = swarm.subscribe()
    client = swarm.client()
    agent = ScriptedAgent(swarm, "red", "red1")
    agent.request("mem.put", key="job/1", value=b"queued")
    seen = sub.wait_for(lambda m: m["t"] == "mem.changed", 5, "mem.changed")
    assert (seen["key"], seen["version"], seen["state"], seen["agent"]) == (
        "job/1", 1, "put", "red1")
    assert "value" not in seen
    client.ok("mem.put", key="brief", value=b"x", ttl=300)
    assert 0 < client.ok("mem.get", key="brief")["ttl"] <= 300
    gone = sub.wait_for(lambda m: m["t"] == "mem.changed" and m["state"] == "expired",
                        5, "the entry's expiry")
    assert gone["key"] == "brief"
    client.error("mem.get", E_NO_KEY, key="brief")
    # A key written again before the sweep found it expired still says so: once
    # requests find it gone (the sweep runs each heartbeat, and may not have yet)
    client.ok("mem.put", key="again", value=b"1", ttl=50)
    wait_until(lambda: client.request("mem.get", key="again").get("code") == E_NO_KEY, 5,
               "'again' to expire")
    assert client.ok("mem.put", key="again", value=b"2")["version"] == 1
    assert sub.wait_for(lambda m: m["t"] == "mem.changed" and m["key"] == "again" and
                        m["state"] == "expired", 5, "the expiry of 'again'")
    client.ok("mem.del", key="job/1")
    assert sub.wait_for(lambda m: m["t"] == "mem.changed" and m["state"] == "deleted",
                        5, "the delete")["key"] == "job/1"


def test_entries_survive_a_coordinator_kill(make_swarm, workdir):
    swarm = make_swarm(mem_yaml("durable", bind=fixed_bind(),
                                journal=journal_conf(workdir, "durable-mem")))
    client = swarm.client()
    for n in range(50):
        client.ok("mem.put", key=f"k/{n:02}", value=b"v%d" % n, tags=["even"] if n % 2 == 0
                  else [])
    client.ok("mem.put", key="k/07", value=b"seven again")
    client.ok("mem.del", key="k/49")
    agent = ScriptedAgent(swarm, "red", "red1")
    agent.request("mem.put", key="secret", value=b"s", access="private", ttl=600000)
    client.ok("mem.put", key="brief", value=b"x", ttl=200)
    written = wall_ms()  # after the reply: not before the coordinator wrote it
    swarm.kill()
    # "brief" expires while the coordinator is away: expiry goes by the wall clock
    wait_until(lambda: wall_ms() > written + 200, 5, "the ttl of 'brief' to run out")
    swarm.restart()
    client = swarm.client()
    keys = client.ok("mem.query", prefix="k/")["keys"]
    assert len(keys) == 49 and "k/49" not in keys
    got = client.ok("mem.get", key="k/07")
    assert got["value"] == b"seven again" and got["version"] == 2
    assert len(client.ok("mem.query", prefix="k/", tags=["even"])["keys"]) == 25
    secret = client.ok("mem.get", key="secret")
    assert secret["agent"] == "red1" and secret["access"] == "private"
    other = ScriptedAgent(swarm, "red", "red2")
    assert other.request("mem.get", key="secret")["code"] == E_FORBIDDEN
    client.error("mem.get", E_NO_KEY, key="brief")


def test_zswarmctl_mem(make_swarm):
    swarm = make_swarm(mem_yaml("ctlmem"))
    ep = ("-e", swarm.control_ep)
    put = run_ctl(*ep, "mem", "put", "cfg/x", "--value", "hello", "--tags", "a,b")
    assert put.returncode == 0 and put.stdout == "version 1\n", put
    assert run_ctl(*ep, "mem", "put", "cfg/y", "--value", "-", input_="from stdin",
                   ).returncode == 0
    got = run_ctl(*ep, "mem", "get", "cfg/x")
    assert got.returncode == 0 and got.stdout == "hello", got
    assert run_ctl(*ep, "mem", "get", "cfg/y").stdout == "from stdin"
    assert run_ctl(*ep, "mem", "query", "cfg/", "--tags", "a").stdout == "cfg/x\n"
    assert run_ctl(*ep, "mem", "query", "cfg/").stdout == "cfg/x\ncfg/y\n"
    stale = run_ctl(*ep, "mem", "put", "cfg/x", "--value", "z", "--version", "7")
    assert stale.returncode == 1 and "not 7" in stale.stderr, stale
    assert run_ctl(*ep, "mem", "del", "cfg/x", "--version", "1").stdout == "version 1\n"
    missing = run_ctl(*ep, "mem", "get", "cfg/x")
    assert missing.returncode == 1 and "no entry 'cfg/x'" in missing.stderr, missing
    assert run_ctl(*ep, "--json", "mem", "get", "cfg/y").stdout.startswith(
        '{"v":1,"t":"mem.get.ok"')
    for bad in (["mem", "frob", "k"], ["mem", "get"], ["mem", "put", "k", "--ttl", "0"],
                ["mem", "put", "k", "--tags", "a b"]):
        usage = run_ctl(*ep, *bad)
        assert usage.returncode == 2, (bad, usage)


def test_signals_decay_and_agents_steer_by_the_strongest(make_swarm, workdir):
    """Stigmergy: agents deposit on the routes that paid off; the strongest signal is
    where the next agent goes, and marks fade unless renewed."""
    swarm = make_swarm(mem_yaml("ants", bind=fixed_bind(),
                                journal=journal_conf(workdir, "ants")))
    ants = [ScriptedAgent(swarm, "red", f"ant{n}") for n in range(3)]
    started = time.monotonic()
    first = ants[0].request("mem.deposit", key="route/a", amount=100, half_life=HALF_LIFE)
    deposited_a = (started, time.monotonic())
    assert first["t"] == "mem.deposit.ok" and first["level"] == 100, first
    started = time.monotonic()
    assert ants[1].request("mem.deposit", key="route/b", amount=60,
                           half_life=HALF_LIFE)["t"] == "mem.deposit.ok"
    assert ants[2].request("mem.deposit", key="route/c", amount=1)["code"] == E_INVALID
    # Route b keeps paying off; a does not: b becomes the strongest
    for _ in range(3):
        ants[2].request("mem.deposit", key="route/b", amount=40)
    deposited_b = (started, time.monotonic())
    top = ants[0].request("mem.query", prefix="route/", top=1)
    assert top["keys"] == ["route/b"], top
    asked = time.monotonic()
    level_b = ants[0].request("mem.get", key="route/b")["level"]
    assert_decayed(level_b, 180, deposited_b, (asked, time.monotonic()))  # 180, faded
    # Marks fade: every read of a is where the formula puts it, until a half-life has
    # halved it (the scripted ants fall silent meanwhile: a client reads on)
    client = swarm.client()
    level_a = wait_until(
        lambda: (level := read_level(client, "route/a", 100, deposited_a)) <= 50 and level,
        10, "route/a to fade to half", interval=0.05)
    client.ok("mem.put", key="route/b", value=b"x")  # a value now, not a signal
    client.error("mem.deposit", E_INVALID, key="route/b", amount=1)
    # Signals are journaled with their level and time, and keep fading across a restart
    swarm.kill()
    swarm.restart()
    client = swarm.client()
    assert client.ok("mem.query", prefix="route/", top=5)["keys"] == ["route/a"]
    wait_until(lambda: read_level(client, "route/a", 100, deposited_a) < level_a, 10,
               f"route/a to fade below {level_a} after the restart", interval=0.05)
    ctl = ("-e", swarm.control_ep)
    out = run_ctl(*ctl, "mem", "deposit", "route/z", "--amount", "700", "--half-life",
                  "3600000")
    assert out.returncode == 0 and out.stdout == "version 1 level 700\n", out
    assert run_ctl(*ctl, "mem", "get", "route/z").stdout == "700\n"
    assert run_ctl(*ctl, "mem", "query", "route/", "--top", "1").stdout == "route/z\n"
    assert run_ctl(*ctl, "mem", "get", "route/z", "--top", "1").returncode == 2


def test_entries_survive_compaction(make_swarm, workdir):
    """Overwriting one entry grows the journal past the compaction threshold (8 MiB);
    the compacted journal holds the live entries, which a restart brings back."""
    journal = journal_conf(workdir, "compact-mem")
    swarm = make_swarm(mem_yaml("compact-mem", bind=fixed_bind(), journal=journal))
    client = swarm.client()
    client.ok("mem.deposit", key="sig", amount=5, half_life=3600000)
    big = b"m" * 65536
    for n in range(160):
        assert client.ok("mem.put", key="big", value=big[:65536 - n])["version"] == n + 1
    # 10 MiB were written; compaction (at a heartbeat, maybe before the last puts)
    # leaves far less
    path = journal["path"]
    wait_until(lambda: os.path.getsize(path) < (4 << 20), 10, "the journal's compaction")
    swarm.kill()
    swarm.restart()
    client = swarm.client()
    got = client.ok("mem.get", key="big")
    assert got["version"] == 160 and got["value"] == big[:65536 - 159]
    assert client.ok("mem.get", key="sig")["level"] == 5


def test_zswarmctl_mem_watch(make_swarm):
    swarm = make_swarm(mem_yaml("watch"))
    # It watches until interrupted: a --timeout could run out on a slow machine before
    # the changes below were shown
    watch = spawn([binary("ZSWARMCTL"), "-e", swarm.control_ep, "mem", "watch", "jobs/",
                   "--events", swarm.events_ep], stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE)
    os.set_blocking(watch.stdout.fileno(), False)
    shown = bytearray()

    def lines():
        """What the watcher printed so far, line by line."""
        try:
            shown.extend(os.read(watch.stdout.fileno(), 65536))
        except BlockingIOError:
            pass
        return shown.decode().splitlines()

    client = swarm.client()
    # A SUB's subscription takes effect some time after it connects: write a marker
    # until the watcher shows it, then it sees every later change
    wait_until(lambda: client.ok("mem.put", key="jobs/marker", value=b"m") and lines(), 10,
               "the watcher to show a change", interval=0.05)
    client.ok("mem.put", key="jobs/1", value=b"a")
    client.ok("mem.put", key="other/1", value=b"b")
    client.ok("mem.del", key="jobs/1")
    wait_until(lambda: "deleted jobs/1 version 1" in lines(), 10,
               "the watcher to show the delete")
    stop_process(watch)
    changes = [line for line in lines() if "jobs/marker" not in line]
    assert changes == ["put jobs/1 version 1", "deleted jobs/1 version 1"], changes
    # With a --timeout it ends there, exit 0; nothing changed meanwhile
    quiet = run_ctl("-e", swarm.control_ep, "--timeout", "200", "mem", "watch", "jobs/",
                    "--events", swarm.events_ep)
    assert quiet.returncode == 0 and quiet.stdout == "", quiet
