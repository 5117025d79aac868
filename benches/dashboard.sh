#!/bin/sh
# CPU and memory of the whole dashboard process at rest, in a real terminal (tmux, 250×80):
# N loopback devices probed by ICMP every second (127.24.0.0/14: the kernel answers, nothing
# else runs), SECS seconds on the tiles, then SECS seconds in the dense view (`z`).
# Prints process CPU time as a share of one core, next to the budget (1,000: 1 %;
# 10,000: 3 %), and RSS at the start and end of each phase.
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

# One phase: CPU share over SECS seconds, RSS before and after.
phase() {
    pid=$1 what=$2 budget=$3
    rss0=$(rss_mib "$pid")
    t0=$(cpu_ticks "$pid")
    sleep "$SECS"
    t1=$(cpu_ticks "$pid")
    rss1=$(rss_mib "$pid")
    awk -v t0="$t0" -v t1="$t1" -v clk="$clk" -v s="$SECS" -v what="$what" -v b="$budget" \
        -v r0="$rss0" -v r1="$rss1" 'BEGIN {
        pct = (t1 - t0) / clk / s * 100
        printf "%s: %.2f %% of a core over %d s (budget %s %%: ratio %.2f); RSS %s → %s MiB\n",
            what, pct, s, b, pct / b, r0, r1 }'
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
done
