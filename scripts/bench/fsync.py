#!/usr/bin/env python3
"""The durability floor of `make bench` (issue 6): how long one fdatasync of a 4 KiB overwrite
takes in DIR (the gateway's state directory is on the same disk). A stored turn is synced
before its answer is sent, so at one connection this is the least the gateway can add.
Prints one JSON line: {"p50_ms": …, "p99_ms": …, "n": …}."""
import json
import os
import sys
import time

d = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
path = os.path.join(d, "fsync-probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
os.write(fd, b"\0" * 65536)
os.fsync(fd)
samples = []
for i in range(n):
    os.pwrite(fd, os.urandom(4096), (i % 16) * 4096)
    t = time.perf_counter()
    os.fdatasync(fd)
    samples.append((time.perf_counter() - t) * 1000)
os.close(fd)
os.unlink(path)
samples.sort()
print(json.dumps({"p50_ms": samples[len(samples) // 2], "p99_ms": samples[min(len(samples) - 1, int(len(samples) * 0.99))], "n": n}))
