#!/usr/bin/env python3
"""The asyncssh side of benches/exec/run.sh: the same command on the same lab devices with
the same concurrency, host keys checked against the lab's known_hosts. Prints one JSON line:
wall time, client CPU (getrusage), sessions ok."""

import argparse
import asyncio
import ipaddress
import json
import resource
import time

import asyncssh


async def one(host, args, sem):
    async with sem:
        try:
            async with asyncssh.connect(
                host,
                port=args.port,
                username=args.username,
                password=args.password,
                known_hosts=args.known_hosts,
                client_keys=None,
                agent_path=None,
                connect_timeout=args.timeout,
            ) as conn:
                result = await asyncio.wait_for(conn.run(args.command, check=False), args.timeout)
                return result.exit_status == 0
        except Exception:  # noqa: BLE001 - a failed device is counted, not fatal
            return False


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", default="127.20.0.1")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--port", type=int, default=2222)
    p.add_argument("--concurrency", type=int, default=200)
    p.add_argument("--username", default="admin")
    p.add_argument("--password", required=True)
    p.add_argument("--known-hosts", required=True)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--command", default="uname -a")
    args = p.parse_args()
    base = ipaddress.IPv4Address(args.base)
    hosts = [str(base + i) for i in range(args.count)]
    assert all(ipaddress.IPv4Address(h) in ipaddress.IPv4Network("127.0.0.0/8") for h in hosts)
    sem = asyncio.Semaphore(args.concurrency)
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    oks = await asyncio.gather(*(one(h, args, sem) for h in hosts))
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print(json.dumps({"client": "asyncssh", "devices": len(hosts), "ok": sum(oks),
                      "wall_s": round(wall, 3), "cpu_s": round(cpu, 3)}))


if __name__ == "__main__":
    asyncio.run(main())
