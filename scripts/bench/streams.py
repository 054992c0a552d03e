#!/usr/bin/env python3
"""Concurrent SSE stream load for `make bench` (issue 6). Python 3 stdlib only.

Opens K streamed chat completions against URL (all connections are made first, then the
requests go out spread over --ramp-ms) and records, per stream:
  - time to first token (TTFT): from sending the request to the first event with non-empty
    `"content"` (the gateway's role-only first chunk does not count);
  - the gaps between consecutive content arrivals (a "stall" is a gap > --stall-ms);
  - how many content events arrived alone in a read (a proxy that buffers upstream chunks
    delivers several per read).
Prints a human summary on stderr and ONE JSON line on stdout.

Load is spread over --procs worker processes (default: 2 for K ≥ 200, else 1) so the client is
not the bottleneck; each worker runs one asyncio loop with plain Protocol callbacks.

--keep-alive (with --concurrency 1): every stream on one kept-alive connection, one after the
other, as the OpenAI SDKs and Open WebUI send them (the default is a new connection per stream,
as curl does); the response must be chunked.

--hold-seconds H: memory mode. Open the streams, wait until each has its first content token
(or --ready-timeout: a gateway may write the response head before the run starts, so a head
alone does not mean the run is in flight), print `READY <open> <with-first-token>` on stdout,
keep them open H seconds,
then close them and print the JSON line.

Usage: streams.py --url http://127.0.0.1:PORT/v1/chat/completions [--token T] [--agent ID]
                  [--streams 2000] [--concurrency K] [--ramp-ms 500] [--timeout 120]
"""
import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import time
import urllib.parse

CONTENT = b'"content":"'
EMPTY_CONTENT = b'"content":""'


class StreamProtocol(asyncio.Protocol):
    def __init__(self, loop):
        self.loop = loop
        self.transport = None
        self.connected = loop.create_future()
        self.finished = loop.create_future()
        self.head_seen = loop.create_future()
        self.first_seen = loop.create_future()
        self.buf = b""
        self.head = None
        self.sent_at = None
        self.first = None
        self.last = None
        self.gaps = []
        self.events = 0
        self.reads_with_content = 0
        self.alone = 0
        self.done = False
        self.error = None

    def connection_made(self, transport):
        self.transport = transport
        if not self.connected.done():
            self.connected.set_result(True)

    def data_received(self, data):
        now = time.perf_counter()
        buf = self.buf + data
        if self.head is None:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buf = buf
                return
            self.head = buf[:end]
            buf = buf[end + 4 :]
            status = self.head.split(b"\r\n", 1)[0]
            if b" 200 " not in status + b" ":
                self.error = status.decode("latin-1", "replace")
            if not self.head_seen.done():
                self.head_seen.set_result(True)
        parts = buf.split(b"\n\n")
        self.buf = parts.pop()
        n = 0
        for event in parts:
            if CONTENT in event and EMPTY_CONTENT not in event:
                n += 1
            elif b"[DONE]" in event:
                self.done = True
            elif self.error is None and b'"error"' in event:
                self.error = event.strip()[-200:].decode("utf-8", "replace")
        if n:
            self.events += n
            self.reads_with_content += 1
            if n == 1:
                self.alone += 1
            if self.first is None:
                self.first = now
                if not self.first_seen.done():
                    self.first_seen.set_result(True)
            else:
                self.gaps.append(now - self.last)
            self.last = now
        if self.done:
            self.transport.close()
            self._finish()

    def connection_lost(self, exc):
        if not self.connected.done():
            self.connected.set_exception(exc or ConnectionError("closed"))
        if not self.head_seen.done():
            self.head_seen.set_result(False)
        if not self.first_seen.done():
            self.first_seen.set_result(False)
        if not self.done and self.error is None:
            self.error = f"connection closed after {self.events} chunks" + (f": {exc}" if exc else "")
        self._finish()

    def _finish(self):
        if not self.finished.done():
            self.finished.set_result(True)


def request_bytes(args):
    """The streamed chat completion every stream sends, as bytes on the wire."""
    url, token, agent = args.url, args.token, args.agent
    body = json.dumps(
        {"model": args.model, "stream": True, "messages": [{"role": "user", "content": "hi"}]},
        separators=(",", ":"),
    ).encode()
    u = urllib.parse.urlsplit(url)
    headers = [
        f"POST {u.path or '/'} HTTP/1.1",
        f"Host: {u.hostname}:{u.port}",
        "Content-Type: application/json",
        "Accept: text/event-stream",
        f"Content-Length: {len(body)}",
    ]
    if token:
        headers.append(f"Authorization: Bearer {token}")
    if agent:
        headers.append(f"x-openclaw-agent-id: {agent}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


async def run_worker(args, count, index, procs, barrier, out):
    loop = asyncio.get_running_loop()
    u = urllib.parse.urlsplit(args.url)
    payload = request_bytes(args)
    protos = []
    connect_errors = 0
    sem = asyncio.Semaphore(256)

    async def connect():
        nonlocal connect_errors
        async with sem:
            try:
                _, p = await loop.create_connection(lambda: StreamProtocol(loop), u.hostname, u.port)
                protos.append(p)
                return p
            except OSError:
                connect_errors += 1
                return None

    if args.concurrency is None:
        await asyncio.gather(*(connect() for _ in range(count)))
    # All workers start sending at the same moment.
    if barrier is not None:
        await loop.run_in_executor(None, barrier.wait)
    start = time.perf_counter()
    ramp = args.ramp_ms / 1000.0

    async def send(i, p):
        if ramp > 0 and args.concurrency is None:
            delay = start + ramp * (i * procs + index) / max(1, args.streams) - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        p.sent_at = time.perf_counter()
        p.transport.write(payload)
        try:
            await asyncio.wait_for(asyncio.shield(p.finished), timeout=args.timeout)
        except asyncio.TimeoutError:
            p.error = p.error or f"timeout after {p.events} chunks"
            p.transport.abort()

    if args.hold_seconds is not None:
        for i, p in enumerate(protos):
            p.sent_at = time.perf_counter()
            p.transport.write(payload)
        try:
            await asyncio.wait_for(
                asyncio.gather(*(asyncio.shield(p.first_seen) for p in protos)), timeout=args.ready_timeout
            )
        except asyncio.TimeoutError:
            pass
        await asyncio.sleep(0.5)
        out.put(("ready", sum(1 for p in protos if not p.finished.done()), sum(1 for p in protos if p.first)))
        await asyncio.sleep(args.hold_seconds)
        for p in protos:
            p.transport.abort()
    elif args.concurrency is not None:
        # Sequential-ish: `concurrency` streams at a time (low-load TTFT).
        # Each stream on a fresh connection, connected before its clock starts.
        remaining = [count]

        async def lane():
            while remaining[0] > 0:
                remaining[0] -= 1
                p = await connect()
                if p is not None:
                    await send(0, p)

        await asyncio.gather(*(lane() for _ in range(args.concurrency)))
    else:
        await asyncio.gather(*(send(i, p) for i, p in enumerate(protos)))
    results = []
    for p in protos:
        ttft = (p.first - p.sent_at) if (p.first is not None and p.sent_at is not None) else None
        results.append(
            {
                "ok": p.done and p.error is None,
                "error": p.error,
                "ttft": ttft,
                "events": p.events,
                "reads": p.reads_with_content,
                "alone": p.alone,
                "gaps": p.gaps,
            }
        )
    for _ in range(connect_errors):
        results.append({"ok": False, "error": "connect failed", "ttft": None, "events": 0, "reads": 0, "alone": 0, "gaps": []})
    out.put(("results", results))


def keepalive_results(args):
    """--keep-alive: `args.streams` streams one after the other on one connection."""
    import socket

    u = urllib.parse.urlsplit(args.url)
    payload = request_bytes(args)
    sock = socket.create_connection((u.hostname, u.port), timeout=args.timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    pending = b""
    results = []

    def fill():
        nonlocal pending
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed")
        pending += data
        return time.perf_counter()

    for _ in range(args.streams):
        r = {"ok": False, "error": None, "ttft": None, "events": 0, "reads": 0, "alone": 0, "gaps": []}
        results.append(r)
        try:
            sent = time.perf_counter()
            sock.sendall(payload)
            while b"\r\n\r\n" not in pending:
                fill()
            head, pending = pending.split(b"\r\n\r\n", 1)
            status = head.split(b"\r\n", 1)[0]
            if b" 200 " not in status + b" " or b"chunked" not in head.lower():
                raise ConnectionError(f"not a chunked 200: {status.decode('latin-1')}")
            sse, last, done = b"", None, False
            while not done:
                # One chunk of the chunked body: size line, data, CRLF.
                while b"\r\n" not in pending:
                    now = fill()
                size_line, rest = pending.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                while len(rest) < size + 2:
                    now = fill()
                    rest = pending.split(b"\r\n", 1)[1]
                now = time.perf_counter()
                pending = rest[size + 2 :]
                if size == 0:
                    done = True
                    break
                sse += rest[:size]
                events = sse.split(b"\n\n")
                sse = events.pop()
                n = sum(1 for e in events if CONTENT in e and EMPTY_CONTENT not in e)
                if n:
                    r["events"] += n
                    r["reads"] += 1
                    r["alone"] += n == 1
                    if r["ttft"] is None:
                        r["ttft"] = now - sent
                    else:
                        r["gaps"].append(now - last)
                    last = now
            r["ok"] = True
        except (OSError, ValueError) as e:
            r["error"] = repr(e)
            break
    sock.close()
    return results


def worker_main(args, count, index, procs, barrier, out):
    try:
        asyncio.run(run_worker(args, count, index, procs, barrier, out))
    except Exception as e:  # noqa: BLE001 - report, don't hang the parent
        out.put(("crash", repr(e)))


def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", default="")
    ap.add_argument("--agent", default="")
    ap.add_argument("--model", default="openclaw")
    ap.add_argument("--streams", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=None, help="at most this many at once (default: all)")
    ap.add_argument("--ramp-ms", type=float, default=500.0, help="spread the request sends over this long")
    ap.add_argument("--stall-ms", type=float, default=200.0)
    ap.add_argument("--timeout", type=float, default=120.0, help="per stream, seconds")
    ap.add_argument("--procs", type=int, default=None)
    ap.add_argument("--hold-seconds", type=float, default=None)
    ap.add_argument("--ready-timeout", type=float, default=20.0)
    ap.add_argument("--label", default="")
    ap.add_argument("--keep-alive", action="store_true", help="with --concurrency 1: one kept-alive connection")
    args = ap.parse_args()
    if args.keep_alive and (args.concurrency != 1 or args.hold_seconds is not None):
        ap.error("--keep-alive needs --concurrency 1 and no --hold-seconds")

    procs = args.procs or (2 if args.streams >= 200 and args.concurrency is None else 1)
    procs = 0 if args.keep_alive else max(1, min(procs, args.streams))
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    barrier = ctx.Barrier(procs) if procs > 1 else None
    workers = []
    for i in range(procs):
        count = args.streams // procs + (1 if i < args.streams % procs else 0)
        w = ctx.Process(target=worker_main, args=(args, count, i, procs, barrier, out), daemon=True)
        w.start()
        workers.append(w)

    started = time.perf_counter()
    results = keepalive_results(args) if args.keep_alive else []
    got = 0
    ready_open = ready_first = 0
    ready_reports = 0
    while got < procs:
        kind, *payload = out.get()
        if kind == "ready":
            ready_open += payload[0]
            ready_first += payload[1]
            ready_reports += 1
            if ready_reports == procs:
                print(f"READY {ready_open} {ready_first}", flush=True)
        elif kind == "results":
            results.extend(payload[0])
            got += 1
        else:
            print(f"worker crashed: {payload[0]}", file=sys.stderr)
            got += 1
    for w in workers:
        w.join(timeout=5)
    elapsed = time.perf_counter() - started

    ttfts = [r["ttft"] * 1000 for r in results if r["ttft"] is not None]
    gaps = [g * 1000 for r in results for g in r["gaps"]]
    stalls = sum(1 for g in gaps if g > args.stall_ms)
    stalled_streams = sum(1 for r in results if any(g * 1000 > args.stall_ms for g in r["gaps"]))
    events = sum(r["events"] for r in results)
    alone = sum(r["alone"] for r in results)
    ok = sum(1 for r in results if r["ok"])
    errors = {}
    for r in results:
        if r["error"]:
            key = r["error"][:120]
            errors[key] = errors.get(key, 0) + 1
    summary = {
        "label": args.label,
        "streams": args.streams,
        "ok": ok,
        "failed": len(results) - ok,
        "ttft_p50_ms": pct(ttfts, 50),
        "ttft_p99_ms": pct(ttfts, 99),
        "ttft_max_ms": max(ttfts) if ttfts else None,
        "gap_p50_ms": pct(gaps, 50),
        "gap_p99_ms": pct(gaps, 99),
        "gap_max_ms": max(gaps) if gaps else None,
        "stalls": stalls,
        "stalled_streams": stalled_streams,
        "chunks": events,
        "chunks_alone_pct": (100.0 * alone / events) if events else None,
        "elapsed_s": elapsed,
        "errors": dict(sorted(errors.items(), key=lambda kv: -kv[1])[:5]),
        "ready_open": ready_open if args.hold_seconds is not None else None,
        "ready_first_token": ready_first if args.hold_seconds is not None else None,
    }

    def f(v):
        return "-" if v is None else f"{v:.1f}"

    print(
        f"[{args.label or args.url}] {ok}/{args.streams} ok in {elapsed:.1f}s; TTFT p50 {f(summary['ttft_p50_ms'])} ms "
        f"p99 {f(summary['ttft_p99_ms'])} ms; gap p50 {f(summary['gap_p50_ms'])} p99 {f(summary['gap_p99_ms'])} "
        f"max {f(summary['gap_max_ms'])} ms; stalls {stalls} (in {stalled_streams} streams); "
        f"chunks {events}, {f(summary['chunks_alone_pct'])}% alone in a read"
        + (f"; errors {summary['errors']}" if errors else ""),
        file=sys.stderr,
    )
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
