# Durability: with a journal, a zswarmd killed with SIGKILL and started again with the
# same file (same ports, same journal) runs every accepted task that had not finished,
# keeps the results of finished ones, shrugs off a torn journal tail, answers a
# resubmitted id with dup: true, and still evicts results by count and by age. Damage
# that valid records follow stops zswarmd until it is started with --recover, which
# loses nothing but the damaged bytes; a journal of the headerless format of earlier
# versions is migrated; compaction follows the live records across restarts, and a
# zswarmd killed while it compacts loses nothing.
#
# Each restart test binds fixed free ports (fixed_bind), so that clients and agents find
# the new zswarmd where the old one was. Journal files are read and written here from
# the format as coordinator/zs_journal_format.h documents it.

import glob
import os
import signal
import struct
import subprocess

import msgpack
import pytest

import conftest
from conftest import (E_NO_TASK, FINAL_STATES, SLOW, binary, echo_type, figure,
                      fixed_bind, gated_type, is_alive, journal_conf, open_gate, swarm_yaml,
                      wait_until, wall_ms)

POLICIES = ["always", "batch", "none"]
# Fields of a wait.ok that only describe the request, not the task
REQUEST_KEYS = {"v", "t", "rid"}


def durable_swarm(make_swarm, workdir, agents, name="durable", fsync="batch", tasks=None):
    text = swarm_yaml(name, agents, tasks=tasks, bind=fixed_bind(),
                      journal=journal_conf(workdir, name, fsync))
    swarm = make_swarm(text, name=name)
    swarm.journal = journal_conf(workdir, name, fsync)["path"]
    return swarm


def task_view(msg):
    """What a wait.ok or task.ok says about the task, without the request's fields."""
    return {k: v for k, v in msg.items() if k not in REQUEST_KEYS}


def assert_ended(msg, since_ms, until_ms):
    ended = msg.get("ended")
    assert isinstance(ended, int) and since_ms - 1000 <= ended <= until_ms + 1000, (
        f"'ended' should be the end time in ms since the epoch, within "
        f"[{since_ms}, {until_ms}]: {msg!r}")


def run_finished(client):
    """Tasks that reach each final state; returns {id: wait.ok}."""
    done = {}
    for i in range(3):
        done[f"done-{i}"] = client.run("echo", f"kept result {i}", task=f"done-{i}")
        assert done[f"done-{i}"]["state"] == "completed", f"{done[f'done-{i}']!r}"
    done["done-dead"] = client.run("fail", "on purpose", task="done-dead", tries=1)
    assert done["done-dead"]["state"] == "dead", f"{done['done-dead']!r}"
    rid = client.send("submit", ttype="nobody", task="done-cancelled", wait=True)
    assert client.reply(rid)["t"] == "submit.ok"
    client.ok("cancel", task="done-cancelled")
    done["done-cancelled"] = client.reply(rid)
    assert done["done-cancelled"]["state"] == "cancelled", f"{done['done-cancelled']!r}"
    return done


@pytest.mark.parametrize("fsync", POLICIES)
def test_sigkill_keeps_results_and_reruns_unfinished(make_swarm, workdir, fsync):
    """Normal use of a journal: finished tasks answer after a crash with the same record,
    and tasks accepted but not finished (one running, the others queued behind it) run
    again."""
    swarm = durable_swarm(make_swarm, workdir, [echo_type(count=1, concurrency=1),
                                                gated_type("gated")], fsync=fsync)
    swarm.wait_agents(2)
    client = swarm.client()
    t0 = wall_ms()
    finished = run_finished(client)
    t1 = wall_ms()
    for msg in finished.values():
        assert_ended(msg, t0, t1)
    # None of them can end before the gate opens, after the restart
    gate = os.path.join(workdir, "gate").encode()
    queued = [f"queued-{i}" for i in range(4)]
    for task in queued:
        ack = client.submit("gated", gate, task=task)
        assert not ack.get("dup"), f"{ack!r}"
    for task in queued:
        record = client.ok("task", task=task)
        assert record["state"] not in FINAL_STATES and not record.get("ended"), (
            f"an unfinished task has ended: {record!r}")

    killed_ms = wall_ms()
    swarm.kill()
    swarm.restart()
    client = swarm.client()

    for task, before in finished.items():
        after = client.wait(task)
        assert task_view(after) == task_view(before), (
            f"{task}: wait.ok after the restart differs from before:\n"
            f"before {before!r}\nafter  {after!r}")
        record = client.ok("task", task=task)
        assert task_view(record) == task_view(before), (
            f"{task}: task.ok after the restart differs from the wait.ok before:\n"
            f"before {before!r}\nafter  {record!r}")
    open_gate(gate)
    for task in queued:
        done = client.wait(task, seconds=20)
        assert done["state"] == "completed" and done.get("status") == "ok", (
            f"{task}, accepted before the crash, did not complete after it: {done!r}")
        assert_ended(done, killed_ms, wall_ms())
    assert swarm.alive(), f"zswarmd died:\n{swarm.log_tail()}"


def torn_tail(path, how):
    with open(path, "r+b") as f:
        size = f.seek(0, os.SEEK_END)
        assert size > 16, f"journal {path} holds only {size} bytes after 5 tasks"
        if how == "garbage":
            # a record header that promises 200 bytes, then only a few of them: a
            # crash in the middle of a write, then plain junk
            f.write(struct.pack("<II", 200, 0x12345678) + b"half a record")
            f.write(os.urandom(57))
        elif how == "zeros":
            f.write(bytes(4096))  # a file extended by the crash, its data never written
        else:
            f.truncate(size - 3)  # the last record cut short


@pytest.mark.parametrize("how", ["garbage", "zeros", "truncate"])
def test_torn_journal_tail_is_skipped(make_swarm, workdir, how):
    swarm = durable_swarm(make_swarm, workdir, [echo_type(count=1)])
    swarm.wait_agents(1)
    client = swarm.client()
    before = {f"torn-{i}": client.run("echo", f"torn {i}", task=f"torn-{i}")
              for i in range(5)}
    swarm.kill()
    torn_tail(swarm.journal, how)

    swarm.restart()  # fails the test if zswarmd exits instead of printing ready
    client = swarm.client()
    for task, msg in before.items():
        after = client.wait(task)
        # "truncate" cut the last task's final record: it may have run again
        assert after["state"] == "completed" and after["stdout"] == msg["stdout"], (
            f"{task} after a restart on a journal with a {how} tail: {after!r}")
    assert client.run("echo", "after the tear", task="after-tear")["stdout"] == (
        b"after the tear")

    # What was written after the torn tail must be readable by the next start: a
    # coordinator that appended after the junk, without cutting it off, would lose it
    swarm.kill()
    swarm.restart()
    client = swarm.client()
    again = client.wait("after-tear")
    assert again["state"] == "completed" and again["stdout"] == b"after the tear", (
        f"a task finished after the {how} tail was repaired is lost: {again!r}")
    for task, msg in before.items():
        assert client.wait(task)["stdout"] == msg["stdout"], f"{task} lost"


def test_resubmit_is_a_duplicate_across_restart(make_swarm, workdir):
    swarm = durable_swarm(make_swarm, workdir, [echo_type(count=1)])
    swarm.wait_agents(1)
    client = swarm.client()
    first = client.submit("echo", "first", task="idem-1")
    assert not first.get("dup"), f"{first!r}"
    done = client.wait("idem-1")
    assert client.submit("echo", "second", task="idem-1").get("dup") is True
    queued = client.submit("nobody", "never runs", task="idem-2")
    assert not queued.get("dup"), f"{queued!r}"
    assert client.submit("nobody", "again", task="idem-2").get("dup") is True
    status = swarm.status()
    assert status.get("n_submitted") == 2, f"a duplicate made a task: {status!r}"

    swarm.kill()
    swarm.restart()
    client = swarm.client()
    rid = client.send("submit", ttype="echo", payload=b"third", task="idem-1", wait=True)
    ack = client.reply(rid)
    assert ack["t"] == "submit.ok" and ack.get("dup") is True, (
        f"resubmitting a finished id after a restart should say dup: true: {ack!r}")
    again = client.reply(rid)
    assert again["t"] == "wait.ok" and task_view(again) == task_view(done), (
        f"the duplicate's wait.ok should be the first task's result:\n"
        f"before {done!r}\nafter  {again!r}")
    ack = client.submit("nobody", "after restart", task="idem-2")
    assert ack.get("dup") is True, f"resubmitting a queued id after a restart: {ack!r}"
    record = client.ok("task", task="idem-2")
    assert record["state"] == "ready" and record["ttype"] == "nobody", f"{record!r}"
    assert client.ok("cancel", task="idem-2")["state"] == "cancelled"


def test_keep_results_by_count_across_restart(make_swarm, workdir):
    swarm = durable_swarm(make_swarm, workdir, [echo_type(count=1)],
                          tasks={"keep_results": 3})
    swarm.wait_agents(1)
    client = swarm.client()
    results = {f"keep-{i}": client.run("echo", f"keep {i}", task=f"keep-{i}")
               for i in range(5)}

    def check(client, when):
        for task in ("keep-0", "keep-1"):
            client.error("wait", E_NO_TASK, task=task)
            client.error("task", E_NO_TASK, task=task)
        for task in ("keep-2", "keep-3", "keep-4"):
            msg = client.wait(task)
            assert msg["stdout"] == results[task]["stdout"], f"{when}: {msg!r}"
    check(client, "before the restart")
    swarm.kill()
    swarm.restart()
    check(swarm.client(), "after the restart")


def test_keep_results_by_age(make_swarm):
    swarm = make_swarm(swarm_yaml("aged", [echo_type(count=1)],
                                  tasks={"keep_results_s": 1}))
    client = swarm.client()
    done = client.run("echo", "short-lived", task="aged-1")
    assert client.wait("aged-1")["stdout"] == b"short-lived"
    ended = done.get("ended")
    assert isinstance(ended, int) and ended > 0, f"wait.ok without 'ended': {done!r}"

    def evicted():
        msg = client.request("task", task="aged-1")
        if msg["t"] == "error":
            assert msg["code"] == E_NO_TASK, f"{msg!r}"
            return wall_ms()
        assert msg["t"] == "task.ok", f"{msg!r}"
        return None
    gone_at = wait_until(evicted, 10, "the result of aged-1 to be evicted", interval=0.05)
    # Not a timing assertion: a result must never be dropped before its age is reached
    assert gone_at >= ended + 1000 - 50, (
        f"aged-1 ended at {ended} and was gone at {gone_at}, before keep_results_s: 1")
    client.error("wait", E_NO_TASK, task="aged-1")


def test_journal_is_compacted(make_swarm, workdir):
    """12 tasks of 1 MiB write 12 MiB of journal; with 2 results kept, the live state is
    a few hundred bytes, so zswarmd rewrites the journal and the file shrinks."""
    swarm = durable_swarm(make_swarm, workdir, [echo_type(count=1)],
                          tasks={"keep_results": 2})
    swarm.wait_agents(1)
    client = swarm.client()
    payload = os.urandom(1 << 20)
    largest = 0
    for i in range(12):
        done = client.run("noop", payload, task=f"big-{i}")
        assert done["state"] == "completed", f"{done!r}"
        largest = max(largest, os.path.getsize(swarm.journal))
    # Without compaction the file holds 12 MiB now; a compaction at 8 MiB or more (the
    # coordinator's threshold) leaves at most the 4 MiB written after it, plus one task
    wait_until(lambda: os.path.getsize(swarm.journal) < (6 << 20), 10,
               f"the journal (largest {largest} bytes) to shrink below 6 MiB")

    swarm.kill()
    swarm.restart()
    client = swarm.client()
    for i in (10, 11):
        assert client.wait(f"big-{i}")["state"] == "completed", f"big-{i} lost"
    client.error("wait", E_NO_TASK, task="big-9")
    assert client.run("echo", "compacted", task="after")["stdout"] == b"compacted"


def test_without_journal_nothing_survives(make_swarm):
    swarm = make_swarm(swarm_yaml("volatile", [echo_type(count=1)], bind=fixed_bind()))
    client = swarm.client()
    client.run("echo", "gone", task="volatile-1")
    swarm.kill()
    swarm.restart()
    swarm.client().error("wait", E_NO_TASK, task="volatile-1")


def test_local_agents_exit_when_coordinator_is_killed(make_swarm, workdir):
    swarm = durable_swarm(make_swarm, workdir, [echo_type(count=2)])
    swarm.wait_agents(2)
    agents = swarm.kill()
    assert len(agents) == 2, f"zswarmd had {agents} as children, expected 2 agents"
    wait_until(lambda: not [a for a in agents if is_alive(*a)], 10,
               f"the agents {agents} of the killed zswarmd to exit by themselves")

    swarm.restart()
    records = swarm.wait_agents(2)
    old = {pid for pid, _ in agents}
    assert not old & {r["pid"] for r in records}, f"old agents registered: {records!r}"
    assert {pid for pid, _ in swarm.children()} >= {r["pid"] for r in records}, (
        f"the new agents are not children of the new zswarmd: {records!r}")


# ---------------------------------------------------------------------------------------
# The journal's bytes: format 1 (header, tagged records) and the headerless format 0

MAGIC = b"ZSJL"
FILE_HEADER = 16  # magic, version, tag, CRC
FRAME = 12  # tag, size, CRC before each body
MIB = 1 << 20


def _crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


CRC32C_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for byte in data:
        crc = CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def read_journal(path):
    """[(offset, body)] of a whole, undamaged format-1 journal."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == MAGIC, f"{path} does not start with a format-1 header: {data[:16]!r}"
    tag = struct.unpack_from("<I", data, 8)[0]
    records, at = [], FILE_HEADER
    while at < len(data):
        rtag, size, crc = struct.unpack_from("<III", data, at)
        body = data[at + FRAME:at + FRAME + size]
        assert rtag == tag and len(body) == size and crc == crc32c(body, crc32c(
            data[at:at + 8])), f"{path}: no valid record at offset {at}"
        records.append((at, body))
        at += FRAME + size
    return records


def file_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def damaged_files(path):
    return sorted(glob.glob(glob.escape(path) + ".damaged-*"))


def start_with(swarm, monkeypatch, *flags):
    """swarm.restart() with command-line flags before the swarm file."""
    spawn = conftest.spawn
    monkeypatch.setattr(conftest, "spawn",
                        lambda argv, **kwargs: spawn(argv[:1] + list(flags) + argv[1:],
                                                     **kwargs))
    try:
        swarm.restart()
    finally:
        monkeypatch.setattr(conftest, "spawn", spawn)


def submit_queued(client, count, prefix, payload=b"queued"):
    """Submit count tasks of a type no agent has, pipelined; they stay ready."""
    rids = [client.send("submit", ttype="nobody", payload=payload, task=f"{prefix}-{i}")
            for i in range(count)]
    for rid in rids:
        ack = client.reply(rid)
        assert ack["t"] == "submit.ok" and not ack.get("dup"), f"{ack!r}"
    return [f"{prefix}-{i}" for i in range(count)]


def test_damage_is_refused_then_recovered(make_swarm, workdir, monkeypatch):
    """Issue 12: one flipped byte in record 2 of thousands. zswarmd refuses to start
    (exit 1, the file untouched, the damage and --recover named); with --recover every
    other task comes back and the damaged file is kept."""
    swarm = durable_swarm(make_swarm, workdir, [echo_type(count=1)])
    swarm.wait_agents(1)
    client = swarm.client()
    queued = submit_queued(client, 2150, "queued")
    done = {f"done-{i}": client.run("echo", f"done {i}", task=f"done-{i}")
            for i in range(6)}
    swarm.kill()

    records = read_journal(swarm.journal)
    assert len(records) > 2150, f"only {len(records)} records for 2156 tasks"
    offset, body = records[1]
    lost_task = msgpack.unpackb(body, raw=False)["task"]  # queued-1's submit
    length = records[2][0] - offset
    with open(swarm.journal, "r+b") as f:
        f.seek(offset + FRAME + len(body) // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0x40]))
    damaged = file_bytes(swarm.journal)

    refused = subprocess.run([binary("ZSWARMD"), swarm.path], capture_output=True,
                             text=True, stdin=subprocess.DEVNULL, timeout=30 * SLOW)
    assert refused.returncode == 1, (
        f"zswarmd on a damaged journal exited {refused.returncode}, expected 1:\n"
        f"{refused.stderr}")
    assert (f"{length} bytes at offset {offset}" in refused.stderr
            and "--recover" in refused.stderr), (
        f"zswarmd should name the damaged range and --recover:\n{refused.stderr}")
    assert file_bytes(swarm.journal) == damaged, "zswarmd changed the damaged journal"
    assert not damaged_files(swarm.journal), "zswarmd kept a copy without --recover"

    start_with(swarm, monkeypatch, "--recover")
    client = swarm.client()
    for task, before in done.items():
        if task != lost_task:
            assert client.wait(task)["stdout"] == before["stdout"], f"{task} lost"
    missing = [t for t in queued
               if t != lost_task and client.ok("task", task=t)["state"] != "ready"]
    assert not missing, f"{len(missing)} tasks lost besides {lost_task}: {missing[:5]}"
    client.error("task", E_NO_TASK, task=lost_task)
    kept = damaged_files(swarm.journal)
    assert len(kept) == 1 and file_bytes(kept[0]) == damaged, (
        f"the damaged journal should be kept as it was beside {swarm.journal}: {kept}")
    wait_until(lambda: f"lost {length} damaged bytes at offset {offset}" in
               swarm.log_tail(200), 10, "the lost range in zswarmd's log")

    # The recovered journal is a journal like any other
    swarm.kill()
    swarm.restart()
    client = swarm.client()
    assert client.ok("task", task=queued[-1])["state"] == "ready"
    assert client.wait("done-5")["stdout"] == b"done 5"


def test_headerless_journal_is_migrated(make_swarm, workdir):
    """A journal written before the file header (format 0: [size][CRC][body]) keeps
    every task and result, and is rewritten in the current format."""
    swarm = durable_swarm(make_swarm, workdir, [echo_type(count=1)])
    swarm.wait_agents(1)
    client = swarm.client()
    done = {f"old-{i}": client.run("echo", f"old {i}", task=f"old-{i}") for i in range(5)}
    queued = submit_queued(client, 20, "old-queued")
    swarm.kill()
    records = read_journal(swarm.journal)
    with open(swarm.journal, "wb") as f:
        for _, body in records:
            f.write(struct.pack("<II", len(body), crc32c(body)) + body)

    swarm.restart()
    client = swarm.client()
    for task, before in done.items():
        assert task_view(client.wait(task)) == task_view(before), f"{task} changed"
    for task in queued:
        assert client.ok("task", task=task)["state"] == "ready", f"{task} lost"
    assert [body for _, body in read_journal(swarm.journal)[:len(records)]] == [
        body for _, body in records], "the migrated journal lost or changed records"
    assert "from the headerless format" in swarm.log_tail(200), swarm.log_tail()


def big_swarm(workdir, name, bind, hb, keep=2):
    return swarm_yaml(name, [echo_type(count=1)], hb=hb, bind=bind,
                      tasks={"keep_results": keep}, journal=journal_conf(workdir, name))


def dead_journal(make_swarm, workdir, name, queued=0):
    """A journal of 10 MiB, nearly all of it dead (the submits of finished 1 MiB tasks,
    2 results kept), plus `queued` tasks still waiting with 10 KiB payloads. A heartbeat
    of 60 s keeps zswarmd from compacting it (compaction runs at heartbeat ticks).
    Returns the stopped swarm, its bind and the waiting tasks."""
    bind = fixed_bind()
    swarm = make_swarm(big_swarm(workdir, name, bind, hb=60000), name=name)
    swarm.journal = journal_conf(workdir, name)["path"]
    swarm.wait_agents(1)
    client = swarm.client()
    payload = os.urandom(MIB)
    for i in range(10):
        assert client.run("noop", payload, task=f"big-{i}")["state"] == "completed"
    waiting = submit_queued(client, queued, "waiting", payload=os.urandom(10 << 10))
    swarm.kill()
    size = os.path.getsize(swarm.journal)
    assert size >= 10 * MIB, f"the journal was compacted during setup: {size} bytes"
    return swarm, bind, waiting


def test_mostly_dead_journal_compacts_after_restart(make_swarm, workdir):
    """Issue 12: compaction followed the file size at start, so a journal mostly dead
    at a restart had to grow fourfold first, run after run. It follows the live size:
    the first heartbeat after a start compacts, and over several runs the file stays
    bounded."""
    swarm, bind, _ = dead_journal(make_swarm, workdir, "dead")
    with open(swarm.path, "w") as f:
        f.write(big_swarm(workdir, "dead", bind, hb=100))
    swarm.restart()
    wait_until(lambda: os.path.getsize(swarm.journal) < MIB, 10,
               "the mostly dead journal to be compacted after the restart")

    # Runs that each leave 7 MiB of dead records: never more than one compaction apart
    payload = os.urandom(MIB)
    for run in range(3):
        client = swarm.client()
        for i in range(7):
            assert client.run("noop", payload, task=f"run{run}-{i}")["state"] == (
                "completed")
        wait_until(lambda: os.path.getsize(swarm.journal) < 8 * MIB, 10,
                   f"the journal to stay below 8 MiB in run {run + 2}")
        swarm.stop()
        swarm.restart()
    client = swarm.client()
    for task in ("run2-5", "run2-6"):
        assert client.wait(task)["state"] == "completed", f"{task} lost"
    client.error("wait", E_NO_TASK, task="run2-4")


@pytest.mark.parametrize("when", ["writing", "renamed"])
def test_sigkill_during_compaction_loses_nothing(make_swarm, workdir, when):
    """zswarmd killed while it compacts at start (PATH.tmp being written) or just after
    the rename: every acknowledged task and every kept result is there after the next
    start."""
    swarm, bind, waiting = dead_journal(make_swarm, workdir, "crash", queued=200)
    with open(swarm.path, "w") as f:
        f.write(big_swarm(workdir, "crash", bind, hb=100))
    tmp = swarm.journal + ".tmp"
    before = os.path.getsize(swarm.journal)
    swarm.restart()
    if when == "writing":
        caught = wait_until(lambda: ("tmp" if os.path.exists(tmp) else None) or (
            "after" if os.path.getsize(swarm.journal) < before else None), 10,
            "the compaction to begin", interval=0.0005)
    else:
        caught = wait_until(lambda: os.path.getsize(swarm.journal) < before and "after",
                            10, "the compaction to end", interval=0.0005)
    os.kill(swarm.pid, signal.SIGKILL)
    swarm.kill()
    figure(f"SIGKILL {when}: zswarmd killed with the compaction "
           f"{'under way' if caught == 'tmp' else 'done'}")

    # No compaction this time, so that what is checked is what the crash left
    with open(swarm.path, "w") as f:
        f.write(big_swarm(workdir, "crash", bind, hb=60000))
    swarm.restart()
    client = swarm.client()
    assert not os.path.exists(tmp), f"{tmp} left behind after a restart"
    missing = [t for t in waiting if client.ok("task", task=t)["state"] != "ready"]
    assert not missing, f"{len(missing)} acknowledged tasks lost: {missing[:5]}"
    for task in ("big-8", "big-9"):
        assert client.wait(task)["state"] == "completed", f"{task} lost"
    client.error("wait", E_NO_TASK, task="big-7")
