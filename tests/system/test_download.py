# The download handler through the whole system (docs/http.md): a URL to a file in the
# type's dir with its sha256 checked, a download killed with kill -9 mid-transfer that
# the retry resumes with a Range request, a checksum mismatch that fails clearly, and
# paths and URLs that are refused.
#
# Servers are the local FileServer fake (tests/system/fakes/files.py) on 127.0.0.1.

import hashlib
import json
import os
import signal

import pytest

from conftest import swarm_yaml, wait_until, yaml_flow
from fakes.files import FileServer

MIB = 1 << 20


def dl_type(allow, directory, count=1, concurrency=2, **download):
    """A download agent type named dl, writing into directory."""
    section = {"allow": list(allow), "dir": directory, **download}
    return (f"{{type: dl, count: {count}, handler: download, concurrency: {concurrency}, "
            f"download: {yaml_flow(section)}}}")


@pytest.fixture
def files():
    with FileServer() as fs:
        fs.add_generated("/data.bin", 5 * MIB + 123, seed=3)
        yield fs


@pytest.fixture
def dl_dir(workdir):
    path = os.path.join(workdir, "downloads")
    os.mkdir(path)
    return path


@pytest.fixture
def dl_swarm(make_swarm, files, dl_dir):
    swarm = make_swarm(swarm_yaml("dl", [dl_type([files.url("/")], dl_dir)]))
    swarm.wait_agents(1, atype="dl")
    return swarm


def payload(**fields):
    return json.dumps(fields)


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MIB), b""):
            digest.update(block)
    return digest.hexdigest()


def test_download_writes_the_checked_file(dl_swarm, files, dl_dir):
    client = dl_swarm.client()
    want = files.sha256("/data.bin")
    done = client.run("dl", payload(url=files.url("/data.bin"), path="sub/data.bin",
                                    sha256=want))
    assert done["state"] == "completed" and done["status"] == "ok", f"{done!r}"
    out = json.loads(done["stdout"])
    assert out == {"path": "sub/data.bin", "bytes": 5 * MIB + 123, "sha256": want,
                   "resumed": 0}, out
    target = os.path.join(dl_dir, "sub", "data.bin")
    assert file_sha256(target) == want
    assert not os.path.exists(os.path.join(dl_dir, "sub", ".data.bin.part"))


def test_checksum_mismatch_fails_clearly(dl_swarm, files, dl_dir):
    client = dl_swarm.client()
    wrong = "ab" * 32
    done = client.run("dl", payload(url=files.url("/data.bin"), sha256=wrong), tries=1)
    assert done["state"] == "dead", f"{done!r}"
    assert done["why"] == f"checksum: expected {wrong} got {files.sha256('/data.bin')}", (
        f"{done!r}")
    # Neither the file nor bytes a retry could trust are left
    assert os.listdir(dl_dir) == [], os.listdir(dl_dir)


def test_kill_9_mid_transfer_resumes_with_range(make_swarm, files, dl_dir):
    files.add_generated("/big.bin", 64 * MIB, seed=9)
    files.throttle("/big.bin", 4 * MIB)      # 16 s in all: the kill comes well before
    swarm = make_swarm(swarm_yaml("resume", [dl_type([files.url("/")], dl_dir)]))
    (victim,) = swarm.wait_agents(1, atype="dl")
    client = swarm.client()
    want = files.sha256("/big.bin")
    rid = client.send("submit", ttype="dl", wait=True, tries=3,
                      payload=payload(url=files.url("/big.bin"), sha256=want).encode())
    assert client.reply(rid)["t"] == "submit.ok"
    part = os.path.join(dl_dir, ".big.bin.part")
    wait_until(lambda: os.path.exists(part) and os.path.getsize(part) >= 2 * MIB, 30,
               "2 MiB of the download in its partial file")
    os.kill(victim["pid"], signal.SIGKILL)
    kept = os.path.getsize(part)
    files.clear_scripts("/big.bin")          # the resumed attempt runs at full speed
    done = client.reply(rid, seconds=60)
    assert done["t"] == "wait.ok" and done["state"] == "completed", (
        f"{done!r}\n{swarm.log_tail(40)}")
    assert done["att"] >= 2, f"the kill should have cost an attempt: {done!r}"
    out = json.loads(done["stdout"])
    assert out["sha256"] == want and out["bytes"] == 64 * MIB, out
    assert out["resumed"] >= kept, f"resumed {out['resumed']} < {kept} kept: {out!r}"
    ranges = [r.headers.get("range") for r in files.requests if r.path == "/big.bin"]
    assert f"bytes={out['resumed']}-" in ranges, f"no Range for the resume: {ranges!r}"
    assert file_sha256(os.path.join(dl_dir, "big.bin")) == want


def test_refusals(dl_swarm, files, dl_dir):
    client = dl_swarm.client()
    with FileServer() as other:
        other.add("/x.bin", b"x")
        files.redirect("/away.bin", other.url("/x.bin"))
        cases = [
            (payload(url="file:///etc/passwd", path="p"), "refused: "),
            (payload(url=other.url("/x.bin")), "refused: "),
            (payload(url=files.url("/away.bin")), "refused: redirect 1: "),
            (payload(url=files.url("/data.bin"), path="../escape.bin"), "refused: "),
            (payload(url=files.url("/data.bin"), path="/etc/escape.bin"), "refused: "),
            (payload(url=files.url("/data.bin"), path=".hidden"), "refused: "),
            (payload(url=files.url("/data.bin"), nope=1), "payload: "),
        ]
        for body, why in cases:
            done = client.run("dl", body, tries=1)
            assert done["state"] == "dead", f"{body}: {done!r}"
            assert done["why"].startswith(why), f"{body}: {done!r}"
        assert not other.requests, f"a refused URL was fetched: {other.requests!r}"
    assert os.listdir(dl_dir) == [], os.listdir(dl_dir)
