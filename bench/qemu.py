#!/usr/bin/env python3
"""Instruction counts of the mps2-an385 firmware under QEMU (a report, not a test).

QEMU runs with `-icount shift=0`: one guest instruction per virtual nanosecond,
deterministic. The firmware's CPU meter (`cpu_busy_ns` in GET /_isere/stats)
counts the virtual time the CPU was not asleep, i.e. the instructions it ran.
Printed: instructions per request for hello.js and echo.js on one kept-alive
connection, the time from boot to the first response, and for login.js (users
in KV on a data image made by isere-sim) the instructions of a login with
1000 and with 2000 PBKDF2 iterations, whose difference is the cost of 1000
iterations.

    python3 bench/qemu.py [ELF]
"""
import http.client
import json
import os
import re
import socket
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ELF = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    ROOT, "target/thumbv7m-none-eabi/firmware/isere-mps2-an385")
N = int(os.environ.get("REQUESTS", "200"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def boot(args=()):
    """Starts the board with semihosting `args`; returns (qemu, port) once it listens."""
    port = free_port()
    semihosting = ",".join(["enable=on,target=native,arg=isere"] + [f"arg={a}" for a in args])
    qemu = subprocess.Popen(
        ["qemu-system-arm", "-M", "mps2-an385", "-nographic", "-monitor", "none",
         "-icount", "shift=0",
         "-nic", f"user,model=lan9118,hostfwd=tcp:127.0.0.1:{port}-:80",
         "-semihosting-config", semihosting,
         "-kernel", ELF],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    log = []
    deadline = time.time() + 60
    for line in qemu.stdout:
        log.append(line)
        if "isere listening on" in line:
            return qemu, port
        if time.time() > deadline:
            qemu.terminate()
            sys.exit("the board did not listen within 60 s:\n" + "".join(log))
    sys.exit("QEMU exited before listening:\n" + "".join(log))


def client(port):
    """request(method, path, body) and busy() over one kept-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(method, path, body=None):
        conn.request(method, path, body=body)
        r = conn.getresponse()
        data = r.read()
        if r.status != 200:
            sys.exit(f"{method} {path}: {r.status} {data!r}")
        return data

    return request


def login_costs():
    """Instructions of one login at 1000 and 2000 PBKDF2 iterations."""
    sim = os.path.join(ROOT, "target/release/isere-sim")
    if not os.path.exists(sim):
        subprocess.run(["cargo", "build", "--release", "--bin", "isere-sim"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="isere-qemu-login.", dir=os.path.join(ROOT, "target"))
    image = os.path.join(tmp, "users.img")
    for user, iterations in (("ada", "1000"), ("bob", "2000")):
        subprocess.run([sim, "--data", image, "--add-user", user, "--password", "pw",
                        "--iterations", iterations], check=True, stdout=subprocess.DEVNULL)
    config = os.path.join(tmp, "config.json")
    with open(config, "w") as f:
        json.dump({"functions": [{"name": "login", "module": "login",
                                  "env": {"JWT_SECRET": "bench", "PBKDF2_ITERATIONS": "1000"},
                                  "bindings": {"USERS": {"type": "kv"}}}],
                   "routes": [{"prefix": "/", "function": "login"}]}, f)
    qemu, port = boot([f"config={os.path.relpath(config, ROOT)}", f"data={os.path.relpath(image, ROOT)}"])
    try:
        request = client(port)
        busy = lambda: json.loads(request("GET", "/_isere/stats"))["cpu_busy_ns"]
        costs = {}
        for user in ("ada", "bob"):
            body = json.dumps({"username": user, "password": "pw"}).encode()
            request("POST", "/login", body)  # first use loads the APIs
            start = busy()
            for _ in range(5):
                request("POST", "/login", body)
            costs[user] = (busy() - start) / 5
        return costs["ada"], costs["bob"]
    finally:
        qemu.terminate()
        qemu.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    qemu, port = boot()
    try:
        request = client(port)

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
    low, high = login_costs()
    print("login.js POST /login, users in KV (semihosted image), mean of 5 logins each:")
    print(f"  PBKDF2-SHA256 1000 iterations  {low:14,.0f} instructions")
    print(f"  PBKDF2-SHA256 2000 iterations  {high:14,.0f} instructions")
    print(f"  per 1000 iterations            {high - low:14,.0f} instructions")


if __name__ == "__main__":
    main()
