#!/usr/bin/env bash
# A scrape of 10,000 devices: `fleetdash serve` probing N loopback addresses
# (127.26.0.0/16 by default, ICMP or the TCP fallback) with two tag labels and a vantage,
# then hyperfine timing `curl /metrics` and the body's size (plain and gzip). Loopback only.
#
#   benches/metrics/run.sh          # N=10000 PORT=9799
set -euo pipefail

N=${N:-10000}
PORT=${PORT:-9799}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

echo "== building (release)"
cargo build --release --quiet
BIN=$CARGO_TARGET_DIR/release/fleetdash

WORK=$(mktemp -d)
SERVE=
cleanup() {
    [ -n "$SERVE" ] && kill "$SERVE" 2>/dev/null && wait "$SERVE" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

# N devices on 127.26.x.y, over 10 sites and 4 roles.
python3 - "$N" >"$WORK/inventory.yaml" <<'PY'
import sys
n = int(sys.argv[1])
print("devices:")
for i in range(n):
    a, b = divmod(i + 1, 250)
    print(f"  - {{name: dev{i:05d}, host: 127.26.{a}.{b + 1}, "
          f"tags: {{site: site{i % 10}, role: role{i % 4}}}}}")
PY

"$BIN" serve "$WORK/inventory.yaml" --metrics "127.0.0.1:$PORT" --metrics-labels site,role \
    --vantage bench --interval 5s 2>"$WORK/serve.log" &
SERVE=$!
URL="http://127.0.0.1:$PORT/metrics"
echo "== waiting for every device to be known"
for _ in $(seq 1 600); do
    if curl -sf "$URL" -o "$WORK/body" 2>/dev/null \
        && grep -q '^fleetdash_devices{state="unknown"} 0$' "$WORK/body"; then
        break
    fi
    kill -0 "$SERVE" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
    sleep 0.2
done
grep -q '^fleetdash_devices{state="unknown"} 0$' "$WORK/body" || { echo "devices still unknown" >&2; exit 1; }

echo "== body"
echo "devices: $N"
echo "series lines: $(grep -vc '^#' "$WORK/body")"
echo "bytes: $(wc -c <"$WORK/body")"
echo "bytes gzip (as served to Accept-Encoding: gzip): $(curl -sf -H 'Accept-Encoding: gzip' "$URL" | wc -c)"
echo "== scrape time (hyperfine, curl to /dev/null): plain, then gzip as Prometheus asks"
hyperfine --warmup 3 --runs 30 -N "curl -sf -o /dev/null $URL" \
    "curl -sf -o /dev/null -H 'Accept-Encoding: gzip' $URL"
echo "== serve's own CPU so far: $(ps -o times= -p "$SERVE") s"
