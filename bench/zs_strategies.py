#!/usr/bin/python3
# zs_strategies: the scheduling strategies (docs/scheduling.md) side by side on a skewed
# workload: agents of unequal speed and tasks of mixed lengths.
#
#   agents: 2 fast and 2 slow exec agents (concurrency 2), every one able to run 'job';
#           a task's payload is a number of ms the fast ones sleep, the slow ones 3x;
#   tasks:  80% short (20 ms), 20% long (200 ms), drawn from a fixed seed, so every
#           strategy sees the same sequence;
#   burst:  every task submitted at once: makespan is how well the work is spread;
#   stream: tasks arrive one by one (Poisson) at half of what the agents can do:
#           latency is how well each one is placed when it arrives.
#
# Each strategy gets its own zswarmd (the swarm file's 'strategy'), and a warm-up burst
# from which best-fit and the auction's bidders learn the agents' speeds. Latency is
# submit to wait.ok, as a client sees it; "fast share" is the part of the work (ms)
# that ran on a fast agent. It prints one table and never fails on a figure (STYLE rule
# 39); it exits non-zero only when it cannot run (a process died, a reply never came).
#   meson test -C BUILD --benchmark -v strategies
#   ZSWARMD=BUILD/zswarmd ZSWARM_AGENT=BUILD/zswarm-agent bench/zs_strategies.py --help

import argparse
import math
import random
import shutil
import statistics
import sys
import tempfile
import time

import zmq

from zs_failover import (VERSION, BenchError, Swarm, pack, poll_until, report_failure,
                         unpack)

STRATEGIES = ("round-robin", "least-loaded", "capability", "best-fit", "work-stealing",
              "auction")
SHORT_MS, LONG_MS, LONG_SHARE = 20, 200, 0.2
SLOWDOWN = 3  # the slow agents take this many times as long
FAST, SLOW = 2, 2  # agents of each kind
CONC = 2  # tasks each runs at once: sleeping, so two run as fast as one
RID_BASE = 1_000_000  # request ids of the workload, apart from Control's own
REPLY_WAIT_S = 30  # longest silence tolerated from zswarmd while tasks are in flight


def sleeper(name, count, factor):
    """An exec type that sleeps the payload's ms times factor."""
    script = (f"read ms; ms=$((ms*{factor})); "
              f"sleep $((ms/1000)).$(printf %03d $((ms%1000)))")
    return (f"{{type: {name}, count: {count}, handler: exec, capabilities: [job], "
            f"concurrency: {CONC}, command: [/bin/sh, -c, '{script}']}}")


def workload(count, seed):
    rng = random.Random(seed)
    return [LONG_MS if rng.random() < LONG_SHARE else SHORT_MS for _ in range(count)]


def capacity_per_s():
    """Tasks per second the agents can run at most, process start-up aside."""
    mean_ms = LONG_SHARE * LONG_MS + (1 - LONG_SHARE) * SHORT_MS
    return (FAST + SLOW / SLOWDOWN) * CONC * 1000 / mean_ms


def run(swarm, lengths, arrivals, tag):
    """Submit lengths[i] at arrivals[i] s from now (wait: true); return per task
    (submitted, ended, agent) in perf_counter seconds, and the start."""
    sock = swarm.control.sock
    start = time.perf_counter()
    sent, results = {}, {}
    while len(results) < len(lengths):
        now = time.perf_counter() - start
        while len(sent) < len(lengths) and arrivals[len(sent)] <= now:
            i = len(sent)
            sock.send(pack({"v": VERSION, "t": "submit", "rid": RID_BASE + i,
                            "task": f"{tag}-{i}", "ttype": "job",
                            "payload": f"{lengths[i]}\n".encode(), "wait": True}))
            sent[i] = time.perf_counter()
        wait_s = arrivals[len(sent)] - now if len(sent) < len(lengths) else REPLY_WAIT_S
        if not sock.poll(max(1, int(wait_s * 1000)), zmq.POLLIN):
            if len(sent) == len(lengths):
                raise BenchError(f"{tag}: no reply for {REPLY_WAIT_S} s, "
                                 f"{len(lengths) - len(results)} tasks unfinished")
            continue
        while sock.poll(0, zmq.POLLIN):
            msg = unpack(sock.recv())
            if msg["t"] == "wait.ok":
                if msg["state"] != "completed":
                    raise BenchError(f"{tag}: task ended {msg['state']}: {msg!r}")
                i = msg["rid"] - RID_BASE
                results[i] = (sent[i], time.perf_counter(), msg["agent"])
            elif msg["t"] != "submit.ok":
                raise BenchError(f"{tag}: unexpected reply {msg!r}")
    return results, start


def figures(lengths, results, start):
    latency = sorted((ended - sent) * 1000 for sent, ended, _ in results.values())
    p99 = latency[max(0, math.ceil(0.99 * len(latency)) - 1)]
    fast = sum(lengths[i] for i, (_, _, agent) in results.items()
               if agent.startswith("fast"))
    return {"makespan": (max(e for _, e, _ in results.values()) - start) * 1000,
            "p50": statistics.median(latency), "p99": p99,
            "fast": fast / sum(lengths)}


def cells(found, width):
    """One half of a table row: makespan right-aligned in width, then p50, p99, fast."""
    return (f"{found['makespan']:>{width}.0f} ms {found['p50']:>4.0f} ms "
            f"{found['p99']:>4.0f} ms {found['fast']:>5.0%}")


def bench_strategy(ctx, workdir, strategy, burst, stream, rate, seed):
    agents = [sleeper("fast", FAST, 1), sleeper("slow", SLOW, SLOWDOWN)]
    swarm = Swarm(ctx, workdir, strategy, agents, f"strategy: {strategy}")
    try:
        poll_until(lambda: len(swarm.agents()) == FAST + SLOW, 20, "the agents")
        warm = workload(4 * (FAST + SLOW), seed + 1)
        run(swarm, warm, [0.0] * len(warm), "warm")
        lengths = workload(burst, seed)
        burst_figures = figures(lengths, *run(swarm, lengths, [0.0] * burst, "burst"))
        rng = random.Random(seed + 2)
        arrivals, at = [], 0.0
        for _ in range(stream):
            arrivals.append(at)
            at += rng.expovariate(rate)
        lengths = workload(stream, seed + 3)
        stream_figures = figures(lengths, *run(swarm, lengths, arrivals, "stream"))
        return burst_figures, stream_figures
    finally:
        swarm.stop()


def main():
    parser = argparse.ArgumentParser(
        description="zswarm scheduling strategies on agents of unequal speed")
    parser.add_argument("--burst", type=int, default=120, help="tasks submitted at once")
    parser.add_argument("--stream", type=int, default=240, help="tasks that arrive")
    parser.add_argument("--load", type=float, default=0.5,
                        help="stream arrival rate as a share of the agents' capacity")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--strategy", action="append", choices=STRATEGIES,
                        help="run only these (default: all)")
    args = parser.parse_args()
    rate = args.load * capacity_per_s()
    ctx = zmq.Context()
    workdir = tempfile.mkdtemp(prefix="zs-strategies-")
    try:
        print(f"zs_strategies: {FAST} fast + {SLOW} slow ({SLOWDOWN}x) exec agents, "
              f"concurrency {CONC}; tasks {SHORT_MS} ms ({1 - LONG_SHARE:.0%}) or "
              f"{LONG_MS} ms ({LONG_SHARE:.0%}) on a fast agent; burst of {args.burst}, "
              f"stream of "
              f"{args.stream} at {rate:.1f}/s ({args.load:.0%} of capacity)", flush=True)
        header = (f"{'strategy':<14} | {'burst: makespan':>15} {'p50':>7} {'p99':>7} "
                  f"{'fast':>5} | {'stream: makespan':>16} {'p50':>7} {'p99':>7} "
                  f"{'fast':>5}")
        print(header + "\n" + "-" * len(header), flush=True)
        for strategy in args.strategy or STRATEGIES:
            burst, stream = bench_strategy(ctx, workdir, strategy, args.burst,
                                           args.stream, rate, args.seed)
            row = f"{strategy:<14} | {cells(burst, 12)} | {cells(stream, 13)}"
            print(row, flush=True)
        print("(fast: share of the work, in ms, that ran on a fast agent; 'capability' "
              "sees equally specialised agents here and so chooses as least-loaded)",
              flush=True)
    except BenchError as exc:
        report_failure("zs_strategies", exc, workdir)
        return 1
    finally:
        ctx.destroy(linger=0)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
