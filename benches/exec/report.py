#!/usr/bin/env python3
"""Formatting for benches/exec/run.sh: `line JSON` prints one client's result, `compare
FLEETDASH_JSON ASYNCSSH_JSON` prints the ratio and the targets."""

import json
import sys


def tput(r):
    return r["ok"] / r["wall_s"] if r["wall_s"] else 0.0


def ms_per_session(r):
    return 1000 * r["cpu_s"] / max(r["ok"], 1)


def line(r):
    print(f'{r["client"]:>18}: {r["ok"]}/{r["devices"]} ok in {r["wall_s"]:.2f} s '
          f'({tput(r):.0f} sessions/s), client CPU {r["cpu_s"]:.2f} s '
          f'= {ms_per_session(r):.2f} ms/session')


def compare(fd, py):
    ratio = tput(fd) / max(tput(py), 1e-9)
    print(f"throughput ratio fleetdash/asyncssh: {ratio:.1f}x (target >= 10x)")
    print(f'fleetdash wall for {fd["devices"]} devices: {fd["wall_s"]:.2f} s (target < 2 s)')
    print(f"fleetdash client CPU: {ms_per_session(fd):.2f} ms/session (target <= 2 ms)")


if __name__ == "__main__":
    if sys.argv[1] == "line":
        line(json.loads(sys.argv[2]))
    else:
        compare(json.loads(sys.argv[2]), json.loads(sys.argv[3]))
