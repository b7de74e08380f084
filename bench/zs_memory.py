#!/usr/bin/python3
# zs_memory: what the shared memory costs (docs/memory.md, PROTOCOL.md §8.1).
#
#   (a) one client, one request at a time: p50/p99 round trip of mem.put and mem.get;
#   (b) one client, WINDOW requests in flight: mem.put and mem.get per second, without
#       a journal and with one (fsync batch: a reply waits for its commit);
#   (c) compare-and-set contention: AGENTS scripted agents each add 1 to one counter
#       TIMES times; in each round all read, then all cas-write, and the ones that
#       conflict read and write again; the counter must end at AGENTS x TIMES
#       (checked: a lost update fails the run), conflicts per increment are printed;
#   (d) mem.deposit and mem.query top 10 over 1,000 signals, per second.
#
# The clients are Python in one process, so rates are upper bounds on the
# coordinator's cost. It prints figures and never fails on a timing (STYLE rule 39); it
# exits non-zero only when it cannot run, or when (c)'s counter is wrong. Binaries come
# from $ZSWARMD and $ZSWARM_AGENT, as meson's benchmark() passes them:
#   meson test -C BUILD --benchmark -v memory
#   ZSWARMD=... ZSWARM_AGENT=... bench/zs_memory.py --help

import argparse
import os
import statistics
import sys
import time

import zmq

from zs_failover import VERSION, BenchError, Swarm, pack, run_bench, unpack

WAIT_S = 60  # generous: for slow machines, not a target


def ms_summary(samples):
    ms = sorted(x * 1000 for x in samples)
    return f"p50 {statistics.median(ms):.3f} ms, p99 {ms[int(len(ms) * 0.99)]:.3f} ms"


def one_at_a_time(control, count):
    puts, gets = [], []
    for n in range(count):
        start = time.perf_counter()
        control.ok("mem.put", key=f"one/{n % 100}", value=b"v" * 100)
        puts.append(time.perf_counter() - start)
        start = time.perf_counter()
        control.ok("mem.get", key=f"one/{n % 100}")
        gets.append(time.perf_counter() - start)
    print(f"  (a) one at a time: mem.put {ms_summary(puts)}; mem.get {ms_summary(gets)}",
          flush=True)


def pipelined(control, t, count, window, **fields):
    """count requests of type t with window in flight; returns requests per second."""
    sent = done = 0
    start = time.perf_counter()
    while done < count:
        while sent < count and sent - done < window:
            control.send(t, key=f"pipe/{sent % 1000}", **fields)
            sent += 1
        if not control.sock.poll(WAIT_S * 1000, zmq.POLLIN):
            raise BenchError(f"no reply to {t} within {WAIT_S} s")
        reply = unpack(control.sock.recv())
        if reply["t"] != t + ".ok":
            raise BenchError(f"{t}: {reply!r}")
        done += 1
    return count / (time.perf_counter() - start)


class Counter:
    """A scripted agent that adds to a shared counter with compare-and-set."""

    def __init__(self, ctx, endpoint, agent):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.sock.send(pack({"v": VERSION, "t": "hello", "atype": "counter", "agent": agent}))
        self.rid = 0
        self.conflicts = 0
        self.wait(None)

    def wait(self, rid):
        while True:
            if not self.sock.poll(WAIT_S * 1000, zmq.POLLIN):
                raise BenchError("an agent got no reply")
            msg = unpack(self.sock.recv())
            if msg["t"] == "heartbeat":
                self.sock.send(pack({"v": VERSION, "t": "heartbeat"}))
            elif rid is None or msg.get("rid") == rid:
                return msg

    def request(self, t, **fields):
        self.rid += 1
        self.sock.send(pack({"v": VERSION, "t": t, "rid": self.rid, **fields}))
        return self.wait(self.rid)

    def read(self):
        got = self.request("mem.get", key="counter")
        if got["t"] != "mem.get.ok":
            raise BenchError(f"reading the counter: {got!r}")
        return got

    def write(self, got):
        """Write the read value + 1 if nobody wrote since; False on a conflict (13)."""
        put = self.request("mem.put", key="counter", value=b"%d" % (int(got["value"]) + 1),
                           cas=True, version=got["version"])
        if put["t"] == "mem.put.ok":
            return True
        if put.get("code") != 13:
            raise BenchError(f"writing the counter: {put!r}")
        self.conflicts += 1
        return False


def contention(ctx, swarm, agents, times):
    swarm.control.ok("mem.put", key="counter", value=b"0")
    counters = [Counter(ctx, swarm.agents_ep, f"c{n}") for n in range(agents)]
    start = time.perf_counter()
    for _ in range(times):
        # Every agent reads, then every agent writes: all but one write conflicts, and
        # those agents read again, until each has added its 1
        pending = counters
        while pending:
            reads = [(counter, counter.read()) for counter in pending]
            pending = [counter for counter, got in reads if not counter.write(got)]
    took = time.perf_counter() - start
    final = int(swarm.control.ok("mem.get", key="counter")["value"])
    conflicts = sum(c.conflicts for c in counters)
    for counter in counters:
        counter.sock.close(0)
    if final != agents * times:
        raise BenchError(f"counter ended at {final}, not {agents * times}: a lost update")
    print(f"  (c) compare-and-set: {agents} agents x {times} increments = {final} "
          f"(exact), {conflicts / final:.2f} conflicts per increment, "
          f"{final / took:,.0f} increments/s", flush=True)


def signals(control, count):
    start = time.perf_counter()
    for n in range(count):
        control.ok("mem.deposit", key=f"sig/{n % 1000}", amount=1 + n % 7, half_life=60000)
    deposits = count / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(200):
        assert len(control.ok("mem.query", prefix="sig/", top=10)["keys"]) == 10
    queries = 200 / (time.perf_counter() - start)
    print(f"  (d) signals: {deposits:,.0f} deposits/s one at a time; "
          f"query top 10 of 1,000: {queries:,.0f}/s", flush=True)


def main():
    parser = argparse.ArgumentParser(description="zswarm shared memory costs")
    parser.add_argument("--one", type=int, default=2000, help="requests in (a)")
    parser.add_argument("--requests", type=int, default=50000, help="requests in (b)")
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--times", type=int, default=50)
    parser.add_argument("--deposits", type=int, default=5000)
    args = parser.parse_args()
    types = ["{type: counter, count: 0}"]

    def body(ctx, workdir):
        print("zs_memory:", flush=True)
        swarm = Swarm(ctx, workdir, "plain", types)
        try:
            one_at_a_time(swarm.control, args.one)
            put = pipelined(swarm.control, "mem.put", args.requests, args.window,
                            value=b"v" * 100)
            get = pipelined(swarm.control, "mem.get", args.requests, args.window)
            print(f"  (b) {args.window} in flight, no journal: {put:,.0f} puts/s, "
                  f"{get:,.0f} gets/s", flush=True)
            contention(ctx, swarm, args.agents, args.times)
            signals(swarm.control, args.deposits)
        finally:
            swarm.stop()
        journal = os.path.join(workdir, "mem.journal")
        swarm = Swarm(ctx, workdir, "journaled", types,
                      extra=f"journal: {{path: '{journal}', fsync: batch}}")
        try:
            put = pipelined(swarm.control, "mem.put", args.requests, args.window,
                            value=b"v" * 100)
            print(f"      with a journal (fsync batch): {put:,.0f} puts/s", flush=True)
        finally:
            swarm.stop()
    return run_bench("zs_memory", body)


if __name__ == "__main__":
    sys.exit(main())
