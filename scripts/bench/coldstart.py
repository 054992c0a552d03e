#!/usr/bin/env python3
"""Cold start for `make bench` (issue 6): exec to the first successful `GET /health`.

Runs COMMAND (with `{port}` replaced by a free loopback port) RUNS times after one unmeasured
warm-up run, polling /health on that port in a tight loop (a non-blocking connect every 0.5 ms),
stops it with SIGTERM each time, and prints one JSON line: {"median_ms", "runs_ms"}.

Usage: coldstart.py [--runs 5] [--path /health] -- COMMAND...
"""
import argparse
import json
import signal
import socket
import statistics
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(port, path):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            data = s.recv(64)
            return data.startswith(b"HTTP/1.1 200") or data.startswith(b"HTTP/1.0 200")
    except OSError:
        return False


def one(command, path, timeout):
    port = free_port()
    argv = [a.replace("{port}", str(port)) for a in command]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < timeout:
            if healthy(port, path):
                return (time.perf_counter() - start) * 1000
            if proc.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited with {proc.returncode} before /health answered")
            time.sleep(0.0005)
        raise RuntimeError(f"no healthy answer within {timeout}s")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--path", default="/health")
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        ap.error("missing COMMAND")
    one(command, args.path, args.timeout)  # warm-up: page cache, state files
    runs = [one(command, args.path, args.timeout) for _ in range(args.runs)]
    print(f"cold start {command[0]}: " + ", ".join(f"{r:.1f}" for r in runs) + " ms", file=sys.stderr)
    print(json.dumps({"median_ms": statistics.median(runs), "runs_ms": runs}))


if __name__ == "__main__":
    main()
