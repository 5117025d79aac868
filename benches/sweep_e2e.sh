#!/usr/bin/env bash
# `fleetdash sweep` of N loopback devices end to end (process start to exit: inventory
# load, sockets, the sweep, the table) against `fping -c1 -q -i 0 -t 1000` on the same
# addresses, both as whole processes under hyperfine in the same run. Loopback only
# (127.21.0.0/16, as `fleetdash bench`). Needs root (or ping_group_range) for ICMP.
#
#   benches/sweep_e2e.sh          # N=10000 RUNS=10; target: ratio <= 0.8
set -euo pipefail
N=${N:-10000}
RUNS=${RUNS:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
for tool in fping hyperfine; do
    command -v "$tool" >/dev/null || { echo "SKIPPED: $tool is not installed"; exit 0; }
done
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN=$CARGO_TARGET_DIR/release/fleetdash
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 - "$N" "$WORK" <<'PY'
import sys
n, work = int(sys.argv[1]), sys.argv[2]
addrs = [f"127.21.{(i + 1) // 256}.{(i + 1) % 256}" for i in range(n)]
open(f"{work}/hosts", "w").write("\n".join(addrs) + "\n")
lines = ["defaults:", "  probe: icmp", "devices:"]
for i, a in enumerate(addrs):
    lines += [f"- name: d{i}", f"  host: {a}"]
open(f"{work}/inventory.yaml", "w").write("\n".join(lines) + "\n")
PY
"$BIN" sweep "$WORK/inventory.yaml" --rate 0 --json >"$WORK/out.jsonl" || true
up=$(grep -c '"up":true\|"state":"up"' "$WORK/out.jsonl" || true)
fping -c1 -q -i 0 -t 1000 -f "$WORK/hosts" 2>"$WORK/fping.txt" || true
fup=$(grep -c 'xmt/rcv/%loss = 1/1/' "$WORK/fping.txt" || true)
echo "== $N addresses: fleetdash sweep saw $up up, fping $fup replies (load: $(cut -d' ' -f1-3 /proc/loadavg))"
hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$WORK/h.json" \
    -n "fleetdash sweep" "$BIN sweep $WORK/inventory.yaml --rate 0" \
    -n "fping -c1 -i 0" "fping -c1 -q -i 0 -t 1000 -f $WORK/hosts" \
    --ignore-failure --output null
python3 - "$WORK/h.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
fd, fp = r["fleetdash sweep"], r["fping -c1 -i 0"]
print(f'fleetdash sweep: {1e3*fd["mean"]:.1f} ms mean ({1e3*fd["min"]:.1f}-{1e3*fd["max"]:.1f}), '
      f'fping: {1e3*fp["mean"]:.1f} ms mean ({1e3*fp["min"]:.1f}-{1e3*fp["max"]:.1f}); '
      f'ratio {fd["mean"]/fp["mean"]:.2f} (median {fd["median"]/fp["median"]:.2f}; target <= 0.8)')
PY
