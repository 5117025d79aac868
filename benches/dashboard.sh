#!/bin/sh
# CPU and memory of the whole dashboard process at rest, in a real terminal (tmux, 250×80):
# N loopback devices probed by ICMP every second (127.24.0.0/14: the kernel answers, nothing
# else runs), SECS seconds on the tiles, then SECS seconds in the dense view (`z`).
# Prints process CPU time as a share of one core, next to the budget (1,000: 1 %;
# 10,000: 3 %), context switches (all threads) and system calls per second (perf's
# raw_syscalls tracepoint, when perf can read it), and RSS at the start and end of each
# phase. Anchor, measured the same way in the same run: fping's own loop mode on the same
# addresses at the same rate (`fping -l -p 1000 -i <µs apart as our pacing> -q`).
#
#   cargo build --release && benches/dashboard.sh            # NS="1000 10000" SECS=30
#   NS=10000 SECS=600 benches/dashboard.sh                    # the 10-minute memory run
#
# Needs tmux, and root or net.ipv4.ping_group_range for ICMP. Not a test: it asserts nothing.
set -eu
BIN=${BIN:-target/release/fleetdash}
SECS=${SECS:-30}
NS=${NS:-1000 10000}
SESSION=fleetdash-bench-$$
command -v tmux >/dev/null || { echo "benches/dashboard.sh: tmux is not installed; skipped"; exit 0; }
[ -x "$BIN" ] || { echo "benches/dashboard.sh: build $BIN first (cargo build --release)"; exit 2; }
dir=$(mktemp -d)
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -rf "$dir"' EXIT INT TERM
clk=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
# Voluntary + involuntary context switches of every thread of the process.
ctxt() { cat /proc/"$1"/task/*/status | awk '/ctxt_switches/ {n += $2} END {print n}'; }
# System calls of the process (all threads) over `sleep $2`, or "?" without perf.
syscalls() {
    n=$(perf stat -x, -e raw_syscalls:sys_enter -p "$1" -- sleep "$2" 2>&1 >/dev/null |
        awk -F, '/raw_syscalls/ {print $1}')
    case "$n" in '' | *[!0-9]*) echo "?" ;; *) echo "$n" ;; esac
}

# One phase: CPU share over SECS seconds, RSS before and after.
phase() {
    pid=$1 what=$2 budget=$3
    rss0=$(rss_mib "$pid")
    t0=$(cpu_ticks "$pid")
    c0=$(ctxt "$pid")
    sys=$(syscalls "$pid" "$SECS")
    t1=$(cpu_ticks "$pid")
    c1=$(ctxt "$pid")
    rss1=$(rss_mib "$pid")
    awk -v t0="$t0" -v t1="$t1" -v clk="$clk" -v s="$SECS" -v what="$what" -v b="$budget" \
        -v r0="$rss0" -v r1="$rss1" -v c0="$c0" -v c1="$c1" -v sys="$sys" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
        pct = (t1 - t0) / clk / s * 100
        rate = (sys == "?") ? "?" : sprintf("%.0f", sys / s)
        printf "%s: %.2f %% of a core over %d s (budget %s %%: ratio %.2f); %.0f ctxt switches/s, %s syscalls/s; RSS %s → %s MiB (load %s)\n",
            what, pct, s, b, pct / b, (c1 - c0) / s, rate, r0, r1, load }'
}

for n in $NS; do
    budget=1
    [ "$n" -gt 1000 ] && budget=3
    awk -v n="$n" 'BEGIN {
        print "groups:\n  core: {}\n  access: {}\ndevices:"
        base = 127 * 16777216 + 24 * 65536 + 1
        for (i = 0; i < n; i++) {
            a = base + i
            ip = int(a / 16777216) "." int(a / 65536) % 256 "." int(a / 256) % 256 "." a % 256
            printf "  - {name: d%05d, host: %s, groups: [%s], tags: {site: s%d}}\n",
                i, ip, (i % 10 == 0 ? "core" : "access"), i % 40
        }
    }' > "$dir/inv.yaml"
    tmux new-session -d -s "$SESSION" -x 250 -y 80 "exec $BIN $dir/inv.yaml --utc"
    sleep 5
    pid=$(tmux list-panes -t "$SESSION" -F '#{pane_pid}')
    sweep=$(tmux capture-pane -p -t "$SESSION" | head -1 | grep -o 'sweep #[^m]*ms' || true)
    echo "$n devices, 1 s sweeps ($sweep):"
    phase "$pid" "  tiles" "$budget"
    tmux send-keys -t "$SESSION" z
    sleep 1
    phase "$pid" "  dense" "$budget"
    tmux send-keys -t "$SESSION" q
    sleep 1
    tmux kill-session -t "$SESSION" 2>/dev/null || true
    # The anchor: fping looping over the same addresses once a second, spread as our
    # sweep is (80 % of the interval, 200-2,000 probes/s).
    if command -v fping >/dev/null; then
        awk '/host:/ {sub(/,$/, "", $5); print $5}' "$dir/inv.yaml" > "$dir/hosts"
        gap=$(awk -v n="$n" 'BEGIN { p = n / 0.8; if (p > 2000) p = 2000; if (p < 200) p = 200;
            printf "%.2f", 1000 / p }')
        fping -l -p 1000 -i "$gap" -q -f "$dir/hosts" >/dev/null 2>&1 &
        fpid=$!
        sleep 3
        phase "$fpid" "  fping -l -p 1000 -i $gap (anchor)" "$budget"
        kill "$fpid" 2>/dev/null || true
        wait "$fpid" 2>/dev/null || true
    fi
done
