#!/usr/bin/env python3
"""Instruction counts of the mps2-an385 firmware under QEMU (a report, not a test).

QEMU runs with `-icount shift=0`: one guest instruction per virtual nanosecond,
deterministic. The firmware's CPU meter (`cpu_busy_ns` in GET /_isere/stats)
counts the virtual time the CPU was not asleep, i.e. the instructions it ran.
Printed: instructions per request for hello.js and echo.js on one kept-alive
connection, and the time from boot to the first response.

    python3 bench/qemu.py [ELF]
"""
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ELF = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    ROOT, "target/thumbv7m-none-eabi/firmware/isere-mps2-an385")
N = int(os.environ.get("REQUESTS", "200"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    port = free_port()
    qemu = subprocess.Popen(
        ["qemu-system-arm", "-M", "mps2-an385", "-nographic", "-monitor", "none",
         "-icount", "shift=0",
         "-nic", f"user,model=lan9118,hostfwd=tcp:127.0.0.1:{port}-:80",
         "-semihosting-config", "enable=on,target=native,arg=isere",
         "-kernel", ELF],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        log = []
        deadline = time.time() + 60
        for line in qemu.stdout:
            log.append(line)
            if "isere listening on" in line:
                break
            if time.time() > deadline:
                sys.exit("the board did not listen within 60 s:\n" + "".join(log))
        else:
            sys.exit("QEMU exited before listening:\n" + "".join(log))

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def request(method, path, body=None):
            conn.request(method, path, body=body)
            r = conn.getresponse()
            data = r.read()
            if r.status != 200:
                sys.exit(f"{method} {path}: {r.status} {data!r}")
            return data

        def stats():
            return json.loads(request("GET", "/_isere/stats"))

        request("GET", "/hello")
        first = stats()
        # The cost of a stats request itself, to take out of the deltas.
        a = stats()["cpu_busy_ns"]
        b = stats()["cpu_busy_ns"]
        per_stats = b - a

        def measure(method, path, body=None):
            start = stats()["cpu_busy_ns"]
            for _ in range(N):
                request(method, path, body)
            end = stats()["cpu_busy_ns"]
            return (end - start - per_stats) / N

        hello = measure("GET", "/hello")
        echo = measure("POST", "/echo/bench?x=1", b'{"hello":"world"}')
        print(f"mps2-an385 under QEMU -icount shift=0 (1 instruction = 1 virtual ns), {N} requests each,")
        print("one kept-alive connection, instructions the CPU ran (not asleep) per request:")
        print(f"  hello.js  GET /hello        {hello:12,.0f} instructions")
        print(f"  echo.js   POST /echo/bench  {echo:12,.0f} instructions")
        print(f"  (GET /_isere/stats itself   {per_stats:12,} instructions, subtracted)")
        print(f"boot to first response: {first['uptime_ms']} ms of virtual time, "
              f"{first['cpu_busy_ns']:,} instructions awake")
        heap = first["heap"]
        print(f"heap after boot and one request: {heap['used']:,} used, {heap['peak']:,} peak, "
              f"{heap['free']:,} free of {heap['total']:,}")
    finally:
        qemu.terminate()
        qemu.wait()


if __name__ == "__main__":
    main()
