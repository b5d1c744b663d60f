#!/usr/bin/env python3
"""Soak: the release simulator under kept-alive load, connection churn and
slow clients holding the pool, for SOAK_SECONDS (default 600).

    make soak                      (builds isere-sim, then runs this)
    SOAK_SECONDS=60 python3 scripts/soak.py

Workers, all on loopback:

* kept-alive: each keeps one connection and sends `GET /hello` and a 2 KB
  `POST /echo` in turn;
* churn: a new connection per `GET /hello`;
* slow clients: each trickles a request head (or CR/LF) a byte every
  300 ms, as long as the device lets it, then starts over; together they
  keep most of the pool busy.

Every good request must be answered: 200, or 503 when the pool is full
(counted apart); no response at all is an unanswered request. The heap in
use (`GET /_isere/stats`) and the process's RSS are read after a warm-up
and at the end, and must be flat within 1 %. Exits 1 on a crash, an
unanswered good request or growth beyond that.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIM = os.path.join(ROOT, "target", "release", "isere-sim")
SECONDS = int(os.environ.get("SOAK_SECONDS", "600"))
WARMUP = min(30, SECONDS // 5)
POOL = 16
CONFIG = {
    "log_level": "warn",
    "server": {
        "max_connections": POOL,
        "header_timeout_ms": 2000,
        "keep_alive_timeout_ms": 5000,
    },
    "functions": [
        {"name": "hello", "module": "hello"},
        {"name": "echo", "module": "echo"},
    ],
    "routes": [
        {"prefix": "/hello", "function": "hello"},
        {"prefix": "/echo", "function": "echo"},
    ],
}
ECHO_BODY = b"x" * 2048


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {}

    def add(self, key, n=1):
        with self.lock:
            self.c[key] = self.c.get(key, 0) + n

    def get(self, key):
        with self.lock:
            return self.c.get(key, 0)


counts = Counts()
stop = threading.Event()


def read_response(sock, buf):
    """One response from `sock` (bytes already read in `buf`): (status,
    body, rest), or None when the connection ends first."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return status, rest[:length], rest[length:]


def request(method, path, body=b"", close=False):
    extra = b"Connection: close\r\n" if close else b""
    return (
        f"{method} {path} HTTP/1.1\r\nHost: soak\r\nContent-Length: {len(body)}\r\n".encode()
        + extra
        + b"\r\n"
        + body
    )


def good(status):
    if status == 200:
        counts.add("ok")
    elif status == 503:
        counts.add("busy (503)")
    else:
        counts.add(f"status {status}")


def connect(addr):
    s = socket.create_connection(addr, timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def kept_alive(addr):
    while not stop.is_set():
        try:
            s = connect(addr)
        except OSError:
            counts.add("unanswered")
            time.sleep(0.1)
            continue
        buf = b""
        n = 0
        try:
            while not stop.is_set():
                if n % 2 == 0:
                    s.sendall(request("GET", "/hello"))
                else:
                    s.sendall(request("POST", "/echo/soak", ECHO_BODY))
                r = read_response(s, buf)
                if r is None:
                    # The device may close an idle kept-alive connection;
                    # a request it never answered is another matter.
                    counts.add("unanswered")
                    break
                status, _, buf = r
                good(status)
                n += 1
                if status == 503:
                    break
        except OSError:
            counts.add("unanswered")
        finally:
            s.close()


def churn(addr):
    while not stop.is_set():
        try:
            s = connect(addr)
            s.sendall(request("GET", "/hello", close=True))
            r = read_response(s, b"")
            if r is None:
                counts.add("unanswered")
            else:
                good(r[0])
            s.close()
        except OSError:
            counts.add("unanswered")


def slow(addr, n):
    trickle = b"\r\n\r\n" if n % 2 else b"GET /hello HTTP/1.1\r\nX-Slow: " + b"a" * 200
    while not stop.is_set():
        try:
            s = connect(addr)
            s.settimeout(0.3)
            for b in trickle:
                if stop.is_set():
                    break
                s.send(bytes([b]))
                try:
                    if s.recv(4096) is not None:
                        counts.add("slow client cut off")
                        break
                except socket.timeout:
                    pass
            s.close()
        except OSError:
            counts.add("slow client cut off")


def stats(addr):
    """The heap in use, asked until the pool has room for the question."""
    deadline = time.time() + 60
    while True:
        s = connect(addr)
        s.sendall(request("GET", "/_isere/stats", close=True))
        r = read_response(s, b"")
        s.close()
        if r is not None and r[0] == 200:
            return json.loads(r[1])["heap"]["used"]
        if time.time() > deadline:
            sys.exit(f"soak: no stats within 60 s (last: {r and r[0]})")
        time.sleep(0.05)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    if not os.path.exists(SIM):
        sys.exit(f"soak: {SIM} not found (make soak builds it)")
    cfg = os.path.join(ROOT, "target", "soak-config.json")
    with open(cfg, "w") as f:
        json.dump(CONFIG, f)
    sim = subprocess.Popen(
        [SIM, "--config", cfg, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        soak(sim)
    finally:
        # Whatever happened here, the simulator does not outlive the soak.
        if sim.poll() is None:
            sim.kill()


def soak(sim):
    line = sim.stdout.readline()
    port = int(line.strip().rsplit(":", 1)[1].rstrip("/"))
    addr = ("127.0.0.1", port)
    workers = (
        [threading.Thread(target=kept_alive, args=(addr,)) for _ in range(4)]
        + [threading.Thread(target=churn, args=(addr,)) for _ in range(2)]
        + [threading.Thread(target=slow, args=(addr, n)) for n in range(POOL - 4)]
    )
    for w in workers:
        w.daemon = True
        w.start()
    started = time.time()
    time.sleep(WARMUP)
    heap0, rss0 = stats(addr), rss_kib(sim.pid)
    served0 = counts.get("ok")
    while time.time() - started < SECONDS and sim.poll() is None:
        time.sleep(1)
    crashed = sim.poll() is not None
    heap1 = rss1 = 0
    if not crashed:
        # Stop the load first: the heap is compared between quiet moments
        # of the same traffic.
        heap1, rss1 = stats(addr), rss_kib(sim.pid)
    stop.set()
    for w in workers:
        w.join(timeout=10)
    elapsed = time.time() - started
    sim.terminate()
    sim.wait(timeout=30)
    heap_growth = (heap1 - heap0) / heap0 * 100 if heap0 else 0
    rss_growth = (rss1 - rss0) / rss0 * 100 if rss0 else 0
    print(f"soak: {elapsed:.0f} s on isere-sim (pool {POOL}; 4 kept-alive, 2 churning, {POOL - 4} slow clients)")
    for key in sorted(counts.c):
        print(f"soak:   {key}: {counts.c[key]}")
    print(f"soak:   served after warm-up: {counts.get('ok') - served0} ({(counts.get('ok') - served0) / max(1, elapsed - WARMUP):.0f}/s)")
    print(f"soak:   crashed: {'yes' if crashed else 'no'}")
    print(f"soak:   heap in use: {heap0} B after warm-up, {heap1} B at the end ({heap_growth:+.2f} %)")
    print(f"soak:   RSS: {rss0} KiB after warm-up, {rss1} KiB at the end ({rss_growth:+.2f} %)")
    bad = []
    if crashed:
        bad.append("the simulator died")
    if counts.get("unanswered"):
        bad.append(f"{counts.get('unanswered')} good requests unanswered")
    if abs(heap_growth) > 1 or abs(rss_growth) > 1:
        bad.append("heap or RSS not flat within 1 %")
    others = [k for k in counts.c if k.startswith("status ")]
    if others:
        bad.append("unexpected statuses: " + ", ".join(others))
    if bad:
        print("soak: FAILED: " + "; ".join(bad))
        sys.exit(1)
    print("soak: PASSED")


if __name__ == "__main__":
    main()
