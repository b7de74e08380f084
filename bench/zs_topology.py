#!/usr/bin/python3
# zs_topology: what the topologies cost (docs/topologies.md, PROTOCOL.md §6.1).
#
#   (a) mesh joins: N scripted agents join a mesh one after another; time until every
#       one knows the other N-1, and the neighbours messages that took (deltas: about
#       one per agent per join, so ~N^2/2 in all, each small);
#   (b) msg.send through the coordinator: one-at-a-time round trips between two mesh
#       agents (p50/p99 of the round trip), then a stream of sends (messages/s);
#   (c) msg.share: one agent of the mesh shares to all the others; deliveries/s;
#   (d) election: a team of real zswarm-agent processes (an exec lead, 3 exec workers);
#       the lead is SIGKILLed: time until team.elected, and until a team task
#       submitted right after the kill completes through the new lead;
#   (e) ring: pipelines of three exec stages (2+2+2 agents, `cat`), a window of them
#       in flight: pipelines/s and p50 latency.
#
# Scripted agents are DEALERs in this process, so (a)-(c) include Python's own cost; the
# figures are an upper bound on the coordinator's. It prints figures and never fails on
# a timing (STYLE rule 39); it exits non-zero only when it cannot run. Binaries come
# from $ZSWARMD and $ZSWARM_AGENT, as meson's benchmark() passes them:
#   meson test -C BUILD --benchmark -v topology
#   ZSWARMD=... ZSWARM_AGENT=... bench/zs_topology.py --help

import argparse
import os
import resource
import signal
import statistics
import sys
import time

import zmq

from zs_failover import (HB_MS, VERSION, BenchError, Swarm, pack, poll_until, run_bench,
                         summary, unpack)

WAIT_S = 60  # generous: for slow machines, not a target


class Agents:
    """Scripted agents on one poller: each says hello and keeps its session alive."""

    def __init__(self, ctx, endpoint):
        self.ctx = ctx
        self.endpoint = endpoint
        self.socks = {}  # id -> DEALER
        self.peers = {}  # id -> set of neighbour ids
        self.poller = zmq.Poller()
        self.neighbour_msgs = 0
        self.beat = time.monotonic()

    def join(self, atype, agent):
        sock = self.ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.RCVHWM, 0)
        sock.connect(self.endpoint)
        sock.send(pack({"v": VERSION, "t": "hello", "atype": atype, "agent": agent}))
        self.socks[agent] = sock
        self.peers[agent] = set()
        self.poller.register(sock, zmq.POLLIN)

    def send(self, sender, t, **fields):
        self.socks[sender].send(pack({"v": VERSION, "t": t, **fields}))

    def pump(self, timeout_ms, on_msg=None):
        """Read what arrived within timeout_ms; neighbours messages are applied, others
        go to on_msg(agent, msg). Heartbeats go out every half interval."""
        now = time.monotonic()
        if now - self.beat > HB_MS / 2000:
            for sock in self.socks.values():
                sock.send(pack({"v": VERSION, "t": "heartbeat"}))
            self.beat = now
        by_sock = {sock: agent for agent, sock in self.socks.items()}
        for sock, _ in self.poller.poll(timeout_ms):
            agent = by_sock[sock]
            while True:
                try:
                    msg = unpack(sock.recv(zmq.NOBLOCK))
                except zmq.Again:
                    break
                if msg["t"] == "neighbours":
                    self.neighbour_msgs += 1
                    self.peers[agent] |= set(msg.get("peers", []))
                    self.peers[agent] -= set(msg.get("gone", []))
                elif msg["t"] == "error":
                    raise BenchError(f"{agent}: {msg!r}")
                elif on_msg and msg["t"] not in ("welcome", "heartbeat"):
                    on_msg(agent, msg)

    def close(self):
        for sock in self.socks.values():
            sock.close(0)


def next_wait_ok(control):
    """The next wait.ok on the control socket. Both replies of a submit with wait carry
    its rid, which Control.reply (one reply per rid) cannot tell apart."""
    while True:
        if not control.sock.poll(WAIT_S * 1000, zmq.POLLIN):
            raise BenchError(f"no task ended within {WAIT_S} s")
        msg = unpack(control.sock.recv())
        if msg["t"] == "wait.ok":
            return msg
        if msg["t"] != "submit.ok":
            raise BenchError(f"submit: {msg!r}")


def bench_mesh(ctx, workdir, count, round_trips, stream, shares):
    swarm = Swarm(ctx, workdir, f"mesh{count}", ["{type: peer, count: 0}"],
                  extra="topology: mesh")
    agents = Agents(ctx, swarm.agents_ep)
    try:
        ids = [f"p{n}" for n in range(count)]
        start = time.perf_counter()
        for agent in ids:
            agents.join("peer", agent)
            agents.pump(0)
        until = time.monotonic() + WAIT_S
        while any(len(agents.peers[a]) < count - 1 for a in ids):
            agents.pump(10)
            if time.monotonic() > until:
                raise BenchError("mesh agents did not learn all their neighbours")
        took = time.perf_counter() - start
        print(f"  (a) mesh of {count}: every agent knows the other {count - 1} "
              f"{took * 1000:.0f} ms after the first hello; "
              f"{agents.neighbour_msgs} neighbours messages "
              f"({agents.neighbour_msgs / count:.1f} per agent)", flush=True)
        bench_send(agents, ids[0], ids[1], round_trips, stream)
        bench_share(agents, ids[0], count, shares)
    finally:
        agents.close()
        swarm.stop()


def bench_send(agents, a, b, round_trips, stream):
    got = []
    rtts = []
    for n in range(round_trips):
        sent = time.perf_counter()
        agents.send(a, "msg.send", agent=b, payload=b"ping")
        while not got:
            agents.pump(100, lambda agent, msg: got.append(msg) if agent == b else None)
        got.clear()
        rtts.append(time.perf_counter() - sent)
        if n % 50 == 0:
            agents.pump(0)  # heartbeats
    ms = sorted(x * 1000 for x in rtts)
    print(f"  (b) msg.send agent -> coordinator -> agent, one at a time: "
          f"p50 {statistics.median(ms):.3f} ms, p99 {ms[int(len(ms) * 0.99)]:.3f} ms "
          f"(n={len(ms)})", flush=True)
    received = [0]

    def count(agent, msg):
        if agent == b and msg["t"] == "msg":
            received[0] += 1
    start = time.perf_counter()
    for n in range(stream):
        agents.send(a, "msg.send", agent=b, payload=b"x" * 64)
        if n % 1000 == 0:
            agents.pump(0, count)
    until = time.monotonic() + WAIT_S
    while received[0] < stream:
        agents.pump(10, count)
        if time.monotonic() > until:
            raise BenchError(f"{received[0]} of {stream} messages arrived")
    took = time.perf_counter() - start
    print(f"      a stream of {stream} sends of 64 bytes: {stream / took:,.0f} messages/s",
          flush=True)


def bench_share(agents, a, count, shares):
    received = [0]

    def count_msg(agent, msg):
        if msg["t"] == "msg":
            received[0] += 1
    start = time.perf_counter()
    for _ in range(shares):
        agents.send(a, "msg.share", payload=b"news")
        agents.pump(0, count_msg)
    want = shares * (count - 1)
    until = time.monotonic() + WAIT_S
    while received[0] < want:
        agents.pump(10, count_msg)
        if time.monotonic() > until:
            raise BenchError(f"{received[0]} of {want} shared messages arrived")
    took = time.perf_counter() - start
    print(f"  (c) msg.share to {count - 1} peers, {shares} times: {want / took:,.0f} "
          f"deliveries/s ({took * 1000 / shares:.1f} ms per share)", flush=True)


def bench_election(ctx, workdir, trials):
    team = ["{type: boss, count: 1, concurrency: 8, handler: exec, command: [cat]}",
            "{type: w, count: 3, reports_to: boss, handler: exec, command: [cat]}"]
    swarm = Swarm(ctx, workdir, "team", team, extra="topology: hierarchical")
    try:
        poll_until(lambda: len(swarm.agents()) == 4, WAIT_S, "4 team agents")
        events = swarm.subscribe()
        elected, served = [], []
        for trial in range(trials):
            lead = poll_until(lambda: next((a for a in swarm.agents()
                                            if a.get("role") == "lead"), None),
                              WAIT_S, "a lead")
            start = time.perf_counter()
            os.kill(lead["pid"], signal.SIGKILL)
            task = f"after-{trial}"
            rid = swarm.control.send("submit", ttype="boss", task=task, payload=b"go",
                                     wait=True)
            _, seen = events.wait(lambda m: m["t"] == "team.elected"
                                  and m["agent"] != lead["agent"], WAIT_S, "team.elected")
            elected.append(seen - start)
            done = next_wait_ok(swarm.control)
            if done.get("state") != "completed" or done["rid"] != rid:
                raise BenchError(f"team task {task}: {done!r}")
            served.append(time.perf_counter() - start)
            # the killed lead restarts as a member: wait for the team to be whole
            poll_until(lambda: len(swarm.agents()) == 4, WAIT_S, "the team back to 4")
        print(f"  (d) lead SIGKILLed -> team.elected: {summary(elected)}", flush=True)
        print(f"      -> a team task submitted at the kill completed: {summary(served)}",
              flush=True)
    finally:
        swarm.stop()


def bench_ring(ctx, workdir, tasks, window):
    stages = [f"{{type: s{n}, count: 2, handler: exec, command: [cat]}}" for n in (1, 2, 3)]
    swarm = Swarm(ctx, workdir, "ring", stages, extra="topology: ring\nring: [s1, s2, s3]")
    try:
        poll_until(lambda: len(swarm.agents()) == 6, WAIT_S, "6 ring agents")
        control = swarm.control
        sent, latencies = {}, []
        start = time.perf_counter()
        next_id = 0
        while len(latencies) < tasks:
            while next_id < tasks and len(sent) < window:
                rid = control.send("submit", ttype="s1", payload=b"payload %d" % next_id,
                                   wait=True)
                sent[rid] = time.perf_counter()
                next_id += 1
            done = next_wait_ok(control)
            if done.get("state") != "completed":
                raise BenchError(f"ring task: {done!r}")
            latencies.append(time.perf_counter() - sent.pop(done["rid"]))
        took = time.perf_counter() - start
        ms = sorted(x * 1000 for x in latencies)
        print(f"  (e) ring of 3 exec stages x 2 agents, {window} in flight: "
              f"{tasks / took:.0f} pipelines/s ({3 * tasks / took:.0f} stage tasks/s), "
              f"p50 {statistics.median(ms):.1f} ms, p99 {ms[int(len(ms) * 0.99)]:.1f} ms",
              flush=True)
    finally:
        swarm.stop()


def main():
    parser = argparse.ArgumentParser(
        description="zswarm topologies: mesh joins, agent messages, elections, rings")
    parser.add_argument("--mesh", type=int, default=200, help="agents in the mesh")
    parser.add_argument("--round-trips", type=int, default=2000)
    parser.add_argument("--stream", type=int, default=50000)
    parser.add_argument("--shares", type=int, default=100)
    parser.add_argument("--elections", type=int, default=10)
    parser.add_argument("--ring-tasks", type=int, default=600)
    parser.add_argument("--window", type=int, default=12)
    args = parser.parse_args()
    # One socket per scripted agent: lift libzmq's default cap of 1023 and the process's
    # descriptor limit (to its hard limit) for meshes of more than a thousand
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ctx = zmq.Context()
    ctx.set(zmq.MAX_SOCKETS, max(1024, args.mesh + 64))

    def body(ctx, workdir):
        print(f"zs_topology: heartbeat {HB_MS} ms", flush=True)
        bench_mesh(ctx, workdir, args.mesh, args.round_trips, args.stream, args.shares)
        bench_election(ctx, workdir, args.elections)
        bench_ring(ctx, workdir, args.ring_tasks, args.window)
    return run_bench("zs_topology", body, ctx)


if __name__ == "__main__":
    sys.exit(main())
