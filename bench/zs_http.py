#!/usr/bin/python3
# zs_http: what the http and download handlers cost against what people would run
# instead, against local servers (the FileServer fake of tests/system/fakes):
#
#   (a) GETs of a small file at concurrency 16: a `curl` shell loop (the baseline, 1.00),
#       an exec agent that runs curl per task, the http handler through a swarm, the
#       transfer engine alone (zs_bench_xfer get: zs_xfer, no coordinator), and one
#       `curl --parallel` process (libcurl's multi interface without a loop around it);
#   (b) a 1 GiB download without a checksum: `curl -o FILE` (the baseline, 1.00; the
#       target is >= 0.90 for the handler), the download handler alone (zs_bench_xfer
#       download: its file, no hashing) and through a swarm; and, once, the transfer
#       engine alone (the body read and dropped, no file) as the ceiling;
#   (c) the same download checked: `curl -o FILE && sha256sum FILE` (the baseline)
#       against the handler given the sha256 (hashing as the bytes arrive), alone and
#       through a swarm.
#
# (b) and (c) run in rounds (--rounds, default 3), each round every command once in
# turn, so that whatever else loads the machine falls on all of them; each round's
# ratio is to the baseline of the same round, and the figure given is the median of
# the rounds' ratios. Each figure also gets the CPU time (user + system) its process
# and children took, which a loaded machine moves less than the rates. Every download
# is checked (its length, and its digest where one is computed) and its file removed
# before the next. A swarm whose file zswarmd refuses, or whose tasks fail (a
# coordinator too old to send the handlers' settings), is reported as such with the
# reason. It never fails on a timing (STYLE rule 39); it exits non-zero only when it
# cannot run.
#   meson test -C BUILD --benchmark -v http
#   ZSWARMD=... ZSWARM_AGENT=... ZS_BENCH_XFER=... PYTHONPATH=tests/system \
#       bench/zs_http.py [--only downloads] [--rounds N]

import argparse
import collections
import json
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

import msgpack
import zmq

from fakes._http import Handler
from fakes.files import FileServer

# The fake answers in two writes, head then body: with Nagle's algorithm on, each answer
# on a kept-alive connection waits for the client's delayed ACK (40 ms), and that wait
# would be all these runs measure
Handler.disable_nagle_algorithm = True

VERSION = 1
READY_RE = re.compile(r"^zswarmd ready agents=(\S+) events=(\S+) control=(\S+)$")
MIB = 1 << 20
DOWNLOAD_TMO_MS = 600000  # a swarm's download task: far more than 1 GiB takes here


def binary(name):
    path = os.environ.get(name)
    if not path or not os.access(path, os.X_OK):
        sys.exit(f"zs_http: ${name} must name an executable (run through meson)")
    return path


# ---------------------------------------------------------------------------------------
# A swarm: zswarmd with one agent type, and a pipelined control client


class Swarm:
    def __init__(self, workdir, name, agent_type):
        self.path = os.path.join(workdir, f"{name}.yaml")
        with open(self.path, "w") as f:
            f.write(f"name: {name}\nbind: {{agents: \"tcp://127.0.0.1:*\", "
                    "events: \"tcp://127.0.0.1:*\", control: \"tcp://127.0.0.1:*\"}\n"
                    "tasks: {max_queue: 100000}\n"
                    f"agents:\n  - {agent_type}\n")
        self.out = os.path.join(workdir, f"{name}.stdout")
        self.err = os.path.join(workdir, f"{name}.stderr")
        env = dict(os.environ, ZSWARM_AGENT=binary("ZSWARM_AGENT"))
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.proc = subprocess.Popen([binary("ZSWARMD"), self.path], stdout=out,
                                         stderr=err, stdin=subprocess.DEVNULL, env=env)
        self.ctx = zmq.Context()
        self.sock = None
        self.rid = 0

    def start(self, seconds=20):
        """Wait for the ready line and one agent. Returns None, or why it could not."""
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            with open(self.out) as f:
                line = f.readline()
            if line.endswith("\n"):
                break
            if self.proc.poll() is not None:
                with open(self.err) as f:
                    return f"zswarmd exited {self.proc.returncode}: {f.read().strip()[-200:]}"
            time.sleep(0.01)
        match = READY_RE.match(line.strip())
        if not match:
            return "zswarmd printed no ready line"
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(match.group(3))
        while time.monotonic() < until:
            if self.request("status").get("n_agents", 0) >= 1:
                return None
            time.sleep(0.01)
        return "no agent registered"

    def send(self, t, **fields):
        self.rid += 1
        self.sock.send(msgpack.packb({"v": VERSION, "t": t, "rid": self.rid, **fields},
                                     use_bin_type=True))
        return self.rid

    def recv(self, timeout_ms=60000):
        if not self.sock.poll(timeout_ms):
            raise RuntimeError("no reply from zswarmd")
        return msgpack.unpackb(self.sock.recv(), raw=False)

    def request(self, t, **fields):
        rid = self.send(t, **fields)
        while True:
            msg = self.recv()
            if msg.get("rid") == rid:
                return msg

    def run_tasks(self, ttype, payload, count, window, **fields):
        """Submit count tasks with wait, window in flight (fields: more submit fields).

        Returns (seconds, failed, why): why is the last failed task's reason."""
        sent = ended = failed = 0
        why = ""
        start = time.monotonic()
        while ended < count:
            while sent < count and sent - ended < window:
                self.send("submit", ttype=ttype, payload=payload, wait=True, tries=1,
                          **fields)
                sent += 1
            msg = self.recv()
            if msg["t"] == "wait.ok":
                ended += 1
                if msg.get("state") != "completed":
                    failed += 1
                    why = msg.get("why") or msg.get("state", "")
            elif msg["t"] == "error":
                raise RuntimeError(f"submit refused: {msg!r}")
        return time.monotonic() - start, failed, why

    def stop(self):
        if self.sock:
            self.sock.close(0)
        self.ctx.term()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def swarm_tasks(workdir, name, agent_type, ttype, payload, count, window):
    """(requests/s, note) of count tasks through a swarm, or (None, why skipped)."""
    swarm = Swarm(workdir, name, agent_type)
    try:
        why = swarm.start()
        if why:
            return None, f"skipped: {why}"
        swarm.run_tasks(ttype, payload, min(count, 50), window)  # warm-up
        seconds, failed, why = swarm.run_tasks(ttype, payload, count, window)
        if failed == count:
            return None, f"every task failed: {why}"
        return count / seconds, f"{failed} failed: {why}" if failed else ""
    finally:
        swarm.stop()


# ---------------------------------------------------------------------------------------
# (a) requests per second


def curl_loop(url, count, conc):
    """count GETs by conc shells, each running `curl` in a loop."""
    each = count // conc
    script = f'for i in $(seq {each}); do curl -s -o /dev/null "{url}" || exit 1; done'
    start = time.monotonic()
    procs = [subprocess.Popen(["/bin/sh", "-c", script]) for _ in range(conc)]
    failed = sum(p.wait() != 0 for p in procs)
    return each * conc / (time.monotonic() - start), f"{failed} shells failed" if failed else ""


def curl_parallel(url, count, conc):
    """count GETs by one curl process, conc at once (libcurl's multi, as ours)."""
    argv = ["curl", "-s", "--no-progress-meter", "--parallel", "--parallel-max", str(conc)]
    for _ in range(count):
        argv += [url, "-o", "/dev/null"]
    start = time.monotonic()
    done = subprocess.run(argv, check=False)
    note = f"curl exited {done.returncode}" if done.returncode else ""
    return count / (time.monotonic() - start), note


def xfer_get(url, count, conc):
    out = subprocess.run([binary("ZS_BENCH_XFER"), "get", url, str(count), str(conc)],
                         capture_output=True, text=True, check=False).stdout
    match = re.search(r"([\d.]+) req/s, ([\d.]+) MB/s \((\d+) failed\)", out)
    if not match:
        return None, f"failed: {out.strip()}"
    value = float(match.group(2) if count == 1 else match.group(1))
    return value, f"{match.group(3)} failed" if match.group(3) != "0" else ""


def requests(workdir, fs, args):
    url = fs.url("/small.txt")
    rows = [("curl shell loop", *curl_loop(url, args.curl_requests, args.concurrency))]
    exec_type = (f"{{type: curl, count: 1, handler: exec, concurrency: {args.concurrency}, "
                 "command: [/bin/sh, -c, 'curl -s -o /dev/null \"$(cat)\"']}")
    rows.append(("exec agent running curl", *swarm_tasks(
        workdir, "exec", exec_type, "curl", url.encode(), args.curl_requests,
        args.concurrency)))
    http_type = (f"{{type: fetch, count: 1, handler: http, concurrency: {args.concurrency}, "
                 f"http: {{allow: [\"{fs.url('/')}\"]}}}}")
    rows.append(("http handler (swarm)", *swarm_tasks(
        workdir, "http", http_type, "fetch", url.encode(), args.requests, args.concurrency)))
    rows.append(("zs_xfer alone", *xfer_get(url, args.requests, args.concurrency)))
    rows.append(("curl --parallel", *curl_parallel(url, args.requests, args.concurrency)))
    return rows


# ---------------------------------------------------------------------------------------
# (b) and (c): one large download, without and with its SHA-256


def timed(argv):
    """(seconds, CPU seconds of the command and its children, CompletedProcess)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return seconds, cpu, done


class Download:
    """The 1 GiB file, where the runs write it, and what they must write."""

    def __init__(self, workdir, fs, mib):
        self.size = mib * MIB
        fs.add_generated("/big.bin", self.size, seed=11)
        self.url = fs.url("/big.bin")
        self.sha256 = fs.sha256("/big.bin")
        self.dir = os.path.join(workdir, "dl")
        os.mkdir(self.dir)
        self.prefix = fs.url("/")

    def path(self, name):
        return os.path.join(self.dir, name)

    def checked(self, name):
        """None when the file has the right length (then removed), else why not."""
        path = self.path(name)
        try:
            size = os.path.getsize(path)
        except OSError as e:
            return f"no file: {e.strerror}"
        os.unlink(path)
        return None if size == self.size else f"{size} bytes written, not {self.size}"


# One run: wall seconds and CPU seconds (None when the process is not this script's
# child, as a swarm's agent), or why it failed (then both None)
Run = collections.namedtuple("Run", "seconds cpu why")


def finished(dl, name, seconds, cpu, why=None):
    why = why or dl.checked(name)
    return Run(None, None, why) if why else Run(seconds, cpu, None)


def curl_o(dl):
    seconds, cpu, done = timed(["curl", "-s", "-o", dl.path("curl.bin"), dl.url])
    why = f"curl exited {done.returncode}" if done.returncode else None
    return finished(dl, "curl.bin", seconds, cpu, why)


def curl_o_sha256sum(dl):
    script = 'curl -s -o "$1" "$2" && sha256sum "$1"'
    argv = ["/bin/sh", "-c", script, "sh", dl.path("curl.bin"), dl.url]
    seconds, cpu, done = timed(argv)
    why = None
    if done.returncode:
        why = f"curl or sha256sum exited {done.returncode}"
    elif done.stdout.split()[:1] != [dl.sha256]:
        why = f"sha256sum printed {done.stdout.strip()!r}"
    return finished(dl, "curl.bin", seconds, cpu, why)


def handler_alone(dl, sha256):
    argv = [binary("ZS_BENCH_XFER"), "download", dl.url, dl.dir] + ([sha256] if sha256 else [])
    seconds, cpu, done = timed(argv)
    failed = done.returncode or " ok" not in done.stdout
    why = (done.stdout + done.stderr).strip() if failed else None
    return finished(dl, "bench.bin", seconds, cpu, why)


def handler_swarm(dl, swarm, sha256):
    """One task through swarm: a started Swarm, or why it could not start."""
    if isinstance(swarm, str):
        return Run(None, None, f"skipped: {swarm}")
    payload = {"url": dl.url, "path": "swarm.bin"}
    if sha256:
        payload["sha256"] = sha256
    seconds, failed, why = swarm.run_tasks("dl", json.dumps(payload).encode(), 1, 1,
                                           tmo=DOWNLOAD_TMO_MS)
    return finished(dl, "swarm.bin", seconds, None, f"failed: {why}" if failed else None)


def rounds(dl, swarm, count):
    """Every run once per round, in turn: {name: [Run, ...]}."""
    runs = {
        "curl -o": lambda: curl_o(dl),
        "download handler alone": lambda: handler_alone(dl, None),
        "download handler (swarm)": lambda: handler_swarm(dl, swarm, None),
        "curl -o && sha256sum": lambda: curl_o_sha256sum(dl),
        "handler alone, sha256": lambda: handler_alone(dl, dl.sha256),
        "handler (swarm), sha256": lambda: handler_swarm(dl, swarm, dl.sha256),
    }
    results = {name: [] for name in runs}
    for _ in range(count):
        for name, run in runs.items():
            results[name].append(run())
    return results


def median_text(values, form):
    values = [v for v in values if v is not None]
    return form.format(statistics.median(values)) if values else "-"


def round_table(title, dl, results, baseline, names, note):
    """Rates per round, the median of the rounds' ratios to the baseline, CPU time."""
    count = len(results[baseline])
    print(f"\n{title}\n  (MB/s per round; ratio: median of each round's ratio to its "
          "baseline; CPU s: median, user + system)")
    print(f"  {'':28} " + "".join(f"{f'round {i + 1}':>9}" for i in range(count)) +
          f" {'ratio':>7} {'CPU s':>6}  note")
    for name in [baseline] + names:
        runs = results[name]
        rates = "".join(f"{dl.size / r.seconds / 1e6:9.1f}" if r.seconds else f"{'-':>9}"
                        for r in runs)
        ratio = median_text([b.seconds / r.seconds
                             for b, r in zip(results[baseline], runs)
                             if b.seconds and r.seconds], "{:.2f}")
        cpu = median_text([r.cpu for r in runs], "{:.2f}")
        whys = sorted({r.why for r in runs if r.why})
        text = "; ".join(whys) if whys else note.get(name, "")
        print(f"  {name:28} {rates} {ratio:>7} {cpu:>6}  {text}")


def downloads(workdir, fs, args):
    dl = Download(workdir, fs, args.download_mib)
    dl_type = (f"{{type: dl, count: 1, handler: download, concurrency: 1, "
               f"download: {{allow: [\"{dl.prefix}\"], dir: \"{dl.dir}\"}}}}")
    swarm = Swarm(workdir, "dl", dl_type)
    try:
        why = swarm.start()
        results = rounds(dl, why or swarm, args.rounds)
    finally:
        swarm.stop()
    ceiling, note = xfer_get(dl.url, 1, 1)
    title = f"one {args.download_mib} MiB download from 127.0.0.1, {args.rounds} rounds"
    round_table(f"{title}, no checksum", dl, results, "curl -o",
                ["download handler alone", "download handler (swarm)"],
                {"download handler alone": "target >= 0.90"})
    if ceiling:
        print(f"  {'zs_xfer alone (no file)':28} {ceiling:9.1f}  once: the ceiling, "
              "body read and dropped")
    else:
        print(f"  {'zs_xfer alone (no file)':28} {'-':>9}  {note}")
    round_table(f"{title}, checked with its SHA-256", dl, results, "curl -o && sha256sum",
                ["handler alone, sha256", "handler (swarm), sha256"], {})


# ---------------------------------------------------------------------------------------


def table(title, unit, rows):
    base = rows[0][1]
    print(f"\n{title}")
    print(f"  {'':28} {unit:>12} {'ratio':>7}  note")
    for name, value, note in rows:
        if value is None:
            print(f"  {name:28} {'-':>12} {'-':>7}  {note}")
        else:
            ratio = f"{value / base:.2f}" if base else "-"
            print(f"  {name:28} {value:12.1f} {ratio:>7}  {note}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20000,
                        help="GETs of the http handler and zs_xfer runs")
    parser.add_argument("--curl-requests", type=int, default=1600,
                        help="GETs of the curl loop and the exec agent (slower)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--download-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of the downloads, each command once per round")
    parser.add_argument("--only", choices=["requests", "downloads"],
                        help="run one part (default: both)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="zs-bench-http-")
    try:
        with FileServer() as fs:
            if args.only != "downloads":
                fs.add("/small.txt", b"hello, world\n" * 8, content_type="text/plain")
                table(f"GETs of a 104-byte file at concurrency {args.concurrency}",
                      "req/s", requests(workdir, fs, args))
            if args.only != "requests":
                downloads(workdir, fs, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
