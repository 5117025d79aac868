#!/usr/bin/env bash
# The weekly fleet jobs on 1,000 lab devices, end to end as a user runs them (release build):
#   backup twice (the second must commit nothing), cabling against the lab's own plan, and
#   discovery of a 127.x /16 (the lab's devices among 65,536 addresses) next to `fping -g`
#   on the same range. Loopback only (127.26.x.y by default).
#
#   benches/jobs/run.sh            # N=1000 CONC=200
#
# Targets: backup < 5 s, cabling < 3 s; discovery's ratio to fping is reported.
set -euo pipefail

N=${N:-1000}
CONC=${CONC:-200}
BASE=${BASE:-127.26.0.1}
PORT=${PORT:-2222}
PASSWORD=bench-pw-5519
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

"$BIN" lab --devices "$N" --scenario benches/jobs/fleet.yaml --base "$BASE" --port "$PORT" --password "$PASSWORD" \
    --write-inventory "$WORK/inventory.yaml" --write-known-hosts "$WORK/known_hosts" \
    --write-cabling "$WORK/cabling.yaml" >"$WORK/lab.log" 2>&1 &
LAB=$!
for _ in $(seq 1 300); do
    grep -q "cabling written" "$WORK/lab.log" && break
    kill -0 "$LAB" 2>/dev/null || { cat "$WORK/lab.log" >&2; exit 1; }
    sleep 0.1
done
export FLEETDASH_PASSWORD=$PASSWORD
export XDG_STATE_HOME=$WORK/state
common=(--concurrency "$CONC" --known-hosts "$WORK/known_hosts" --host-keys strict --journal "$WORK/audit.jsonl")

timed() { # label command...
    local label=$1
    shift
    /usr/bin/time -f '%e %U %S' -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || true
    # GNU time puts "Command exited with non-zero status N" first when the job fails.
    read -r wall user sys < <(tail -1 "$WORK/time")
    printf '%-34s wall %6.2f s  cpu %5.2f s  %s\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" \
        "$(grep -E 'backup of|cabling|found' "$WORK/err" | tail -1)"
}

timed "backup (first run)" "$BIN" backup "$WORK/inventory.yaml" --to "$WORK/repo" "${common[@]}"
timed "backup (nothing changed)" "$BIN" backup "$WORK/inventory.yaml" --to "$WORK/repo" "${common[@]}"
echo "   commits in the repository: $(git -C "$WORK/repo" rev-list --count HEAD)"
timed "cabling (the lab's own plan)" "$BIN" cabling "$WORK/inventory.yaml" --expect "$WORK/cabling.yaml" "${common[@]}"

RANGE=${BASE%.*.*}.0.0/16
timed "discover $RANGE --rate 0" "$BIN" discover "$RANGE" --ports "$PORT" --rate 0 --concurrency 1024
found=$(grep -c . "$WORK/out" || true)
d_wall=$(tail -1 "$WORK/time" | cut -d' ' -f1)
if command -v fping >/dev/null; then
    /usr/bin/time -f '%e' -o "$WORK/ftime" fping -g "$RANGE" -c1 -q -i 0 -t 500 >/dev/null 2>&1 || true
    f_wall=$(tail -1 "$WORK/ftime")
    printf '%-34s wall %6.2f s  (discover/fping: %.2f; %s lines from discover)\n' \
        "fping -g $RANGE -c1 -i 0" "$f_wall" "$(echo "$d_wall / $f_wall" | bc -l)" "$found"
fi
