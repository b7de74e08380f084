#!/usr/bin/env bash
# Runs swarms/quickstart.yaml on a small real workload, prints the results and a summary,
# then shuts the swarm down cleanly. Usage: scripts/demo.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build}
ctl="$bin/zswarmctl"
work=$(mktemp -d)
pid=

cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid"; wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "==> starting zswarmd swarms/quickstart.yaml"
"$bin/zswarmd" swarms/quickstart.yaml >"$work/out" 2>"$work/log" &
pid=$!
for _ in $(seq 100); do
    grep -q '^zswarmd ready' "$work/out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/log" >&2; exit 1; }
    sleep 0.1
done
cat "$work/out"
for _ in $(seq 100); do
    agents=$("$ctl" --json status | grep -o '"n_agents":[0-9]*' | cut -d: -f2 || true)
    [ "${agents:-0}" -ge 4 ] && break
    sleep 0.1
done
"$ctl" agents

echo
echo "==> submitting 8 echo tasks, 2 sleeps, 1 failing task and 4 shell tasks"
ids=()
for word in alpha beta gamma delta epsilon zeta eta theta; do
    ids+=("$("$ctl" submit --type echo --payload "hello $word")")
done
ids+=("$("$ctl" submit --type sleep --payload 300)")
ids+=("$("$ctl" submit --type sleep --payload 200 --priority 5)")
ids+=("$("$ctl" submit --type fail --payload "this one fails on purpose" --retries 1)")
for n in 1 2 3 4; do
    ids+=("$(echo "task $n from the demo" | "$ctl" submit --type shell --payload -)")
done

echo
echo "==> results"
for id in "${ids[@]}"; do
    printf '%s: ' "$id"
    "$ctl" wait "$id" 2>&1 | tr '\n' ' ' || true
    echo
done

echo
echo "==> summary"
"$ctl" status
"$ctl" agents

echo
echo "==> shutting down"
"$ctl" shutdown
rc=0
wait "$pid" || rc=$?
pid=
tail -n 3 "$work/log"
echo "zswarmd exited with $rc"
exit $rc
