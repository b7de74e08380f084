#!/usr/bin/python3
# zs_http: what the http and download handlers cost against what people would run
# instead, against local servers (the FileServer fake of tests/system/fakes):
#
#   (a) GETs of a small file at concurrency 16: a `curl` shell loop (the baseline, 1.00),
#       an exec agent that runs curl per task, the http handler through a swarm, the
#       transfer engine alone (zs_bench_xfer get: zs_xfer, no coordinator), and one
#       `curl --parallel` process (libcurl's multi interface without a loop around it);
#   (b) one 1 GiB download: `curl -o` (the baseline, 1.00; the target is >= 0.90 for
#       the handler), the transfer engine alone (the body read and dropped), the
#       download handler alone (zs_bench_xfer download: its file, its SHA-256) and
#       through a swarm.
#
# Every figure is printed with its ratio to the baseline of the same run, so that a
# slow or loaded machine moves both. A swarm whose file zswarmd refuses (a build whose
# swarm files have no http:/download: section yet) is reported as skipped. It never
# fails on a timing (STYLE rule 39); it exits non-zero only when it cannot run.
#   meson test -C BUILD --benchmark -v http
#   ZSWARMD=... ZSWARM_AGENT=... ZS_BENCH_XFER=... PYTHONPATH=tests/system bench/zs_http.py

import argparse
import os
import re
import shutil
import signal
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

    def run_tasks(self, ttype, payload, count, window):
        """Submit count tasks with wait, window in flight. Returns (seconds, failed)."""
        sent = ended = failed = 0
        start = time.monotonic()
        while ended < count:
            while sent < count and sent - ended < window:
                self.send("submit", ttype=ttype, payload=payload, wait=True, tries=1)
                sent += 1
            msg = self.recv()
            if msg["t"] == "wait.ok":
                ended += 1
                failed += msg.get("state") != "completed"
            elif msg["t"] == "error":
                raise RuntimeError(f"submit refused: {msg!r}")
        return time.monotonic() - start, failed

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
        seconds, failed = swarm.run_tasks(ttype, payload, count, window)
        return count / seconds, f"{failed} failed" if failed else ""
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
# (b) one large download


def timed(argv):
    start = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return time.monotonic() - start, done


def downloads(workdir, fs, args):
    size = args.download_mib * MIB
    fs.add_generated("/big.bin", size, seed=11)
    url = fs.url("/big.bin")
    target = os.path.join(workdir, "dl")
    os.mkdir(target)
    rows = []
    seconds, done = timed(["curl", "-s", "-o", os.path.join(target, "curl.bin"), url])
    rows.append(("curl -o", size / seconds / 1e6 if done.returncode == 0 else None,
                 "" if done.returncode == 0 else f"curl exited {done.returncode}"))
    os.unlink(os.path.join(target, "curl.bin"))
    value, note = xfer_get(url, 1, 1)
    rows.append(("zs_xfer alone", value, note or "no file, no SHA-256"))
    seconds, done = timed([binary("ZS_BENCH_XFER"), "download", url, target])
    ok = done.returncode == 0
    rows.append(("download handler alone", size / seconds / 1e6 if ok else None,
                 "with SHA-256" if ok else done.stdout.strip()))
    if ok:
        os.unlink(os.path.join(target, "bench.bin"))
    dl_type = (f"{{type: dl, count: 1, handler: download, concurrency: 1, "
               f"download: {{allow: [\"{fs.url('/')}\"], dir: \"{target}\"}}}}")
    swarm = Swarm(workdir, "dl", dl_type)
    try:
        why = swarm.start()
        if why:
            rows.append(("download handler (swarm)", None, f"skipped: {why}"))
        else:
            seconds, failed = swarm.run_tasks("dl", url.encode(), 1, 1)
            rows.append(("download handler (swarm)", size / seconds / 1e6,
                         "failed" if failed else "with SHA-256"))
    finally:
        swarm.stop()
    return rows


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
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="zs-bench-http-")
    try:
        with FileServer() as fs:
            fs.add("/small.txt", b"hello, world\n" * 8, content_type="text/plain")
            table(f"GETs of a 104-byte file at concurrency {args.concurrency}", "req/s",
                  requests(workdir, fs, args))
            table(f"one {args.download_mib} MiB download", "MB/s",
                  downloads(workdir, fs, args))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
