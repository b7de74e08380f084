# zswarmd --check: a valid swarm file exits 0; an invalid one exits 2 and names the
# file, line and column of the problem.

import os
import re
import subprocess

import pytest

from conftest import binary, echo_type, swarm_yaml

VALID = swarm_yaml("checked", [
    echo_type(),
    "{type: shell, count: 2, handler: exec, command: [/bin/sh, -c, 'cat'], concurrency: 2}",
], tasks={"timeout_ms": 5000, "retries": 1})


def check(workdir, text, name="swarm.yaml"):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(text)
    proc = subprocess.run([binary("ZSWARMD"), "--check", path], capture_output=True,
                          text=True, timeout=30)
    return path, proc


def test_valid_file_exits_0(workdir):
    path, proc = check(workdir, VALID)
    assert proc.returncode == 0, f"--check of a valid file: {proc.returncode} {proc.stderr!r}"
    assert proc.stdout == "", f"--check printed on stdout: {proc.stdout!r}"


def marked(text):
    """Text with one '@' marking where the error is; returns (text, line, column)."""
    before, after = text.split("@", 1)
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    return before + after, line, column


CASES = {
    "count not an integer":
        "name: x\nagents:\n  - {type: echo, count: @abc}\n",
    "count out of range":
        "name: x\nagents:\n  - type: echo\n    count: @1001\n",
    "unknown key":
        "name: x\n@colour: blue\nagents:\n  - {type: echo}\n",
    "unknown handler":
        "name: x\nagents:\n  - {type: echo, handler: @telepathy}\n",
    "heartbeat below range":
        "name: x\nheartbeat: {interval_ms: @1}\nagents:\n  - {type: echo}\n",
    "exec without command":
        "name: x\nagents:\n  - @{type: sh, handler: exec}\n",
    "yaml syntax":
        "name: x\nagents:\n  - {type: echo, count: 1\n@",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_file_exits_2_with_location(workdir, case):
    text, line, column = marked(CASES[case])
    path, proc = check(workdir, text)
    assert proc.returncode == 2, (
        f"{case}: expected exit 2, got {proc.returncode}: {proc.stderr!r}")
    match = re.search(rf"^{re.escape(path)}:(\d+):(\d+): (.+)$", proc.stderr, re.M)
    assert match, f"{case}: no '{path}:LINE:COL: message' in {proc.stderr!r}"
    got = (int(match.group(1)), int(match.group(2)))
    if case == "yaml syntax":
        assert got[0] >= line - 1, f"{case}: location {got}, error near line {line}"
    else:
        assert got == (line, column), (
            f"{case}: location {got}, expected {(line, column)}: {match.group(0)!r}")


def test_missing_file_exits_2(workdir):
    path = os.path.join(workdir, "absent.yaml")
    proc = subprocess.run([binary("ZSWARMD"), "--check", path], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2, f"{proc.returncode} {proc.stderr!r}"
    assert proc.stderr.startswith(f"{path}: "), f"message should name the file: {proc.stderr!r}"


DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs")


def whole_swarm_files(doc):
    """The yaml blocks of a doc that are whole swarm files, as users copy them."""
    with open(os.path.join(DOCS, doc)) as f:
        blocks = re.findall(r"```yaml\n(.*?)```", f.read(), re.S)
    return [b for b in blocks if re.search(r"^name: ", b, re.M) and
            re.search(r"^agents:", b, re.M)]


@pytest.mark.parametrize("doc", ["llm.md", "http.md"])
def test_swarm_files_in_docs_are_valid(workdir, doc):
    blocks = whole_swarm_files(doc)
    assert blocks, f"docs/{doc} has no whole swarm file to copy"
    for i, text in enumerate(blocks):
        _, proc = check(workdir, text, name=f"doc{i}.yaml")
        assert proc.returncode == 0, f"docs/{doc} block {i}: {proc.stderr}\n{text}"
