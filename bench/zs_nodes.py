#!/usr/bin/python3
# zs_nodes: how fast a node daemon (docs/node.md) places agents, and how fast a node and
# its agents come back after the coordinator was away (PROTOCOL.md §5.1, §5.6).
#
#   (a) placement: a zswarm-node joins a swarm that places N agents on it; time from
#       the node's start until all N are registered;
#   (b) scale: `scale --node` to 2N, then to 0, then back to N; time until the
#       coordinator's agent list shows it done;
#   (c) reconnect: zswarmd is SIGKILLed, stays away O seconds and is started again on
#       the same ports; per agent, the time from the new zswarmd's ready line until it
#       is registered again, how bunched the re-registrations are, and when the node
#       re-joins. Hellos back off (hb, 2hb, ... up to 16 hb, +-25%), so the longer the
#       outage, the longer the wait for the next hello once the coordinator is back.
#
# Registration is seen by polling `agents` every POLL_S, so times are upper bounds with
# that resolution. It prints figures and never fails on a timing (STYLE rule 39); it
# exits non-zero only when it cannot run. Binaries come from $ZSWARMD, $ZSWARM_AGENT,
# $ZSWARM_NODE, as meson's benchmark() passes them:
#   meson test -C BUILD --benchmark -v nodes
#   ZSWARMD=... ZSWARM_AGENT=... ZSWARM_NODE=... bench/zs_nodes.py --help

import argparse
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import zmq

from zs_failover import (HB_MS, LIVENESS, BenchError, Swarm, env_binary, poll_until,
                         report_failure, stop_process, summary)

NODE = "n1"
ATYPE = "w"
POLL_S = 0.01
WAIT_S = 60  # generous: for liveness, not a target
BACKOFF_CAP = 16  # hello retries back off to 16 heartbeats (PROTOCOL.md §5.1)


def free_ports(count):
    """count free loopback ports below the ephemeral range (as tests/system/conftest.py
    free_ports): while zswarmd is down its reconnecting peers take ephemeral source
    ports, one of which could otherwise be the port it is about to bind again."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    candidates = range(10000, low) if low > 12000 else range(high + 1, 65536)
    held = []
    try:
        for port in random.sample(candidates, 200):
            if len(held) == count:
                break
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                sock.close()
                continue
            held.append(sock)
        if len(held) < count:
            raise BenchError(f"found only {len(held)} free ports of {count}")
        return [s.getsockname()[1] for s in held]
    finally:
        for sock in held:
            sock.close()


class Node:
    def __init__(self, workdir, endpoint, slots):
        self.log = os.path.join(workdir, "node.stderr")
        env = dict(os.environ, ZSWARM_AGENT=env_binary("ZSWARM_AGENT"))
        with open(os.path.join(workdir, "node.stdout"), "wb") as o, \
                open(self.log, "wb") as e:
            self.proc = subprocess.Popen(
                [env_binary("ZSWARM_NODE"), "--connect", endpoint, "--name", NODE,
                 "--slots", str(slots)], stdout=o, stderr=e, stdin=subprocess.DEVNULL,
                env=env)

    def check(self):
        if self.proc.poll() is not None:
            raise BenchError(f"zswarm-node exited {self.proc.returncode}")

    def stop(self):
        """SIGTERM: the node stops its agents (SIGKILL after 5 s), then exits."""
        stop_process(self.proc)


class Bench:
    def __init__(self, ctx, workdir, agents):
        self.ctx, self.workdir, self.n = ctx, workdir, agents
        ports = free_ports(3)
        self.bind = {k: f"tcp://127.0.0.1:{p}"
                     for k, p in zip(("agents", "events", "control"), ports)}
        self.swarm = self.node = None

    def start_swarm(self):
        atype = (f"{{type: {ATYPE}, count: 0, handler: builtin, capabilities: [noop], "
                 f"concurrency: 1, nodes: {{{NODE}: {self.n}}}}}")
        self.swarm = Swarm(self.ctx, self.workdir, "nodes", [atype], bind=self.bind)

    def node_agents(self):
        """{agent id: pid} of the node's registered agents."""
        self.node.check()
        return {r["agent"]: r.get("pid") for r in self.swarm.agents()
                if r["agent"].startswith(NODE + ".")}

    def wait_count(self, count, start):
        """Seconds from start until exactly count of the node's agents are registered."""
        poll_until(lambda: len(self.node_agents()) == count, WAIT_S,
                   f"{count} agents of node '{NODE}'", POLL_S)
        return time.perf_counter() - start

    def scale(self, count):
        start = time.perf_counter()
        self.swarm.control.ok("scale", atype=ATYPE, count=count, node=NODE)
        return self.wait_count(count, start)

    def node_joined(self):
        """True once the node has a session: `scale` naming it is refused until then.
        The probe asks for the count the node runs already, which changes nothing."""
        control = self.swarm.control
        reply = control.reply(control.send("scale", atype=ATYPE, count=self.n, node=NODE))
        return reply["t"] == "scale.ok"

    def stop(self):
        if self.node:
            self.node.stop()
        if self.swarm:
            self.swarm.stop()


def placement(bench):
    n = bench.n
    start = time.perf_counter()
    bench.node = Node(bench.workdir, bench.bind["agents"], 2 * n)
    seconds = bench.wait_count(n, start)
    print(f"(a) placement: node started, {n} agents placed on it -> all {n} registered "
          f"after {seconds * 1000:.0f} ms ({n / seconds:.0f} agents/s)", flush=True)


def scaling(bench):
    n = bench.n
    up = bench.scale(2 * n)
    down = bench.scale(0)
    back = bench.scale(n)
    print(f"(b) scale on node '{NODE}': {n} -> {2 * n}, all registered after "
          f"{up * 1000:.0f} ms ({n / up:.0f} agents/s); {2 * n} -> 0, none registered "
          f"after {down * 1000:.0f} ms; 0 -> {n}, all registered after "
          f"{back * 1000:.0f} ms ({n / back:.0f} agents/s)", flush=True)


def peak(times, window=0.1):
    """The most times within any one window (seconds)."""
    times, first, best = sorted(times), 0, 0
    for last, t in enumerate(times):
        while times[first] <= t - window:
            first += 1
        best = max(best, last - first + 1)
    return best


def rejoin(bench):
    """Poll until the node and all its agents are registered with the new zswarmd;
    returns ({agent: seconds after ready}, node's seconds after ready, {agent: pid})."""
    ready = time.perf_counter()
    joined, node_at, until = {}, None, ready + WAIT_S
    while len(joined) < bench.n or node_at is None:
        records = bench.node_agents()
        now = time.perf_counter() - ready
        for agent in records:
            joined.setdefault(agent, now)
        if node_at is None and bench.node_joined():
            node_at = time.perf_counter() - ready
        if time.perf_counter() > until:
            raise BenchError(f"after {WAIT_S} s, {len(joined)} of {bench.n} agents and "
                             f"{'the' if node_at else 'no'} node re-registered")
        time.sleep(POLL_S)
    return joined, node_at, records


def outage(bench, seconds):
    n = bench.n
    before = bench.node_agents()
    if len(before) != n:
        raise BenchError(f"{len(before)} agents of node '{NODE}' before the outage, not {n}")
    bench.swarm.proc.kill()
    bench.swarm.proc.wait()
    bench.swarm.control.sock.close()
    bench.swarm = None
    # The outage is the thing measured: the node must live through it
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        bench.node.check()
        time.sleep(min(0.1, max(0, until - time.monotonic())))
    bench.start_swarm()
    joined, node_at, after = rejoin(bench)
    if after == before:
        kept = f"all {n} kept their ids and pids"
    else:
        moved = sum(1 for a, pid in before.items() if after.get(a) != pid)
        kept = f"{moved} of {n} are new processes or ids (NOT kept)"
    print(f"(c) outage {seconds:g} s, {n} agents: re-registered after restart "
          f"{summary(joined.values())}, p90 {p90(joined.values()) * 1000:.0f} ms; peak "
          f"{peak(joined.values())} joins per 100 ms; node re-joined after "
          f"{node_at * 1000:.0f} ms; {kept}", flush=True)


def p90(samples):
    samples = sorted(samples)
    return samples[math.ceil(0.9 * len(samples)) - 1]


def main():
    parser = argparse.ArgumentParser(
        description="zswarm node daemons: placement, scaling, and agents' reconnect "
                    "after a coordinator outage")
    parser.add_argument("--agents", type=int, default=100,
                        help="agents placed on the node (N); scale goes to 2N")
    parser.add_argument("--outages", type=float, nargs="+", default=[1, 5],
                        help="seconds zswarmd stays down, one run each")
    args = parser.parse_args()
    if not 1 <= args.agents <= 500:
        parser.error("--agents must be 1..500 (the node gets 2N slots, at most 1000)")
    ctx = zmq.Context()
    workdir = tempfile.mkdtemp(prefix="zs-nodes-")
    bench = None
    try:
        print(f"zs_nodes: heartbeat {HB_MS} ms, liveness {LIVENESS}; hello backoff "
              f"{HB_MS} ms doubling to {BACKOFF_CAP * HB_MS} ms, +-25%; registration "
              f"polled every {POLL_S * 1000:.0f} ms", flush=True)
        bench = Bench(ctx, workdir, args.agents)
        bench.start_swarm()
        placement(bench)
        scaling(bench)
        for seconds in args.outages:
            outage(bench, seconds)
    except BenchError as exc:
        report_failure("zs_nodes", exc, workdir)
        return 1
    finally:
        if bench:
            bench.stop()
        ctx.destroy(linger=0)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
