# Task graphs against a real zswarmd (PROTOCOL.md §7.1, §7.2): dependencies order
# tasks and a failed one fails its dependants; fan-out/fan-in over many agents joins
# every item's result in order; a fan-out survives a SIGKILLed coordinator; a swarm
# file's workflow runs once; zswarmctl submit --deps, --each and --agg.

import os

from conftest import (E_INVALID, E_NO_TASK, fixed_bind, gated_type, journal_conf,
                      open_gate, run_ctl, swarm_yaml, wait_until)

WORKER = ("{type: work, count: 2, handler: builtin, "
          "capabilities: [echo, sleep, fail, noop], concurrency: 4}")


def upper_type(count, concurrency=1, type_="page"):
    """An exec type whose task prints its payload in capitals: real work per item."""
    return (f"{{type: {type_}, count: {count}, handler: exec, "
            f"command: [/usr/bin/tr, a-z, A-Z], concurrency: {concurrency}}}")


def shown_rows(proc):
    """zswarmctl's 'key: value' lines as a dict."""
    assert proc.returncode == 0, proc.stderr
    rows = {}
    for line in proc.stdout.splitlines():
        key, _, value = line.partition(":")
        rows[key] = value.strip()
    return rows


# ---------------------------------------------------------------------------------------

def test_a_dependant_runs_after_its_dependencies(make_swarm, workdir):
    swarm = make_swarm(swarm_yaml("deps", [WORKER, gated_type("gated", concurrency=2)]))
    swarm.wait_agents(3)
    events = swarm.subscribe()
    client = swarm.client()
    # a and b run until their gates open: b's first, then a's
    gates = {task: os.path.join(workdir, f"gate-{task}") for task in ("a", "b")}
    client.submit("gated", gates["a"], task="a")
    client.submit("gated", gates["b"], task="b")
    reply = client.submit("echo", b"after a and b", task="c", deps=["a", "b"])
    assert reply["task"] == "c", reply
    record = client.ok("task", task="c")
    assert record["state"] == "pending" and record["deps"] == ["a", "b"], record
    status = swarm.status()
    assert status.get("n_pending") == 1 and status.get("n_running") == 2, status
    shown = shown_rows(run_ctl("-e", swarm.control_ep, "task", "c"))
    assert shown["state"] == "pending" and shown["deps"] == "a,b", shown
    assert shown_rows(run_ctl("-e", swarm.control_ep, "status"))["pending"] == "1"
    open_gate(gates["b"])
    events.wait_for(lambda m: m["t"] == "task.completed" and m["task"] == "b", 10, "b")
    assert client.ok("task", task="c")["state"] == "pending", "c ready before a ended"
    open_gate(gates["a"])
    done = client.wait("c")
    assert done["state"] == "completed" and done["stdout"] == b"after a and b", done
    events.wait_for(lambda m: m["t"] == "task.completed" and m["task"] == "c", 10, "c")
    order = [(m["t"], m["task"]) for m in events.seen if m.get("task") in {"a", "b", "c"}]
    # c is pending first, and ready only once both a and b completed
    assert order.index(("task.pending", "c")) < order.index(("task.completed", "b"))
    assert order.index(("task.completed", "a")) < order.index(("task.ready", "c"))
    assert order.index(("task.completed", "b")) < order.index(("task.ready", "c"))
    # a dependency that completed already is met at once
    assert client.run("echo", "late", deps=["a"])["stdout"] == b"late"


def test_a_failed_dependency_fails_its_dependants_in_turn(make_swarm, workdir):
    swarm = make_swarm(swarm_yaml("cascade", [WORKER, gated_type("gated")]))
    client = swarm.client()
    client.submit("sleep", b"600000", task="root")  # cancelled below
    client.submit("echo", b"1", task="mid", deps=["root"])
    client.submit("echo", b"2", task="leaf", deps=["mid"])
    client.submit("echo", b"3", task="other", deps=["root", "leaf"])
    client.ok("cancel", task="root")
    mid, leaf, other = (client.wait(t) for t in ("mid", "leaf", "other"))
    assert mid["state"] == "dead" and mid["why"] == "dependency 'root' cancelled", mid
    assert leaf["state"] == "dead" and leaf["why"] == "dependency 'mid' dead", leaf
    assert other["state"] == "dead", other
    # a dead dependency fails a new dependant at once; a failing task with no
    # attempts left too
    client.submit("fail", b"no", task="bad", tries=1)
    assert client.wait("bad")["state"] == "dead"
    late = client.run("echo", "x", deps=["bad"])
    assert late["state"] == "dead" and late["why"] == "dependency 'bad' dead", late
    # a pending task can be cancelled itself; its dependency runs on
    gate = os.path.join(workdir, "gate")
    client.submit("gated", gate, task="slow")
    client.submit("echo", b"y", task="waits", deps=["slow"])
    assert client.ok("cancel", task="waits")["state"] == "cancelled"
    open_gate(gate)
    assert client.wait("slow")["state"] == "completed"
    status = swarm.status()
    assert status["n_dead"] >= 5 and status["n_cancelled"] >= 2, status


def test_graph_refusals(make_swarm):
    swarm = make_swarm(swarm_yaml("refuse", [WORKER]))
    client = swarm.client()
    error = client.error("submit", E_NO_TASK, ttype="echo", task="x", deps=["ghost"])
    assert error["why"] == "no task 'ghost' to depend on", error
    client.error("submit", E_INVALID, ttype="echo", task="self", deps=["self"])
    client.error("submit", E_INVALID, ttype="echo", agg="echo")
    client.error("submit", E_INVALID, ttype="echo", items=[b"a"])
    client.error("submit", E_INVALID, ttype="echo", items=[b"a"], agg="echo",
                 payload=b"p")
    client.error("submit", E_INVALID, ttype="echo", items=[b"a"], agg="echo",
                 task="x" * 63)
    client.ok("submit", ttype="echo", task="t.1", payload=b"taken")
    error = client.error("submit", E_INVALID, ttype="echo", items=[b"a"], agg="echo",
                         task="t")
    assert error["why"] == "task 't.1' exists already", error
    client.error("submit", E_INVALID, ttype="echo", deps=[f"d{i}" for i in range(65)])
    # nothing was made by the refused submits
    assert swarm.status()["n_submitted"] == 1


def test_fan_out_over_fifty_agents_joins_every_page(make_swarm):
    swarm = make_swarm(swarm_yaml("pages", [upper_type(50), WORKER]))
    swarm.wait_agents(50, atype="page", seconds=60)
    client = swarm.client()
    pages = [f"page {n:03d} of the document\n".encode() for n in range(1, 101)]
    done = client.run("page", task="doc", items=pages, agg="echo", seconds=120)
    assert done["task"] == "doc" and done["state"] == "completed", done
    assert done["stdout"] == b"".join(p.upper() for p in pages), done["stdout"][:200]
    assert "deps" not in done, "an aggregate does not list its items"
    ran_on = set()
    for n in (1, 50, 100):
        item = client.ok("task", task=f"doc.{n}")
        assert item["state"] == "completed" and item["ttype"] == "page", item
        assert item["stdout"] == pages[n - 1].upper(), item
    for n in range(1, 101):
        ran_on.add(client.ok("task", task=f"doc.{n}")["agent"])
    assert len(ran_on) > 10, f"100 pages ran on only {len(ran_on)} of 50 agents"


def test_a_failed_item_fails_the_aggregate(make_swarm):
    swarm = make_swarm(swarm_yaml("badpage", [WORKER]))
    client = swarm.client()
    done = client.run("fail", task="f", items=[b"one", b"two"], agg="echo", tries=1)
    assert done["state"] == "dead", done
    assert done["why"] in ("dependency 'f.1' dead", "dependency 'f.2' dead"), done


def test_aggregate_bounds_and_its_items_ids(make_swarm):
    swarm = make_swarm(swarm_yaml("agg-bounds", [WORKER], tasks={"keep_results": 0}))
    client = swarm.client()
    # 20 results of 64 KiB (the output bound) pass the aggregate's 1 MiB payload
    big = [bytes([65 + n]) * 65536 for n in range(20)]
    done = client.run("echo", task="huge", items=big, agg="echo", seconds=60)
    assert done["state"] == "dead", done
    assert done["why"] == "the results of its items pass 1048576 bytes", done
    # while an aggregate waits, an evicted item's id is not free for a new task
    client.submit("sleep", task="w", items=[b"10", b"600000"], agg="echo")
    wait_until(lambda: swarm.status().get("n_completed", 0) >= 1 + 20, 20,
               "w.1 to complete (and, with keep_results 0, be evicted)")
    error = client.error("submit", E_INVALID, ttype="echo", task="w.1", payload=b"x")
    assert error["why"] == ("task 'w.1' is an item of the fan-out 'w', which still "
                            "waits"), error
    waiting = client.send("wait", task="w")  # keep_results 0: it is gone once it ends
    client.ok("cancel", task="w.2")
    assert client.reply(waiting)["why"] == "dependency 'w.2' cancelled"


def test_fan_out_survives_a_coordinator_kill(make_swarm, workdir):
    slow = ("{type: slowpage, count: 2, handler: exec, concurrency: 2, "
            "command: [/bin/sh, -c, 'sleep 0.3; tr a-z A-Z']}")
    text = swarm_yaml("durable-fan", [slow, WORKER], bind=fixed_bind(),
                      journal=journal_conf(workdir, "durable-fan"),
                      tasks={"keep_results": 3})
    swarm = make_swarm(text)
    client = swarm.client()
    items = [f"item {n}\n".encode() for n in range(1, 13)]
    client.submit("slowpage", task="big", items=items, agg="echo")
    # (items are evicted soon after they complete: keep_results is 3)
    wait_until(lambda: swarm.status().get("n_completed", 0) >= 3, 20,
               "a few items to complete")
    swarm.kill()
    swarm.restart()
    client = swarm.client()
    done = client.wait("big", seconds=60)
    assert done["state"] == "completed", done
    # keep_results 3 evicted most items, yet each result reached the aggregate once
    assert done["stdout"] == b"".join(i.upper() for i in items), done["stdout"]


def test_a_workflow_runs_once_at_start(make_swarm, workdir):
    journal = journal_conf(workdir, "flow")
    flow = ("workflow:\n"
            "  - {id: report, type: echo, payload: 'report', deps: [fetch, parse]}\n"
            "  - {id: parse, type: echo, payload: 'parse', deps: [fetch]}\n"
            "  - {id: fetch, type: sleep, payload: '100'}\n")
    text = swarm_yaml("flow", [WORKER], bind=fixed_bind(), journal=journal) + flow
    swarm = make_swarm(text)
    client = swarm.client()
    assert client.wait("report")["state"] == "completed"
    ended = {t: client.ok("task", task=t)["ended"] for t in ("fetch", "parse", "report")}
    assert ended["fetch"] <= ended["parse"] <= ended["report"], ended
    assert "workflow: 3 of 3 steps submitted" in swarm.log_tail(100)
    assert swarm.stop() == 0
    swarm.restart()
    # The workflow is submitted once the loop runs, after the ready line
    wait_until(lambda: "workflow: 0 of 3 steps submitted" in swarm.log_tail(100) or None,
               10, "the workflow's line after the restart")
    assert swarm.status().get("n_submitted", 0) == 0


def test_zswarmctl_deps_each_and_agg(make_swarm, workdir):
    swarm = make_swarm(swarm_yaml("ctl-graph", [upper_type(2, 2), WORKER]))
    ep = ("-e", swarm.control_ep)
    proc = run_ctl(*ep, "submit", "--type", "sleep", "--payload", "100", "--id", "first")
    assert proc.returncode == 0 and proc.stdout == "first\n", proc.stderr
    proc = run_ctl(*ep, "submit", "--type", "echo", "--payload", "second", "--deps",
                   "first", "--wait")
    assert proc.returncode == 0 and proc.stdout == "second", proc.stderr
    path = os.path.join(workdir, "lines.txt")
    with open(path, "w") as f:
        f.write("alpha\n\nbeta\ngamma")
    proc = run_ctl(*ep, "submit", "--type", "page", "--each", path, "--agg", "echo",
                   "--wait")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ALPHABETAGAMMA", proc.stdout
    proc = run_ctl(*ep, "--json", "submit", "--type", "page", "--each", "-", "--agg",
                   "echo", "--id", "stdin-fan", input_="one\ntwo\n")
    assert proc.returncode == 0 and '"task":"stdin-fan"' in proc.stdout, proc
    bad = [
        (["--each", path], "--each and --agg go together"),
        (["--agg", "echo"], "--each and --agg go together"),
        (["--each", path, "--agg", "echo", "--payload", "x"], "no --payload"),
        (["--each", "/nonexistent", "--agg", "echo"], "cannot open"),
        (["--deps", "a,,b", "--payload", "x"], "--deps: expected 1..64"),
        (["--requires", "a b", "--payload", "x"], "--requires: expected"),
    ]
    for args, says in bad:
        proc = run_ctl(*ep, "submit", "--type", "page", *args)
        assert proc.returncode == 2 and says in proc.stderr, (args, proc.stderr)
    proc = run_ctl(*ep, "submit", "--type", "echo", "--payload", "x", "--deps", "ghost")
    assert proc.returncode == 1 and "no task 'ghost'" in proc.stderr, proc.stderr


def test_a_released_aggregate_keeps_its_payload_through_compaction(make_swarm, workdir):
    """An aggregate that is ready (its items done and evicted) but has no agent yet is
    journaled with its joined payload; compaction and a SIGKILL must not lose it."""
    upper = upper_type(0, type_="upper")
    text = swarm_yaml("compact-agg", [upper, WORKER], bind=fixed_bind(),
                      journal=journal_conf(workdir, "compact-agg"),
                      tasks={"keep_results": 1})
    swarm = make_swarm(text)
    swarm.wait_agents(2)
    client = swarm.client()
    client.submit("echo", task="agg", items=[b"alpha ", b"beta"], agg="upper")
    wait_until(lambda: client.ok("task", task="agg")["state"] == "ready", 20,
               "the aggregate to be released")
    # 12 MiB of accepted payloads, then results only: the journal compacts itself
    for n in range(12):
        client.run("echo", b"x" * (1 << 20), task=f"filler-{n}", seconds=30)
    wait_until(lambda: "compacted from" in swarm.log_tail(200), 20, "a compaction")
    swarm.kill()
    swarm.restart()
    client = swarm.client()
    client.ok("scale", atype="upper", count=1)
    done = client.wait("agg", seconds=30)
    assert done["state"] == "completed" and done["stdout"] == b"ALPHA BETA", done
