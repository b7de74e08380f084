#!/usr/bin/python3
# zs_failover: how fast zswarm fails over, and what its journal costs.
#
#   (a) a local agent is SIGKILLed while it runs a task: time until the task's next
#       attempt is assigned to another agent (zswarmd sees the death by SIGCHLD);
#   (b) a remote agent is SIGKILLed while it runs a task: time until the coordinator,
#       after liveness x interval of silence, assigns the task elsewhere;
#   (c) throughput of noop tasks from a pipelined client, without a journal and with
#       one (fsync batch), and the journal's cost in per cent.
#
# It prints figures next to their targets and never fails on a timing (STYLE rule 39);
# it exits non-zero only when it cannot run (a process died, a reply never came).
# Binaries come from $ZSWARMD and $ZSWARM_AGENT, as meson's benchmark() passes them:
#   meson test -C BUILD --benchmark -v failover
#   ZSWARMD=BUILD/zswarmd ZSWARM_AGENT=BUILD/zswarm-agent bench/zs_failover.py --help

import argparse
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import msgpack
import zmq

VERSION = 1
HB_MS = 100
LIVENESS = 4
READY_RE = re.compile(r"^zswarmd ready agents=(\S+) events=(\S+) control=(\S+)$")
# Failover trials kill the same slots again and again: restart them quickly, and never
# give a type up for it
SUPERVISION = "supervision: {backoff_ms: [10, 100], max_restarts: 1000, within_s: 1}"


class BenchError(Exception):
    pass


def env_binary(name):
    path = os.environ.get(name)
    if not path or not os.access(path, os.X_OK):
        raise BenchError(f"${name} must name an executable (got {path!r})")
    return path


def pack(msg):
    return msgpack.packb(msg, use_bin_type=True)


def unpack(frame):
    return msgpack.unpackb(frame, raw=False)


def report_failure(program, exc, workdir):
    """Say why a benchmark cannot run, with the tail of every log it left in workdir."""
    print(f"{program}: {exc}", file=sys.stderr)
    for name in sorted(os.listdir(workdir)):
        if name.endswith(".stderr"):
            with open(os.path.join(workdir, name), errors="replace") as f:
                lines = f.readlines()[-10:]
            print(f"--- {name}\n{''.join(lines)}", file=sys.stderr)


def run_bench(program, body, ctx=None):
    """Run body(ctx, workdir) with a fresh temporary directory. Returns 0, or 1 after
    reporting a BenchError with the logs left in the directory; the context and the
    directory go either way."""
    ctx = ctx or zmq.Context()
    workdir = tempfile.mkdtemp(prefix=f"{program}-")
    try:
        body(ctx, workdir)
    except BenchError as exc:
        report_failure(program, exc, workdir)
        return 1
    finally:
        ctx.destroy(linger=0)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def stop_process(proc, seconds=20):
    """SIGTERM proc (by its Popen), wait for it, SIGKILL it after seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def poll_until(predicate, seconds, what, interval=0.01):
    until = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > until:
            raise BenchError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(interval)


class Control:
    """A DEALER on the control socket; replies matched by rid."""

    def __init__(self, ctx, endpoint):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.rid = 0
        self.pending = {}

    def send(self, t, **fields):
        self.rid += 1
        msg = {"v": VERSION, "t": t, "rid": self.rid}
        msg.update(fields)
        self.sock.send(pack(msg))
        return self.rid

    def reply(self, rid, seconds=10):
        until = time.monotonic() + seconds
        while rid not in self.pending:
            left = int((until - time.monotonic()) * 1000)
            if left <= 0 or not self.sock.poll(left, zmq.POLLIN):
                raise BenchError(f"no reply to request {rid} within {seconds} s")
            msg = unpack(self.sock.recv())
            self.pending[msg.get("rid")] = msg
        return self.pending.pop(rid)

    def ok(self, t, **fields):
        msg = self.reply(self.send(t, **fields))
        if msg["t"] != t + ".ok":
            raise BenchError(f"{t} {fields!r}: {msg!r}")
        return msg


class Events:
    """A SUB socket on the events endpoint, known to be subscribed (see subscribe())."""

    def __init__(self, ctx, endpoint):
        self.sock = ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVHWM, 0)
        self.sock.setsockopt(zmq.SUBSCRIBE, b"")
        self.sock.connect(endpoint)

    def wait(self, predicate, seconds, what):
        """The first new event for which predicate is true, and when it arrived."""
        until = time.monotonic() + seconds
        while True:
            left = int((until - time.monotonic()) * 1000)
            if left <= 0 or not self.sock.poll(left, zmq.POLLIN):
                raise BenchError(f"no event {what} within {seconds} s")
            _, frame = self.sock.recv_multipart()
            now = time.perf_counter()
            msg = unpack(frame)
            if predicate(msg):
                return msg, now


class Swarm:
    def __init__(self, ctx, workdir, name, agents, extra="", bind=None):
        """bind maps agents, events and control to endpoints; absent ones (and all,
        by default) bind tcp://127.0.0.1:*. Fixed ones let a swarm restart in place."""
        bind = dict({k: "tcp://127.0.0.1:*" for k in ("agents", "events", "control")},
                    **(bind or {}))
        self.ctx = ctx
        self.path = os.path.join(workdir, f"{name}.yaml")
        self.log = os.path.join(workdir, f"{name}.stderr")
        out = os.path.join(workdir, f"{name}.stdout")
        with open(self.path, "w") as f:
            f.write(f"name: {name}\n"
                    f"bind: {{agents: '{bind['agents']}', events: '{bind['events']}', "
                    f"control: '{bind['control']}'}}\n"
                    f"heartbeat: {{interval_ms: {HB_MS}, liveness: {LIVENESS}}}\n"
                    f"{extra}\n"
                    "agents:\n" + "".join(f"  - {a}\n" for a in agents))
        env = dict(os.environ, ZSWARM_AGENT=env_binary("ZSWARM_AGENT"))
        with open(out, "wb") as o, open(self.log, "wb") as e:
            self.proc = subprocess.Popen([env_binary("ZSWARMD"), self.path], stdout=o,
                                         stderr=e, stdin=subprocess.DEVNULL, env=env)

        def ready():
            if self.proc.poll() is not None:
                raise BenchError(f"zswarmd exited {self.proc.returncode}:\n{self.tail()}")
            with open(out) as f:
                line = f.readline()
            return READY_RE.match(line.strip()) if line.endswith("\n") else None
        try:
            match = poll_until(ready, 20, "zswarmd's ready line")
        except BenchError:
            self.stop()  # the caller has no Swarm to stop
            raise
        self.agents_ep, self.events_ep, control_ep = match.groups()
        self.control = Control(ctx, control_ep)

    def tail(self):
        with open(self.log, errors="replace") as f:
            return "".join(f.readlines()[-20:])

    def agents(self):
        return self.control.ok("agents")["agents"]

    def subscribe(self):
        """Events whose subscription is in effect: probe tasks of a type nobody runs are
        submitted until the subscriber sees one's task.ready, then cancelled."""
        events = Events(self.ctx, self.events_ep)
        tag = uuid.uuid4().hex[:8]
        probes = []
        until = time.monotonic() + 10
        while True:
            probes.append(f"probe-{tag}-{len(probes)}")
            self.control.ok("submit", ttype="zs-probe", task=probes[-1])
            try:
                events.wait(lambda m: m.get("task") in probes, 0.2, "probe")
                break
            except BenchError:
                if time.monotonic() > until:
                    raise
        for probe in probes:
            self.control.ok("cancel", task=probe)
        return events

    def stop(self):
        stop_process(self.proc)


def builtin_type(name, count, conc):
    return (f"{{type: {name}, count: {count}, handler: builtin, "
            f"capabilities: [noop, sleep, fail], concurrency: {conc}}}")


def summary(samples):
    ms = sorted(s * 1000 for s in samples)
    return (f"median {statistics.median(ms):.1f} ms (min {ms[0]:.1f}, max {ms[-1]:.1f}, "
            f"n={len(ms)})")


def failover_trial(swarm, events, task, kill):
    """Run a long task, kill the agent running it with kill(agent id), and return the
    seconds until an event shows its attempt 2 assigned (or running) elsewhere."""
    swarm.control.ok("submit", ttype="sleep", payload=b"600000", task=task, tries=5)
    running, _ = events.wait(lambda m: m["t"] == "task.running" and m["task"] == task, 10,
                             f"task.running of {task}")
    start = time.perf_counter()
    kill(running["agent"])
    _, seen = events.wait(lambda m: m["t"] in ("task.assigned", "task.running")
                          and m["task"] == task and m.get("att") == 2, 30,
                          f"attempt 2 of {task}")
    swarm.control.ok("cancel", task=task)
    return seen - start


def bench_local(ctx, workdir, trials):
    swarm = Swarm(ctx, workdir, "failover-local", [builtin_type("echo", 2, 1)], SUPERVISION)
    try:
        events = swarm.subscribe()
        samples = []
        for i in range(trials):
            pids = poll_until(lambda: (lambda a: a if len(a) == 2 else None)(
                {r["agent"]: r["pid"] for r in swarm.agents()}), 20, "2 local agents")

            def kill(agent):
                os.kill(pids[agent], signal.SIGKILL)
            samples.append(failover_trial(swarm, events, f"local-{i}", kill))
            # Next trial once the killed slot runs again under a new pid
            poll_until(lambda: len({r["pid"] for r in swarm.agents()} - set(pids.values()))
                       == 1, 20, "the killed agent to be restarted")
        print(f"(a) local agent SIGKILLed -> attempt 2 assigned: {summary(samples)}; "
              f"target < 500 ms", flush=True)
    finally:
        swarm.stop()


def bench_remote(ctx, workdir, trials):
    swarm = Swarm(ctx, workdir, "failover-remote", [builtin_type("remote", 0, 1)])
    procs = {}
    log = open(os.path.join(workdir, "remote-agents.stderr"), "ab")

    def start_agent():
        proc = subprocess.Popen([env_binary("ZSWARM_AGENT"), "--connect", swarm.agents_ep,
                                 "--type", "remote", "--concurrency", "1"],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        procs[proc.pid] = proc

    try:
        events = swarm.subscribe()
        start_agent()
        start_agent()
        samples = []
        for i in range(trials):
            def registered():
                records = swarm.agents()
                live = [r for r in records if procs.get(r.get("pid"))
                        and procs[r["pid"]].poll() is None]
                return {r["agent"]: r["pid"] for r in live} if len(records) == 2 == len(
                    live) else None
            pids = poll_until(registered, 20, "2 remote agents, the dead one removed")

            def kill(agent):
                proc = procs.pop(pids[agent])
                proc.kill()
                proc.wait()
            samples.append(failover_trial(swarm, events, f"remote-{i}", kill))
            start_agent()
        target = LIVENESS * HB_MS + 200
        print(f"(b) remote agent SIGKILLed -> attempt 2 assigned: {summary(samples)}; "
              f"target < liveness x interval + 200 ms = {target} ms", flush=True)
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
        swarm.stop()


def run_tasks(control, tasks, window, prefix):
    """Submit noop tasks with wait: true, `window` in flight; returns seconds taken."""
    sock = control.sock
    sent = done = 0
    start = time.perf_counter()
    while done < tasks:
        while sent < tasks and sent - done < window:
            sock.send(pack({"v": VERSION, "t": "submit", "rid": sent + 1,
                            "task": f"{prefix}-{sent}", "ttype": "noop", "wait": True}))
            sent += 1
        if not sock.poll(10000, zmq.POLLIN):
            raise BenchError(f"no reply for 10 s with {sent - done} tasks in flight")
        while True:
            try:
                msg = unpack(sock.recv(zmq.NOBLOCK))
            except zmq.Again:
                break
            if msg["t"] == "wait.ok":
                done += 1
            elif msg["t"] != "submit.ok":
                raise BenchError(f"unexpected reply {msg!r}")
    return time.perf_counter() - start


def throughput(ctx, workdir, name, tasks, window, journal):
    extra = "tasks: {keep_results: 1000}\n"
    if journal:
        extra += (f"journal: {{path: '{os.path.join(workdir, name + '.journal')}', "
                  f"fsync: {journal}}}")
    swarm = Swarm(ctx, workdir, name, [builtin_type("echo", 4, 64)], extra)
    try:
        poll_until(lambda: len(swarm.agents()) == 4, 20, "4 agents")
        run_tasks(swarm.control, min(tasks, 5000), window, "warmup")
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        seconds = run_tasks(swarm.control, tasks, window, "timed")
        after = resource.getrusage(resource.RUSAGE_SELF)
        client_cpu = (after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime)
        return tasks / seconds, client_cpu / seconds
    finally:
        swarm.stop()


def bench_journal(ctx, workdir, tasks, window, rounds):
    """Alternate the two swarms, `rounds` runs each, and keep each one's best run: a
    run is short, so one slow moment of a shared machine would decide a single one."""
    runs = {None: [], "batch": []}
    for i in range(rounds):
        for journal in runs:
            name = f"tp-{journal or 'plain'}-{i}"
            runs[journal].append(throughput(ctx, workdir, name, tasks, window, journal))
    plain, plain_cpu = max(runs[None])
    batch, batch_cpu = max(runs["batch"])
    print(f"(c) {tasks} noop tasks, window {window}, submit with wait, best of {rounds}: "
          f"no journal {plain:,.0f} tasks/s (client CPU {plain_cpu:.0%}), "
          f"journal fsync batch {batch:,.0f} tasks/s (client CPU {batch_cpu:.0%}); "
          f"journal cost {(plain - batch) / plain:.1%}", flush=True)
    if max(plain_cpu, batch_cpu) > 0.9:
        print("    (the Python client is near 100% CPU: it bounds these figures, and the "
              "cost may be understated)", flush=True)


def main():
    parser = argparse.ArgumentParser(
        description="zswarm failover latency (local and remote agents) and journal cost")
    parser.add_argument("--local-trials", type=int, default=20)
    parser.add_argument("--remote-trials", type=int, default=10)
    parser.add_argument("--tasks", type=int, default=50000)
    parser.add_argument("--window", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of each throughput swarm; the best counts")
    parser.add_argument("--skip", action="append", default=[],
                        choices=["local", "remote", "journal"])
    args = parser.parse_args()
    ctx = zmq.Context()
    workdir = tempfile.mkdtemp(prefix="zs-failover-")
    try:
        print(f"zs_failover: heartbeat {HB_MS} ms, liveness {LIVENESS}", flush=True)
        if "local" not in args.skip:
            bench_local(ctx, workdir, args.local_trials)
        if "remote" not in args.skip:
            bench_remote(ctx, workdir, args.remote_trials)
        if "journal" not in args.skip:
            bench_journal(ctx, workdir, args.tasks, args.window, args.rounds)
    except BenchError as exc:
        report_failure("zs_failover", exc, workdir)
        return 1
    finally:
        ctx.destroy(linger=0)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
