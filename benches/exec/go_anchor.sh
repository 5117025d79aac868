#!/usr/bin/env bash
# fleetdash `exec` against the Go anchor: a plain client on golang.org/x/crypto/ssh
# (benches/exec/goclient) running one command on the same N lab devices, concurrency 200,
# key auth (ed25519), known_hosts checked, in the same run, ROUNDS rounds alternating.
# Loopback only (127.24.x.y by default).
#
#   benches/exec/go_anchor.sh        # N=1000 CONC=200 ROUNDS=5
#
# Both with the same key exchange (curve25519-sha256: Go's default; fleetdash through
# ssh_config `KexAlgorithms curve25519-sha256`), and fleetdash once more with its default
# (the post-quantum hybrid mlkem768x25519-sha256). Wall time and client CPU (user+sys of
# the client process, /usr/bin/time; the lab is another process) per session, and the
# ratios fleetdash/Go (target <= 0.9). fleetdash writes its audit journal as always; the
# script checks it holds a start and an end line for every device.
#
# The Go client is built offline from Debian's golang-go and golang-golang-x-crypto-dev
# (GOPATH=/usr/share/gocode, GO111MODULE=off) into $CARGO_TARGET_DIR/go-anchor; where they
# are missing the script says so and stops.
set -euo pipefail

N=${N:-1000}
CONC=${CONC:-200}
ROUNDS=${ROUNDS:-5}
BASE=${BASE:-127.24.0.1}
PORT=${PORT:-2222}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

GOCRYPTO=/usr/share/gocode/src/golang.org/x/crypto/ssh
if ! command -v go >/dev/null || [ ! -d "$GOCRYPTO" ]; then
    echo "SKIPPED: the Go anchor needs golang-go and golang-golang-x-crypto-dev" \
        "(apt-get install golang-go golang-golang-x-crypto-dev)"
    exit 0
fi

if [ -z "${BIN:-}" ]; then
    echo "== building (release)"
    cargo build --release --quiet
    BIN=$CARGO_TARGET_DIR/release/fleetdash
fi
GODIR=$CARGO_TARGET_DIR/go-anchor
mkdir -p "$GODIR"
echo "== building the Go anchor ($(go version | cut -d' ' -f3), offline)"
(cd benches/exec/goclient && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= \
    GOCACHE="$GODIR/cache" go build -o "$GODIR/goclient" .)
GOCLIENT=$GODIR/goclient

WORK=$(mktemp -d)
LAB=
cleanup() {
    if [ -n "$LAB" ]; then kill "$LAB" 2>/dev/null; wait "$LAB" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

ssh-keygen -q -t ed25519 -N "" -C bench -f "$WORK/key"
"$BIN" lab --devices "$N" --scenario benches/exec/linux.yaml --base "$BASE" --port "$PORT" \
    --authorized-keys "$WORK/key.pub" --password "unused-$RANDOM$RANDOM" \
    --write-inventory "$WORK/lab.yaml" --write-known-hosts "$WORK/known_hosts" \
    >"$WORK/lab.log" 2>&1 &
LAB=$!
for _ in $(seq 1 300); do
    grep -q "known_hosts written" "$WORK/lab.log" && break
    kill -0 "$LAB" 2>/dev/null || { cat "$WORK/lab.log" >&2; exit 1; }
    sleep 0.1
done
# Key auth for fleetdash too: the lab's inventory names a password variable.
sed "s|password_env: FLEETDASH_PASSWORD|key_file: $WORK/key|" "$WORK/lab.yaml" \
    >"$WORK/inventory.yaml"
printf 'Host *\n  KexAlgorithms curve25519-sha256\n' >"$WORK/curve25519.conf"
printf '' >"$WORK/default.conf"

timed() { # out-file command… ; prints "wall cpu"
    local out=$1
    shift
    /usr/bin/time -f '%e %U %S' -o "$WORK/time" "$@" >"$out" 2>"$WORK/err" || true
    read -r wall user sys < <(tail -n 1 "$WORK/time")
    echo "$wall $(python3 -c "print(round($user + $sys, 3))")"
}

go_run() {
    timed "$WORK/go.json" "$GOCLIENT" -base "$BASE" -count "$N" -port "$PORT" \
        -concurrency "$CONC" -key "$WORK/key" -known-hosts "$WORK/known_hosts" \
        -kex curve25519-sha256 -command "uname -a"
    grep -o '"ok":[0-9]*' "$WORK/go.json" | cut -d: -f2 >"$WORK/ok"
}

fd_run() { # ssh_config
    rm -f "$WORK/audit.jsonl"
    timed "$WORK/out.jsonl" "$BIN" exec "$WORK/inventory.yaml" --ssh-config "$1" \
        --limit all --json --concurrency "$CONC" --known-hosts "$WORK/known_hosts" \
        --host-keys strict --journal "$WORK/audit.jsonl" -- uname -a
    grep -c '"ok":true' "$WORK/out.jsonl" >"$WORK/ok" || true
    local starts ends
    starts=$(grep -c '"phase":"start"' "$WORK/audit.jsonl" || true)
    ends=$(grep -c '"phase":"end"' "$WORK/audit.jsonl" || true)
    if [ "$starts" != "$N" ] || [ "$ends" != "$N" ]; then
        echo "audit journal: $starts start and $ends end lines for $N devices" >&2
        exit 1
    fi
}

RESULTS=$WORK/results
: >"$RESULTS"
echo "== $N devices, concurrency $CONC, $ROUNDS rounds (load: $(cut -d' ' -f1-3 /proc/loadavg))"
for round in $(seq 1 "$ROUNDS"); do
    r=$(go_run); echo "go $r $(cat "$WORK/ok")" >>"$RESULTS"
    echo "   round $round go x/crypto/ssh (curve25519-sha256):  $r ok=$(cat "$WORK/ok")"
    r=$(fd_run "$WORK/curve25519.conf"); echo "fd $r $(cat "$WORK/ok")" >>"$RESULTS"
    echo "   round $round fleetdash (curve25519-sha256):        $r ok=$(cat "$WORK/ok")"
    r=$(fd_run "$WORK/default.conf"); echo "hy $r $(cat "$WORK/ok")" >>"$RESULTS"
    echo "   round $round fleetdash (default, mlkem768x25519):  $r ok=$(cat "$WORK/ok")"
done
python3 - "$RESULTS" "$N" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
n = int(sys.argv[2])
by = {}
for who, wall, cpu, ok in rows:
    by.setdefault(who, []).append((float(wall), float(cpu), int(ok)))
names = {"go": "go x/crypto/ssh, curve25519", "fd": "fleetdash, curve25519",
         "hy": "fleetdash, default hybrid"}
med = {}
for who, runs in by.items():
    walls = [w for w, _, _ in runs]
    cpus = [1000 * c / max(ok, 1) for _, c, ok in runs]
    med[who] = (statistics.median(walls), statistics.median(cpus))
    print(f"{names[who]:>28}: wall {min(walls):.2f}-{max(walls):.2f} s (median {med[who][0]:.2f}), "
          f"client CPU {min(cpus):.2f}-{max(cpus):.2f} ms/session (median {med[who][1]:.2f}), "
          f"ok {min(o for _, _, o in runs)}/{n}")
for who in ("fd", "hy"):
    w = med[who][0] / med["go"][0]
    c = med[who][1] / med["go"][1]
    print(f"{names[who]:>28} / go: wall {w:.2f}x, CPU per session {c:.2f}x (target <= 0.9)")
PY
