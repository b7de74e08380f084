# Data between steps (PROTOCOL.md §7.1): a submit's inputs reach every attempt's
# task.assign as input records, in the order asked, collected as each input completes
# (so evicted results are not lost), bounded to 1 MiB together, and kept across a
# SIGKILLed coordinator by its journal.

from conftest import (LeavingAgent, echo_type, explain, fixed_bind, journal_conf,
                      run_ctl, swarm_yaml, wait_until)

HB_MS = 100


def inputs_yaml(name, **kwargs):
    """Scripted agents answer heartbeats only while a test reads from them: a liveness
    of 10 s keeps them registered in between on a loaded machine."""
    return swarm_yaml(name, [echo_type(count=1), "{type: consumer, count: 0}",
                             "{type: producer, count: 0}"],
                      hb=HB_MS, liveness=100, **kwargs)


def run_assigned(agent, task, stdout=b""):
    """The agent's next task.assign for task, answered with a result ok."""
    assign = agent.next("task.assign", task=task)
    agent.send("task.result", task=task, att=assign["att"], status="ok", stdout=stdout)
    return assign


def test_inputs_reach_the_assign_in_order(make_swarm):
    """Normal use: the consumer's assign carries its inputs' results in the order its
    submit named them, though they completed in another order and none is kept (keep
    results 0): each was collected when it completed."""
    swarm = make_swarm(inputs_yaml("inputs1", tasks={"keep_results": 0}))
    producer = LeavingAgent(swarm, "producer", "producer-1", conc=4)
    consumer = LeavingAgent(swarm, "consumer", "consumer-1")
    client = swarm.client()
    client.submit("producer", b"a", task="in-a")
    client.submit("producer", b"b", task="in-b")
    rid = client.send("submit", ttype="consumer", task="out", inputs=["in-b", "in-a"],
                      wait=True)
    assert client.reply(rid)["t"] == "submit.ok"
    record = client.ok("task", task="out")
    assert record["state"] == "pending" and record["deps"] == ["in-b", "in-a"], record
    run_assigned(producer, "in-a", b"alpha\n")
    run_assigned(producer, "in-b", b"")
    assign = run_assigned(consumer, "out", b"done")
    assert assign["inputs"] == [
        {"task": "in-b", "status": "completed"},
        {"task": "in-a", "status": "completed", "stdout": b"alpha\n"},
    ], assign
    done = client.reply(rid)
    assert done["state"] == "completed" and done["stdout"] == b"done", done


def test_inputs_and_deps_together(make_swarm):
    """An input that is also among deps is one dependency; deps that are not inputs
    order the task without reaching its assign; a workflow's inputs are the same."""
    swarm = make_swarm(inputs_yaml("inputs2"))
    consumer = LeavingAgent(swarm, "consumer", "consumer-1")
    client = swarm.client()
    client.run("echo", b"one", task="one")
    client.run("echo", b"two", task="two")
    client.submit("consumer", task="both", deps=["one", "two"], inputs=["two"])
    assign = run_assigned(consumer, "both")
    assert assign["inputs"] == [{"task": "two", "status": "completed",
                                 "stdout": b"two"}], assign
    assert client.ok("task", task="both")["deps"] == ["one", "two"]
    # zswarm-agent takes an assign that carries inputs
    assert client.run("echo", b"z", inputs=["one"])["stdout"] == b"z"


def test_inputs_refused(swarm):
    """Bad inputs are refused as bad deps are: unknown (5), itself (7), beside a
    fan-out's items (7); more than 64 is malformed (1)."""
    client = swarm.client()
    client.error("submit", 5, ttype="echo", inputs=["nowhere"])
    client.error("submit", 7, ttype="echo", task="me", inputs=["me"])
    client.run("echo", b"x", task="x")
    client.error("submit", 1, ttype="echo", inputs=["x"] * 65)
    client.error("submit", 7, ttype="echo", items=[b"1"], agg="echo", inputs=["x"])


def test_inputs_past_one_mib_kill_the_task(swarm):
    """Seventeen inputs of 64 KiB each pass 1 MiB together: the task is dead, with a
    why that names the bound, and never assigned."""
    client = swarm.client()
    big = b"i" * 65536
    ids = [f"big-{i}" for i in range(17)]
    for task in ids:
        client.run("echo", big, task=task)
    done = client.run("noop", task="too-much", inputs=ids)
    assert done["state"] == "dead", done
    assert "the results of its inputs pass 1048576 bytes" in done["why"], done
    assert "att" not in done, done


def test_inputs_survive_a_sigkilled_coordinator(make_swarm, workdir):
    """The input completed and was evicted (keep results 0), the dependant was released
    but had no agent when zswarmd was killed: after the restart the journal gives the
    input's result back, and the assign carries it."""
    swarm = make_swarm(inputs_yaml("inputs3", tasks={"keep_results": 0},
                                   bind=fixed_bind(), journal=journal_conf(workdir, "inputs3")))
    producer = LeavingAgent(swarm, "producer", "producer-1")
    client = swarm.client()
    client.submit("producer", task="early")
    client.submit("consumer", task="late", inputs=["early"])
    run_assigned(producer, "early", b"kept by the journal")
    wait_until(lambda: client.ok("task", task="late")["state"] == "ready", 10,
               "the dependant to be released")
    swarm.kill()
    swarm.restart()
    consumer = LeavingAgent(swarm, "consumer", "consumer-1")
    assign = consumer.next("task.assign", task="late")
    assert assign["inputs"] == [{"task": "early", "status": "completed",
                                 "stdout": b"kept by the journal"}], assign
    events = swarm.subscribe()  # late is evicted as it ends: its event tells
    consumer.send("task.result", task="late", att=assign["att"], status="ok")
    events.wait_for(lambda m: m["t"] == "task.completed" and m["task"] == "late", 10,
                    "late to complete")


def test_workflow_inputs(make_swarm):
    """A workflow step's inputs: the step waits for them and gets their results."""
    text = inputs_yaml("inputs4") + (
        "workflow:\n"
        "  - {id: design, type: echo, payload: \"the design\"}\n"
        "  - {id: tests, type: echo, payload: \"the tests\"}\n"
        "  - {id: build, type: consumer, inputs: [design, tests]}\n")
    swarm = make_swarm(text)
    consumer = LeavingAgent(swarm, "consumer", "consumer-1")
    assign = run_assigned(consumer, "build")
    assert [(i["task"], i.get("stdout")) for i in assign["inputs"]] == [
        ("design", b"the design"), ("tests", b"the tests")], assign


def test_ctl_submit_inputs(make_swarm):
    """zswarmctl submit --inputs names them as a client's submit does."""
    swarm = make_swarm(inputs_yaml("inputs5"))
    consumer = LeavingAgent(swarm, "consumer", "consumer-1")
    swarm.control.run("echo", b"first", task="first")
    proc = run_ctl("-e", swarm.control_ep, "submit", "--type", "consumer", "--id", "then",
                   "--inputs", "first")
    assert proc.returncode == 0 and proc.stdout == "then\n", explain(proc)
    assign = run_assigned(consumer, "then")
    assert assign["inputs"] == [{"task": "first", "status": "completed",
                                 "stdout": b"first"}], assign
