#!/usr/bin/env bash
# fleetdash `exec` of one command on 1,000 lab devices (concurrency 200) versus Python
# asyncssh doing the same against the same lab. Loopback only (127.24.x.y by default).
#
#   benches/exec/run.sh            # N=1000 CONC=200; MIXED=0 skips the network-platform run,
#                                  # ALL=0 the run with every platform (`lab --platforms all`),
#                                  # ASYNCSSH=0 the asyncssh comparison
#
# Targets: 1,000 devices in under 2 s, >= 10x asyncssh's throughput, <= 2 ms client CPU per
# session. Client CPU is the client process's user+sys time (/usr/bin/time), lab excluded.
set -euo pipefail

N=${N:-1000}
CONC=${CONC:-200}
BASE=${BASE:-127.24.0.1}
PORT=${PORT:-2222}
MIXED=${MIXED:-1}
ALL=${ALL:-1}
ASYNCSSH=${ASYNCSSH:-1}
PLATFORMS=${PLATFORMS:-all}   # the ALL run's --platforms
PASSWORD=bench-pw-4471
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

echo "== building (release)"
cargo build --release --quiet
BIN=$CARGO_TARGET_DIR/release/fleetdash

WORK=$(mktemp -d)
LAB=
cleanup() {
    [ -n "$LAB" ] && kill "$LAB" 2>/dev/null && wait "$LAB" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

start_lab() { # scenario [lab flags…]
    local scenario=$1
    shift
    "$BIN" lab --devices "$N" --scenario "$scenario" "$@" --base "$BASE" --port "$PORT" \
        --password "$PASSWORD" --write-inventory "$WORK/inventory.yaml" \
        --write-known-hosts "$WORK/known_hosts" >"$WORK/lab.log" 2>&1 &
    LAB=$!
    for _ in $(seq 1 300); do
        grep -q "known_hosts written" "$WORK/lab.log" && return 0
        kill -0 "$LAB" 2>/dev/null || { cat "$WORK/lab.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "lab did not start" >&2
    exit 1
}

stop_lab() {
    kill "$LAB" 2>/dev/null && wait "$LAB" 2>/dev/null || true
    LAB=
}

export FLEETDASH_PASSWORD=$PASSWORD

fleetdash_exec() { # label command...
    local label=$1
    shift
    /usr/bin/time -f '%e %U %S' -o "$WORK/time" "$BIN" exec "$WORK/inventory.yaml" \
        --limit all --json --concurrency "$CONC" --known-hosts "$WORK/known_hosts" \
        --host-keys strict --journal "$WORK/audit.jsonl" -- "$@" >"$WORK/out.jsonl" \
        2>"$WORK/err" || true
    read -r wall user sys < <(tail -n 1 "$WORK/time")
    local ok
    ok=$(grep -c '"ok":true' "$WORK/out.jsonl" || true)
    python3 - "$label" "$wall" "$user" "$sys" "$ok" "$N" <<'PY'
import json, sys
label, wall, user, sys_, ok, n = sys.argv[1:]
cpu = float(user) + float(sys_)
print(json.dumps({"client": label, "devices": int(n), "ok": int(ok), "wall_s": float(wall),
                  "cpu_s": round(cpu, 3)}))
PY
}

summarise() { python3 benches/exec/report.py line "$1"; }

echo "== lab: $N Linux devices on $BASE:$PORT"
start_lab benches/exec/linux.yaml
FD=$(fleetdash_exec fleetdash uname -a)
summarise "$FD"
grep -v '"ok":true' "$WORK/out.jsonl" | head -n 3 || true
# A warm second run: the known_hosts file and page cache are hot for both clients alike.
FD2=$(fleetdash_exec "fleetdash (again)" uname -a)
summarise "$FD2"

if [ "$ASYNCSSH" = 1 ]; then
    echo "== asyncssh (virtualenv in $CARGO_TARGET_DIR/asyncssh-venv)"
    VENV=$CARGO_TARGET_DIR/asyncssh-venv
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet asyncssh
    fi
    PY=$("$VENV/bin/python" benches/exec/asyncssh_bench.py --base "$BASE" --count "$N" \
        --port "$PORT" --concurrency "$CONC" --password "$PASSWORD" \
        --known-hosts "$WORK/known_hosts" --command "uname -a")
    summarise "$PY"

    python3 benches/exec/report.py compare "$FD" "$PY"
fi
stop_lab

if [ "$MIXED" = 1 ]; then
    echo "== lab: $N mixed devices (IOS, XE, EOS, Junos over PTY shells; Linux over exec)"
    start_lab benches/exec/mixed.yaml
    MX=$(fleetdash_exec "fleetdash mixed" show version)
    echo "   (the 100 Linux hosts answer \"show: command not found\", exit 127: expected failures)"
    summarise "$MX"
    grep -v '"ok":true' "$WORK/out.jsonl" | head -n 3 || true
    stop_lab
fi

if [ "$ALL" = 1 ]; then
    echo "== lab: $N devices, every platform the lab simulates (lab --platforms $PLATFORMS)"
    start_lab benches/exec/mixed.yaml --platforms "$PLATFORMS"
    AL=$(fleetdash_exec "fleetdash all platforms" show version)
    echo "   (platforms whose identification is not \"show version\" answer with their error: expected"
    echo "    failures, but whole sessions; ms/session below divides by ok sessions only)"
    summarise "$AL"
    python3 - "$WORK/inventory.yaml" "$WORK/out.jsonl" <<'PY'
import collections, json, re, sys
platform = {}
name = None
for line in open(sys.argv[1]):
    m = re.match(r"\s*- name: (\S+)", line)
    if m:
        name = m.group(1)
    m = re.match(r"\s*platform: (\S+)", line)
    if m and name:
        platform[name] = m.group(1)
count = collections.Counter()
ok = collections.Counter()
for line in open(sys.argv[2]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    dev = r.get("name")
    if dev in platform:
        count[platform[dev]] += 1
        ok[platform[dev]] += bool(r.get("ok"))
for p in sorted(count):
    print(f"   {p:<20} {ok[p]:>4}/{count[p]:<4} ok")
PY
    stop_lab
fi
