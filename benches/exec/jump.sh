#!/usr/bin/env bash
# fleetdash `exec` of one command on 1,000 lab devices behind one bastion (a lab device on
# its own address), next to the same run without the bastion. Loopback only.
#
#   benches/exec/jump.sh           # N=1000 CONC=200
#
# Reports wall time and the client's CPU (user+sys of the fleetdash process, labs
# excluded), and the TCP connections the bastion accepted (from its lab's log at exit).
set -euo pipefail

N=${N:-1000}
CONC=${CONC:-200}
BASE=${BASE:-127.26.0.1}
BASTION=${BASTION:-127.27.0.1}
PORT=${PORT:-2222}
PASSWORD=bench-pw-4471
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

echo "== building (release)"
cargo build --release --quiet
BIN=$CARGO_TARGET_DIR/release/fleetdash

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

start_lab() { # name devices base
    "$BIN" lab --devices "$2" --scenario benches/exec/linux.yaml --base "$3" --port "$PORT" \
        --password "$PASSWORD" --write-inventory "$WORK/$1.yaml" \
        --write-known-hosts "$WORK/$1.known_hosts" >"$WORK/$1.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 300); do
        grep -q "known_hosts written" "$WORK/$1.log" && return 0
        sleep 0.1
    done
    echo "lab $1 did not start" >&2
    exit 1
}

export FLEETDASH_PASSWORD=$PASSWORD
start_lab devices "$N" "$BASE"
start_lab bastion 1 "$BASTION"
cat "$WORK/devices.known_hosts" "$WORK/bastion.known_hosts" >"$WORK/known_hosts"
# The same devices, each with `jump: bastion-1` (from `defaults`); the bastion itself none.
sed 's/^defaults:$/defaults:\n  jump: bastion-1/' "$WORK/devices.yaml" >"$WORK/jump.yaml"
printf -- '- {name: bastion-1, host: %s, port: %s, platform: linux, jump: none}\n' \
    "$BASTION" "$PORT" >>"$WORK/jump.yaml"

run() { # label inventory
    /usr/bin/time -f '%e %U %S' -o "$WORK/time" "$BIN" exec "$2" --limit 'all:!bastion-1' \
        --json --concurrency "$CONC" --known-hosts "$WORK/known_hosts" --host-keys strict \
        --journal "$WORK/audit.jsonl" -- uname -a >"$WORK/out.jsonl" 2>"$WORK/err" || true
    read -r wall user sys < <(tail -n 1 "$WORK/time")
    ok=$(grep -c '"ok":true' "$WORK/out.jsonl" || true)
    printf '%-16s devices %s ok %s wall %ss client cpu %.2fs\n' "$1" "$N" "$ok" "$wall" \
        "$(echo "$user + $sys" | bc)"
    grep -v '"ok":true' "$WORK/out.jsonl" | head -n 3 || true
    sleep 1.2
    echo "   bastion lab so far: $(tail -n 1 "$WORK/bastion.log")"
}

run direct "$WORK/devices.yaml"
run "via bastion" "$WORK/jump.yaml"
run "via bastion" "$WORK/jump.yaml"
