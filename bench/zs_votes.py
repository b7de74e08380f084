#!/usr/bin/python3
# zs_votes: what a vote costs (docs/votes.md, PROTOCOL.md §8.2). The target:
# a vote of 10 agents decided in under 10 ms on this machine.
#
#   (a) 10 zswarm-agent processes answering a fixed 'yes' (swarm file `vote: 'yes'`),
#       one vote at a time with the default strategy: vote.propose -> vote.decided (seen
#       on a SUB socket), and vote.propose -> vote.propose.ok, p50/p90/p99/max;
#   (b) the same 10 agents under each strategy, one table: a strategy that can settle
#       early decides before every ballot is in ("ballots" is the count at the decision);
#   (c) scaling: votes of 100 and 500 scripted voters (DEALERs in this process), with
#       majority and unanimous, each vote once every ballot was answered; the Python
#       voters bound these figures (their CPU per vote is printed next to the wall time);
#   (d) throughput: WINDOW proposals in flight on one DEALER, 10 zswarm-agent voters,
#       votes decided per second;
#   (e) 10 zswarm-agent voters that run a command per vote (`vote: {exec: [...]}`),
#       unanimous and majority: each ballot forks a shell, so this is bound by fork and
#       exec, not by zswarm.
#
# Every vote must end `decided` with `yes` and the expected voters; anything else fails
# the run. Figures are printed next to the target and never asserted (STYLE rule 39):
# it exits non-zero only when it cannot run or a decision is wrong. Binaries come from
# $ZSWARMD and $ZSWARM_AGENT, as meson's benchmark() passes them:
#   meson test -C BUILD --benchmark -v votes
#   ZSWARMD=... ZSWARM_AGENT=... bench/zs_votes.py --help

import argparse
import os
import resource
import statistics
import sys
import time

import zmq

from zs_failover import (VERSION, BenchError, Swarm, pack, poll_until, run_bench,
                         unpack)

WAIT_S = 60  # generous: for slow machines, not a target
TARGET_MS = 10
STRATEGIES = ("majority", "super-majority", "byzantine", "unanimous", "trust-weighted")
OPTIONS = ["yes", "no"]
ANSWER = "yes"
# Far beyond any figure here: a vote must end by its ballots, never by its deadline
DEADLINE_MS = 30000
E_FINISHED = 9  # a ballot after the vote ended (PROTOCOL.md §3)
EVENTS_EVERY = 8  # voter sockets served between two looks at the events socket
CLK_TCK = os.sysconf("SC_CLK_TCK")


def quantiles(samples):
    """p50, p90, p99 and max of samples (seconds), in ms."""
    ms = sorted(x * 1000 for x in samples)
    if not ms:
        raise BenchError("no sample: the benchmark measured nothing")

    def at(q):
        return ms[min(len(ms) - 1, int(len(ms) * q))]
    return statistics.median(ms), at(0.90), at(0.99), ms[-1]


def ms_line(samples):
    p50, p90, p99, top = quantiles(samples)
    return f"p50 {p50:.3f}  p90 {p90:.3f}  p99 {p99:.3f}  max {top:.3f} ms"


def cpu_seconds(pids):
    """User + system CPU seconds the processes used so far (from /proc)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def self_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def check_decided(event, vote, count):
    if (event.get("state") != "decided" or event.get("option") != ANSWER
            or event.get("count") != count):
        raise BenchError(f"vote {vote} with {count} voters all for '{ANSWER}' ended "
                         f"wrong: {event!r}")


class PyVoters:
    """Scripted agents on the agents socket, each one DEALER in this process: hello,
    then a 'yes' ballot for every vote.ask, and a heartbeat for every heartbeat."""

    def __init__(self, ctx, endpoint, atype, count):
        self.socks = []
        self.replies = {}  # vote id -> ballots answered (vote.cast.ok or error 9)
        self.rids = {}  # rid of a ballot not answered yet -> its vote id
        self.rid = 0
        self.late = 0  # ballots refused because the vote had ended (error 9)
        self.welcomed = 0
        for n in range(count):
            sock = ctx.socket(zmq.DEALER)
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.RCVHWM, 0)
            sock.connect(endpoint)
            sock.send(pack({"v": VERSION, "t": "hello", "atype": atype,
                            "agent": f"{atype}-{n}"}))
            self.socks.append(sock)

    def serve(self, sock):
        while True:
            try:
                msg = unpack(sock.recv(zmq.NOBLOCK))
            except zmq.Again:
                return
            t = msg["t"]
            if t == "vote.ask":
                self.rid += 1
                self.rids[self.rid] = msg["vote"]
                sock.send(pack({"v": VERSION, "t": "vote.cast", "vote": msg["vote"],
                                "option": ANSWER, "rid": self.rid}))
            elif t == "vote.cast.ok" or (t == "error" and msg.get("code") == E_FINISHED):
                self.late += t == "error"
                vote = self.rids.pop(msg.get("rid"), None)
                if vote is None:
                    raise BenchError(f"a reply to no ballot: {msg!r}")
                self.replies[vote] = self.replies.get(vote, 0) + 1
            elif t == "heartbeat":
                sock.send(pack({"v": VERSION, "t": "heartbeat"}))
            elif t == "welcome":
                self.welcomed += 1
            else:
                raise BenchError(f"a scripted voter got {msg!r}")

    def answered(self, vote):
        return self.replies.get(vote, 0) == len(self.socks)

    def close(self):
        for sock in self.socks:
            sock.close(0)


class Proposer:
    """Proposes votes on the control socket and watches vote.decided on a SUB socket
    subscribed before the first proposal; scripted voters, when given, are served from
    the same poll so that nothing waits on them."""

    def __init__(self, swarm, prefix, py=None):
        self.control = swarm.control
        self.events = swarm.subscribe()
        self.prefix = prefix
        self.made = 0
        self.py = py
        self.poller = zmq.Poller()
        self.poller.register(self.control.sock, zmq.POLLIN)
        self.poller.register(self.events.sock, zmq.POLLIN)
        for sock in py.socks if py else ():
            self.poller.register(sock, zmq.POLLIN)
        self.decided = {}  # vote id -> (event, perf_counter when it arrived)

    def send(self, voters, strategy):
        """Propose a vote; returns its id, the request's rid and when it was sent."""
        self.made += 1
        vote = f"{self.prefix}-{self.made}"
        fields = {"vote": vote, "question": "ship it?", "options": OPTIONS,
                  "voters": voters, "deadline": DEADLINE_MS}
        if strategy:
            fields["strategy"] = strategy
        start = time.perf_counter()
        rid = self.control.send("vote.propose", **fields)
        return vote, rid, start

    def read_events(self):
        while True:
            try:
                _, frame = self.events.sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            now = time.perf_counter()
            event = unpack(frame)
            if event["t"] == "vote.decided":
                self.decided[event["vote"]] = (event, now)

    def pump(self):
        """Wait for anything and read it: replies are returned as (reply, time)."""
        ready = dict(self.poller.poll(WAIT_S * 1000))
        if not ready:
            raise BenchError(f"nothing from zswarmd for {WAIT_S} s with votes open")
        replies = []
        if self.events.sock in ready:
            self.read_events()
        if self.control.sock in ready:
            while self.control.sock.poll(0, zmq.POLLIN):
                replies.append((self.control.sock.recv(), time.perf_counter()))
        served = 0
        for sock in self.py.socks if self.py else ():
            if sock in ready:
                self.py.serve(sock)
                served += 1
                if served % EVENTS_EVERY == 0:
                    self.read_events()  # its time of arrival is the figure
        return replies

    def one(self, voters, count, strategy=None):
        """One vote alone: (seconds to propose.ok, seconds to vote.decided, ballots
        at the decision). With scripted voters, it also waits for every ballot's reply
        so that the next vote starts on a quiet swarm."""
        vote, rid, start = self.send(voters, strategy)
        ok_at = None
        while (ok_at is None or vote not in self.decided
               or (self.py and not self.py.answered(vote))):
            for frame, when in self.pump():
                reply = unpack(frame)
                if (reply["t"] != "vote.propose.ok" or reply.get("rid") != rid
                        or reply.get("vote") != vote or reply.get("count") != count):
                    raise BenchError(f"vote.propose {vote} for {count} voters: {reply!r}")
                ok_at = when
        event, decided_at = self.decided.pop(vote)
        check_decided(event, vote, count)
        return ok_at - start, decided_at - start, event["cast"]

    def series(self, votes, voters, count, strategy=None, pause=0):
        oks, decided, ballots = [], [], set()
        for _ in range(votes):
            ok, took, cast = self.one(voters, count, strategy)
            oks.append(ok)
            decided.append(took)
            ballots.add(cast)
            if pause:
                time.sleep(pause)  # settling, not timed: see bench_exec
        return oks, decided, ballots


def ballots_text(ballots):
    return "/".join(str(b) for b in sorted(ballots))


def start_swarm(ctx, workdir, name, types, voters):
    swarm = Swarm(ctx, workdir, name, types)
    try:
        poll_until(lambda: len(swarm.agents()) == voters, WAIT_S,
                   f"{voters} agents registered")
    except BenchError:
        swarm.stop()
        raise
    return swarm


def fixed_swarm(ctx, workdir, name, n):
    """A swarm of n zswarm-agent processes answering 'yes', and their pids, zswarmd's
    first."""
    swarm = start_swarm(ctx, workdir, name,
                        [f"{{type: voter, count: {n}, vote: '{ANSWER}'}}"], n)
    return swarm, [swarm.proc.pid] + [r["pid"] for r in swarm.agents()]


def met(ms):
    return "met" if ms < TARGET_MS else "MISSED"


def bench_fixed(ctx, workdir, args):
    """(a) and (b): one swarm of zswarm-agent processes answering 'yes'."""
    n = args.agents
    swarm, pids = fixed_swarm(ctx, workdir, "fixed", n)
    try:
        proposer = Proposer(swarm, "a")
        proposer.series(args.warmup, ["voter"], n)
        cpu = [cpu_seconds(pids[:1]), cpu_seconds(pids[1:]), self_cpu()]
        start = time.perf_counter()
        oks, decided, ballots = proposer.series(args.votes, ["voter"], n)
        took = time.perf_counter() - start
        used = [cpu_seconds(pids[:1]) - cpu[0], cpu_seconds(pids[1:]) - cpu[1],
                self_cpu() - cpu[2]]
        p50, _, p99, _ = quantiles(decided)
        print(f"  (a) {n} zswarm-agent voters, fixed answer, default strategy "
              f"(majority), {args.votes} votes one at a time (after {args.warmup} "
              f"warm-up):", flush=True)
        print(f"      propose -> vote.decided  {ms_line(decided)}", flush=True)
        print(f"      target < {TARGET_MS} ms: {met(p50)} at p50, {met(p99)} at p99",
              flush=True)
        print(f"      propose -> propose.ok    {ms_line(oks)}", flush=True)
        per_vote = [1e6 * u / args.votes for u in used]
        print(f"      decided at ballot {ballots_text(ballots)} of {n}; CPU per vote: "
              f"zswarmd {per_vote[0]:.0f} us, the {n} agents {per_vote[1]:.0f} us, this "
              f"client {per_vote[2]:.0f} us ({took / args.votes * 1e3:.3f} ms wall)",
              flush=True)

        print(f"  (b) each strategy, {n} voters, {args.strategy_votes} votes one at a "
              f"time (ms, propose -> vote.decided):", flush=True)
        print(f"      {'strategy':<15} {'ballots':>7} {'p50':>7} {'p90':>7} {'p99':>7} "
              f"{'max':>7}", flush=True)
        for strategy in STRATEGIES:
            _, decided, ballots = proposer.series(args.strategy_votes, ["voter"], n,
                                                  strategy)
            p50, p90, p99, top = quantiles(decided)
            print(f"      {strategy:<15} {ballots_text(ballots):>7} {p50:7.3f} "
                  f"{p90:7.3f} {p99:7.3f} {top:7.3f}", flush=True)
    finally:
        swarm.stop()


def bench_throughput(ctx, workdir, args):
    """(d): a swarm of its own, args.window proposals in flight, args.pipelined votes
    in all."""
    n = args.agents
    swarm, pids = fixed_swarm(ctx, workdir, "rate", n)
    try:
        proposer = Proposer(swarm, "d")
        proposer.series(args.warmup, ["voter"], n)
        pipeline(proposer, pids, args)
    finally:
        swarm.stop()


def take_oks(proposer, rids, count):
    """Read what arrived; each reply must be a vote.propose.ok of one of rids."""
    for frame, _ in proposer.pump():
        reply = unpack(frame)
        if (reply["t"] != "vote.propose.ok" or reply.get("count") != count
                or reply.get("rid") not in rids):
            raise BenchError(f"vote.propose (pipelined): {reply!r}")
        rids.discard(reply["rid"])


def pipeline(proposer, pids, args):
    n = args.agents
    sent = {}  # vote id -> perf_counter when proposed
    rids = set()  # proposals not answered yet
    latencies = []
    cpu = cpu_seconds(pids[:1])
    start = time.perf_counter()
    while len(latencies) < args.pipelined:
        while len(sent) < args.window and len(latencies) + len(sent) < args.pipelined:
            vote, rid, start_vote = proposer.send(["voter"], None)
            sent[vote] = start_vote
            rids.add(rid)
        take_oks(proposer, rids, n)
        for vote in [v for v in proposer.decided if v in sent]:
            event, when = proposer.decided.pop(vote)
            check_decided(event, vote, n)
            latencies.append(when - sent.pop(vote))
    took = time.perf_counter() - start
    busy = (cpu_seconds(pids[:1]) - cpu) / took
    while rids:  # a reply may trail its decision
        take_oks(proposer, rids, n)
    p50, _, p99, _ = quantiles(latencies)
    print(f"  (d) {args.window} proposals in flight on one DEALER, {n} zswarm-agent "
          f"voters: {args.pipelined / took:,.0f} votes decided/s ({args.pipelined} "
          f"votes); "
          f"propose -> decided under that load p50 {p50:.2f} ms, p99 {p99:.2f} ms; "
          f"zswarmd CPU {busy:.0%} of one core", flush=True)


def bench_scale(ctx, workdir, sizes, votes):
    """(c): scripted voters, one swarm per size."""
    print(f"  (c) scripted Python voters, all in this process ({votes} votes one at a "
          f"time; the voters' Python bounds these figures):", flush=True)
    for size in sizes:
        swarm = Swarm(ctx, workdir, f"scale{size}", ["{type: py, count: 0}"])
        py = None
        try:
            py = PyVoters(ctx, swarm.agents_ep, "py", size)
            proposer = Proposer(swarm, f"c{size}", py)
            until = time.monotonic() + WAIT_S
            while py.welcomed < size:
                proposer.pump()
                if time.monotonic() > until:
                    raise BenchError(f"{py.welcomed} of {size} scripted voters welcomed")
            if len(swarm.agents()) != size:
                raise BenchError(f"{len(swarm.agents())} agents registered, not {size}")
            zswarmd = [swarm.proc.pid]
            for strategy in ("majority", "unanimous"):
                proposer.series(max(1, votes // 10), ["py"], size, strategy)  # warm-up
                cpu, mine = cpu_seconds(zswarmd), self_cpu()
                start = time.perf_counter()
                _, decided, ballots = proposer.series(votes, ["py"], size, strategy)
                took = time.perf_counter() - start
                p50, _, p99, _ = quantiles(decided)
                print(f"      {size:>4} voters, {strategy:<9}: propose -> decided p50 "
                      f"{p50:7.2f} ms, p99 {p99:7.2f} ms (at ballot "
                      f"{ballots_text(ballots)}); CPU per vote: zswarmd "
                      f"{1e3 * (cpu_seconds(zswarmd) - cpu) / votes:.2f} ms, Python "
                      f"{1e3 * (self_cpu() - mine) / votes:.2f} ms of "
                      f"{1e3 * took / votes:.2f} ms wall", flush=True)
            print(f"            {py.late} ballots came after their majority vote had "
                  f"ended (error 9, as the protocol says)", flush=True)
        finally:
            if py:
                py.close()
            swarm.stop()


def bench_exec(ctx, workdir, args):
    """(e): each ballot is a command: sh reads the ask (JSON) and prints 'yes'."""
    n = args.agents
    command = f"[/bin/sh, -c, 'cat >/dev/null; echo {ANSWER}']"
    swarm = start_swarm(ctx, workdir, "exec",
                        [f"{{type: voter, count: {n}, vote: {{exec: {command}}}}}"], n)
    try:
        proposer = Proposer(swarm, "e")
        proposer.series(3, ["voter"], n, "unanimous")  # warm-up
        _, unanimous, _ = proposer.series(args.exec_votes, ["voter"], n, "unanimous")
        print(f"  (e) {n} zswarm-agent voters running /bin/sh -c 'cat >/dev/null; "
              f"echo {ANSWER}' per vote (fork/exec-bound, not zswarm), "
              f"{args.exec_votes} votes each:", flush=True)
        print(f"      {'unanimous (every command done)':<32} {ms_line(unanimous)}",
              flush=True)
        # A majority vote ends before the last commands do: let them finish (a
        # unanimous vote's worst time) so each vote starts on an idle machine
        pause = max(unanimous)
        _, majority, ballots = proposer.series(args.exec_votes, ["voter"], n, None, pause)
        label = f"majority (decided at ballot {ballots_text(ballots)})"
        print(f"      {label:<32} {ms_line(majority)}", flush=True)
    finally:
        swarm.stop()


def main():
    parser = argparse.ArgumentParser(description="zswarm votes: latency, scale, rate")
    parser.add_argument("--agents", type=int, default=10, help="zswarm-agent voters")
    parser.add_argument("--votes", type=int, default=200, help="votes in (a)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--strategy-votes", type=int, default=100, help="per row of (b)")
    parser.add_argument("--scale", type=int, action="append",
                        help="scripted voters in (c), repeatable (default 100 and 500)")
    parser.add_argument("--scale-votes", type=int, default=50)
    parser.add_argument("--pipelined", type=int, default=5000, help="votes in (d)")
    parser.add_argument("--window", type=int, default=50, help="votes in flight in (d)")
    parser.add_argument("--exec-votes", type=int, default=40, help="per strategy in (e)")
    args = parser.parse_args()
    sizes = args.scale or [100, 500]
    # One socket per scripted voter: lift the process's descriptor limit (to its hard
    # limit; zswarmd inherits it) and libzmq's default cap of 1023 sockets
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ctx = zmq.Context()
    ctx.set(zmq.MAX_SOCKETS, max(1024, max(sizes) + 64))

    def body(ctx, workdir):
        print(f"zs_votes: target: a vote of {args.agents} agents decided in under "
              f"{TARGET_MS} ms; {os.cpu_count()} CPUs", flush=True)
        bench_fixed(ctx, workdir, args)
        bench_scale(ctx, workdir, sizes, args.scale_votes)
        bench_throughput(ctx, workdir, args)
        bench_exec(ctx, workdir, args)
    return run_bench("zs_votes", body, ctx)


if __name__ == "__main__":
    sys.exit(main())
