# A task's own channel to its agent (PROTOCOL.md §13, docs/task.md) against a real
# zswarmd: exec tasks are shell or Python scripts (the payload, read by /bin/sh or
# python3 from stdin) that call zswarm-task, or speak the channel's frames themselves
# to send what zswarm-task never would: garbage, an oversize length, a map that is not
# a message, a request after the attempt ended, a request in another task's name.

import json
import os
import signal

import pytest

from conftest import (agents_subscribed, binary, fixed_bind, swarm_yaml, wait_until,
                      yaml_flow)

HB_MS = 100
E_MALFORMED, E_UNKNOWN_TYPE, E_LIMIT, E_FORBIDDEN, E_NO_KEY = 1, 3, 10, 11, 12

SH = "{type: sh, count: 1, handler: exec, command: [/bin/sh], concurrency: 2}"
PY = "{type: py, count: 1, handler: exec, command: [/usr/bin/python3, '-']}"

# The frames of the channel from Python: a 4-byte big-endian length, then one map
PY_CHANNEL = """
import json, os, struct, sys
import msgpack
fd = int(os.environ["ZSWARM_TASK_FD"])
def send(msg):
    body = msgpack.packb(msg)
    os.write(fd, struct.pack(">I", len(body)) + body)
def recv():
    data = b""
    while len(data) < 4 or len(data) < 4 + struct.unpack(">I", data[:4])[0]:
        more = os.read(fd, 65536)
        if not more:
            return None
        data += more
    return msgpack.unpackb(data[4:], raw=False)
def show(msg):
    print(json.dumps(msg, default=lambda b: b.decode(errors="replace")), flush=True)
"""


def task_bin():
    return binary("ZSWARM_TASK_BIN")


@pytest.fixture
def chan_swarm(make_swarm):
    swarm = make_swarm(swarm_yaml("chan", [SH, PY], hb=HB_MS))
    swarm.wait_agents(2)
    return swarm


def lines(done):
    assert done["state"] == "completed", f"{done!r}"
    return done.get("stdout", b"").decode().splitlines()


def test_a_task_knows_itself_and_reports_progress(chan_swarm):
    sub = chan_swarm.subscribe()
    client = chan_swarm.client()
    script = ('echo "$ZSWARM_TASK $ZSWARM_ATTEMPT $ZSWARM_AGENT_ID $ZSWARM_TYPE '
              '$ZSWARM_TASK_FD"\n'
              '"$ZSWARM_TASK_BIN" progress 42 "half way"\n')
    done = client.run("sh", script, task="t-env")
    assert lines(done) == ["t-env 1 sh-1 sh 3"], f"{done!r}"
    event = sub.wait_for(lambda m: m["t"] == "task.progress" and m["task"] == "t-env",
                         10, "task.progress of t-env")
    assert event["pct"] == 42 and event["note"] == "half way", f"{event!r}"
    assert event["att"] == 1 and event["agent"] == "sh-1", f"{event!r}"


def test_shared_memory_through_the_agent(chan_swarm):
    client = chan_swarm.client()
    script = ('T="$ZSWARM_TASK_BIN"\n'
              '$T mem put notes/a "from a task" --tags x\n'
              '$T mem get notes/a; echo\n'
              '$T mem query notes/ --tags x\n'
              '$T mem get notes/none --json; echo "rc=$?"\n'
              '$T mem deposit sig --amount 5 --half-life 60000\n')
    done = client.run("sh", script)
    out = lines(done)
    assert out[:3] == ["1", "from a task", "notes/a"], f"{done!r}"
    refusal = json.loads(out[3])
    assert refusal["t"] == "error" and refusal["code"] == E_NO_KEY, f"{done!r}"
    assert out[4] == "rc=1" and out[5] == "5", f"{done!r}"
    assert b"refused (error 12)" in done.get("stderr", b""), f"{done!r}"
    # The entry is the agent's: the coordinator saw the agent ask
    entry = client.ok("mem.get", key="notes/a")
    assert entry["value"] == b"from a task" and entry["agent"] == "sh-1", f"{entry!r}"


def test_zswarm_task_outside_a_task_says_so():
    import subprocess
    env = {k: v for k, v in os.environ.items() if k != "ZSWARM_TASK_FD"}
    proc = subprocess.run([task_bin(), "progress", "5"], capture_output=True, text=True,
                          env=env, timeout=10)
    assert proc.returncode == 1 and "not inside a zswarm exec task" in proc.stderr, (
        f"{proc!r}")
    proc = subprocess.run([task_bin(), "progress", "500"], capture_output=True,
                          text=True, env=env, timeout=10)
    assert proc.returncode == 2 and "0..100" in proc.stderr, f"{proc!r}"
    proc = subprocess.run([task_bin(), "frobnicate"], capture_output=True, text=True,
                          env=env, timeout=10)
    assert proc.returncode == 2 and "unknown command" in proc.stderr, f"{proc!r}"


def test_a_task_cannot_speak_for_another(chan_swarm):
    sub = chan_swarm.subscribe()
    client = chan_swarm.client()
    script = PY_CHANNEL + """
send({"v": 1, "t": "task.progress", "task": "someone-else", "att": 9, "pct": 7})
send({"v": 1, "t": "mem.get", "rid": 5, "key": "k", "task": "someone-else"})
show(recv())
send({"v": 1, "t": "status", "rid": 6})
show(recv())
os.write(fd, struct.pack(">I", 1) + b"\\xc1")
show(recv())
send({"v": 1, "t": "mem.get", "rid": 8, "key": "k"})
show(recv())
"""
    done = client.run("py", script, task="t-self")
    replies = [json.loads(line) for line in lines(done)]
    assert [(r["t"], r.get("code"), r.get("rid")) for r in replies] == [
        ("error", E_MALFORMED, 5), ("error", E_UNKNOWN_TYPE, 6), ("error", E_MALFORMED, None),
        ("error", E_NO_KEY, 8)], f"{replies!r}"
    event = sub.wait_for(lambda m: m["t"] == "task.progress" and m.get("pct") == 7, 10,
                         "the task's progress")
    assert event["task"] == "t-self" and event["att"] == 1, (
        f"the agent must fill in the task's own id and attempt: {event!r}")


@pytest.mark.parametrize("junk", [b"\xff\xff\xff\xffgarbage", b"\x00\x40\x00\x01" + b"x" * 64,
                                  b"\x00\x00\x00\x00"])
def test_a_broken_stream_closes_that_channel_only(chan_swarm, junk):
    client = chan_swarm.client()
    script = PY_CHANNEL + f"""
os.write(fd, {junk!r})
print("closed" if recv() is None else "open", flush=True)
"""
    done = client.run("py", script)
    assert lines(done) == ["closed"], f"{done!r}"
    again = client.run("sh", '"$ZSWARM_TASK_BIN" mem query; echo ok')
    assert lines(again)[-1:] == ["ok"], f"the agents go on: {again!r}"
    wait_until(lambda: "channel closed: broken stream" in open(chan_swarm.log_path).read(),
               10, "the agent to log why it closed the channel")


def test_a_request_after_the_attempt_ended_gets_nothing(chan_swarm, workdir):
    sub = chan_swarm.subscribe()
    client = chan_swarm.client()
    gate, rc, err, out = (os.path.join(workdir, name) for name in ("gate", "rc", "err", "out"))
    # A process that left the task's group outlives it, and writes when it has ended;
    # the task ends only once it is out, or the end of the group would kill it
    script = (f"setsid sh -c 'touch {out}; until [ -e {gate} ]; do sleep 0.01; done; "
              f"\"$ZSWARM_TASK_BIN\" progress 99 late 2> {err}; echo $? > {rc}' "
              "</dev/null >/dev/null 2>&1 &\n"
              f"until [ -e {out} ]; do sleep 0.01; done\n"
              "echo started\n")
    done = client.run("sh", script, task="t-late")
    assert lines(done) == ["started"], f"{done!r}"
    open(gate, "w").close()
    wait_until(lambda: os.path.exists(rc) and open(rc).read().strip(), 10,
               "the leftover process to try")
    assert open(rc).read().strip() == "1", open(err).read()
    assert "channel is closed" in open(err).read(), open(err).read()
    # Anything the agent had forwarded would come before this task's progress
    client.run("sh", '"$ZSWARM_TASK_BIN" progress 13', task="t-marker")
    sub.wait_for(lambda m: m["t"] == "task.progress" and m["task"] == "t-marker", 10,
                 "the marker's progress")
    late = [m for m in sub.seen if m["t"] == "task.progress" and m["task"] == "t-late"]
    assert late == [], f"a request after the attempt ended was forwarded: {late!r}"


def mesh_yaml():
    text = swarm_yaml("mesh", [
        "{type: a, count: 1, handler: exec, command: [/bin/sh], concurrency: 2}",
        "{type: b, count: 1, handler: exec, command: [/bin/sh]}"], hb=HB_MS)
    return text + "topology: mesh\n"


def test_messages_reach_a_task_through_the_inbox(make_swarm):
    swarm = make_swarm(mesh_yaml())
    swarm.wait_agents(2)
    sub = swarm.subscribe()
    client = swarm.client()
    empty = client.run("a", '"$ZSWARM_TASK_BIN" inbox; echo "rc=$?"')
    assert lines(empty) == ["rc=1"], f"{empty!r}"
    rid = client.send("submit", ttype="a", task="t-recv", wait=True, payload=(
        b'T="$ZSWARM_TASK_BIN"; $T inbox --wait; echo; $T inbox --wait --json'))
    assert client.reply(rid)["t"] == "submit.ok"
    sub.wait_for(lambda m: m["t"] == "task.running" and m["task"] == "t-recv", 10,
                 "t-recv to run")
    sent = client.run("b", '"$ZSWARM_TASK_BIN" send a-1 hello-from-b && '
                           'echo shared | "$ZSWARM_TASK_BIN" share -')
    assert sent["state"] == "completed", f"{sent!r}"
    done = client.reply(rid)
    out = lines(done)
    assert out[0] == "hello-from-b", f"{done!r}"
    second = json.loads(out[1])
    assert second["t"] == "inbox.ok" and second["agent"] == "b-1", f"{done!r}"
    assert second["payload"] == "shared\n", f"{done!r}"


def test_a_broadcast_reaches_a_task_through_the_inbox(make_swarm):
    swarm = make_swarm(mesh_yaml())
    swarm.wait_agents(2)
    agents_subscribed(swarm, swarm.log_path, ["a-1"])
    sub = swarm.subscribe()
    client = swarm.client()
    rid = client.send("submit", ttype="a", task="t-bcast", wait=True,
                      payload=b'"$ZSWARM_TASK_BIN" inbox --wait --json')
    assert client.reply(rid)["t"] == "submit.ok"
    sub.wait_for(lambda m: m["t"] == "task.running" and m["task"] == "t-bcast", 10,
                 "t-bcast to run")
    swarm.control.ok("broadcast", payload=b"to everyone", atype="a")
    done = client.reply(rid)
    got = json.loads(lines(done)[0])
    assert got["t"] == "inbox.ok" and got["broadcast"] is True, f"{done!r}"
    assert got["payload"] == "to everyone" and "agent" not in got, f"{done!r}"


def test_a_task_proposes_a_vote(make_swarm):
    swarm = make_swarm(swarm_yaml("vote", [SH, "{type: v, count: 3, vote: approve}"],
                                  hb=HB_MS))
    swarm.wait_agents(4)
    client = swarm.client()
    script = ('T="$ZSWARM_TASK_BIN"\n'
              '$T vote propose "ship it?" approve reject --voters v --id v1\n'
              'until $T vote status v1 | grep -q decided; do sleep 0.01; done\n'
              '$T vote status v1 | head -1\n'
              '$T vote cast v1 approve; echo "rc=$?"\n')
    done = client.run("sh", script)
    assert lines(done) == ["v1", "decided approve", "rc=1"], f"{done!r}"
    assert b"refused (error" in done.get("stderr", b""), f"{done!r}"


# --- checkpoints, inputs and subtasks (with the coordinator of branch coord) ------------

def test_the_next_attempt_finds_the_checkpoint(make_swarm, workdir):
    swarm = make_swarm(swarm_yaml("ckpt", [SH], hb=HB_MS))
    swarm.wait_agents(1)
    client = swarm.client()
    saved, gate = os.path.join(workdir, "saved"), os.path.join(workdir, "gate")
    script = ('T="$ZSWARM_TASK_BIN"\n'
              'if [ -n "$ZSWARM_CHECKPOINT" ]; then\n'
              '  echo "attempt $ZSWARM_ATTEMPT resumes"; $T checkpoint load\n'
              '  echo "$ZSWARM_CHECKPOINT"; exit 0\n'
              'fi\n'
              '$T checkpoint load || echo "attempt $ZSWARM_ATTEMPT starts afresh"\n'
              'echo "step 1 of 3" | $T checkpoint save - --json\n'
              f'touch {saved}\n'
              f'until [ -e {gate} ]; do sleep 0.01; done\n')
    rid = client.send("submit", ttype="sh", task="t-ckpt", payload=script.encode(),
                      wait=True, tries=3)
    assert client.reply(rid)["t"] == "submit.ok"
    try:
        wait_until(lambda: os.path.exists(saved), 10, "the first attempt to checkpoint")
        view = client.ok("task", task="t-ckpt")
        assert view.get("ckpt_bytes") == len(b"step 1 of 3\n"), f"{view!r}"
        agent = next(a for a in swarm.agents() if a["agent"] == "sh-1")
        os.kill(agent["pid"], signal.SIGKILL)
        done = client.reply(rid, 20)
    finally:
        open(gate, "w").close()  # the first attempt's orphan ends too
    out = lines(done)
    assert done["att"] == 2 and out[:2] == ["attempt 2 resumes", "step 1 of 3"], f"{done!r}"
    wait_until(lambda: not os.path.exists(out[2]), 10, "the checkpoint's file to go")
    assert not os.path.exists(os.path.dirname(out[2])), "the attempt's directory stays"


def test_a_renewed_session_stops_a_task_that_waits_for_its_subtask(make_swarm, workdir,
                                                                   start_agent):
    """A parent waiting for its child lends its slot, so its agent does not count it as
    running; when a remote agent's session is renewed (zswarmd killed and started again)
    the old attempt must still be stopped: zswarmd dropped its wait with the session.
    (A local agent dies with its zswarmd, and its tasks with it.)"""
    remote_sh = "{type: sh, count: 0, handler: exec, command: [/bin/sh], concurrency: 1}"
    swarm = make_swarm(swarm_yaml("renew", [remote_sh, "{type: nobody, count: 0}"],
                                  hb=HB_MS, bind=fixed_bind()))
    start_agent(swarm.agents_ep, "sh", agent_id="far-1")
    swarm.wait_agents(1)
    pidfile = os.path.join(workdir, "parent.pid")
    script = (f'[ -e {pidfile} ] && exit 0; echo $$ > {pidfile}\n'
              '"$ZSWARM_TASK_BIN" submit nobody x --id kid --wait\n')
    swarm.control.submit("sh", script.encode(), task="t-parent")
    # its wait is in when zswarmd no longer counts it in far-1's load
    wait_until(lambda: os.path.exists(pidfile) and
               swarm.control.request("task", task="kid")["t"] == "task.ok" and
               not swarm.agents()[0].get("load"), 10, "the parent to wait")
    with open(pidfile) as f:
        pid = int(f.read())
    swarm.kill()
    swarm.restart()
    swarm.wait_agents(1)
    wait_until(lambda: not os.path.exists(f"/proc/{pid}"), 10,
               "the old attempt to be stopped")


def test_a_task_reads_its_inputs_as_files(chan_swarm):
    client = chan_swarm.client()
    for task, text in (("in-a", "alpha"), ("in-b", "beta")):
        client.submit("sh", f"printf {text}; exit 0", task=task)
    script = ('cat; echo\n'
              'cat "$ZSWARM_INPUTS/index.json"; echo\n'
              'cat "$ZSWARM_INPUTS/input-1" "$ZSWARM_INPUTS/input-2"; echo\n'
              'echo "$ZSWARM_INPUTS"; stat -c %a "$ZSWARM_INPUTS"\n'
              # what the task adds goes with the directory, subdirectories too
              'mkdir -p "$ZSWARM_INPUTS/work/deep" && touch "$ZSWARM_INPUTS/work/deep/f"\n'
              'ln -s / "$ZSWARM_INPUTS/root"\n')
    # stdin stays the payload: the script is the payload, so sh reads it; cat gets nothing
    done = client.run("sh", script, inputs=["in-a", "in-b"])
    out = lines(done)
    index = json.loads(out[1])
    assert index == [
        {"task": "in-a", "status": "completed", "exit": 0, "file": "input-1"},
        {"task": "in-b", "status": "completed", "exit": 0, "file": "input-2"}], f"{done!r}"
    assert out[2] == "alphabeta" and out[4] == "700", f"{done!r}"
    wait_until(lambda: not os.path.exists(out[3]), 10, "the inputs' directory to go")
    plain = client.run("sh", 'echo "inputs=$ZSWARM_INPUTS ckpt=$ZSWARM_CHECKPOINT"')
    assert lines(plain) == ["inputs= ckpt="], f"{plain!r}"


def subtask_yaml(**tasks):
    rec = ('n=$(cat); echo "depth $n"; '
           '"$ZSWARM_TASK_BIN" submit rec $((n+1)) --wait 2>&1; echo "rc=$?"')
    fan = ('for i in 1 2 3; do "$ZSWARM_TASK_BIN" submit sh "echo $i" 2>&1; done; '
           '"$ZSWARM_TASK_BIN" task')
    return swarm_yaml("sub", [
        "{type: sh, count: 1, handler: exec, command: [/bin/sh], concurrency: 1}",
        "{type: rec, count: 1, handler: exec, concurrency: 1, command: "
        + yaml_flow(["/bin/sh", "-c", rec]) + "}",
        "{type: fan, count: 1, handler: exec, concurrency: 1, command: "
        + yaml_flow(["/bin/sh", "-c", fan]) + "}"], hb=HB_MS, tasks=tasks)


def test_a_task_waits_for_its_children_on_its_own_slot(make_swarm):
    swarm = make_swarm(subtask_yaml())
    swarm.wait_agents(3)
    client = swarm.client()
    script = ('T="$ZSWARM_TASK_BIN"\n'
              '$T submit sh "echo one" --wait\n'
              'a=$($T submit sh "echo two"); b=$($T submit sh "echo three")\n'
              '$T wait "$a"; $T wait "$b"\n')
    done = client.run("sh", script, task="t-parent", seconds=30)
    assert lines(done) == ["one", "two", "three"], f"{done!r}"
    view = client.ok("task", task="t-parent")
    assert len(view.get("children", [])) == 3, f"{view!r}"
    child = client.ok("task", task=view["children"][0])
    assert child.get("parent") == "t-parent" and child["state"] == "completed", (
        f"{child!r}")


def test_subtasks_stop_at_the_depth_and_children_limits(make_swarm):
    swarm = make_swarm(subtask_yaml(max_depth=2, max_children=2))
    swarm.wait_agents(3)
    client = swarm.client()
    done = client.run("rec", "0", seconds=30)
    out = lines(done)
    assert out[:3] == ["depth 0", "depth 1", "depth 2"], f"{done!r}"
    assert f"refused (error {E_LIMIT})" in out[3], f"{done!r}"
    assert out[4:] == ["rc=1", "rc=0", "rc=0"], f"{done!r}"
    fan = client.run("fan", None, seconds=30)
    out = lines(fan)
    assert f"refused (error {E_LIMIT})" in out[2], f"{fan!r}"
    assert len(out) >= 4 and out[3] == "running", f"{fan!r}"
