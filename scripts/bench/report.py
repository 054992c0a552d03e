#!/usr/bin/env python3
"""Formats the results of scripts/bench.sh as one table (issue 6 targets beside each figure).

Usage: report.py RESULTS_DIR [--write docs/performance.md]
"""
import argparse
import json
import os
import sys


def load_json(path, default=None):
    """A JSON file, or the last line of a file that ends with one JSON line."""
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return default
    for candidate in (text, text.splitlines()[-1] if text else ""):
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    return default


def load_wrk(path):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("BENCH "):
                    return {k: float(v) for k, v in (kv.split("=", 1) for kv in line.split()[1:])}
    except OSError:
        pass
    return None


def fmt(v, digits=2):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    return f"{v:,.{digits}f}"


def signed(v, digits=2):
    """A difference with its sign: "+0.120", "−0.026"."""
    if v is None:
        return "—"
    return ("+" if v >= 0 else "−") + fmt(abs(v), digits)


def mark(ok):
    if ok is None:
        return ""
    return "✅ met" if ok else "❌ missed"


def build(results):
    meta = load_json(os.path.join(results, "meta.json"), {})
    k = meta.get("streams", "?")
    lat_g, lat_d = load_wrk(os.path.join(results, "lat-gateway.txt")), load_wrk(os.path.join(results, "lat-direct.txt"))
    tp_g, tp_d = load_wrk(os.path.join(results, "tp-gateway.txt")), load_wrk(os.path.join(results, "tp-direct.txt"))
    st_g, st_d = load_json(os.path.join(results, "streams-gateway.json")), load_json(os.path.join(results, "streams-direct.json"))
    lo_g, lo_d = load_json(os.path.join(results, "low-gateway.json")), load_json(os.path.join(results, "low-direct.json"))
    tt_g, tt_d = load_json(os.path.join(results, "ttft-gateway.json")), load_json(os.path.join(results, "ttft-direct.json"))
    tt_n = load_json(os.path.join(results, "ttft-nginx.json"))
    ka_g, ka_d = load_json(os.path.join(results, "ttftka-gateway.json")), load_json(os.path.join(results, "ttftka-direct.json"))
    ka_n = load_json(os.path.join(results, "ttftka-nginx.json"))
    mem = load_json(os.path.join(results, "memory.json"), {})
    cold_g, cold_d = load_json(os.path.join(results, "cold-gateway.json")), load_json(os.path.join(results, "cold-direct.json"))
    after_tp = load_json(os.path.join(results, "after-tp.json"), {})
    final = load_json(os.path.join(results, "final.json"), {})
    fsync = load_json(os.path.join(results, "fsync.json"))
    # The reference relay (nginx in front of the same fakes), when the run had one.
    lat_n, tp_n = load_wrk(os.path.join(results, "lat-nginx.txt")), load_wrk(os.path.join(results, "tp-nginx.txt"))
    st_n, lo_n = load_json(os.path.join(results, "streams-nginx.json")), load_json(os.path.join(results, "low-nginx.json"))
    mem_n = mem.get("nginx") if mem else None
    # The stack floor: a relay on Hummingbird + AsyncHTTPClient with none of the gateway in it.
    lat_f, tp_f = load_wrk(os.path.join(results, "lat-floor.txt")), load_wrk(os.path.join(results, "tp-floor.txt"))
    tt_f = load_json(os.path.join(results, "ttft-floor.json"))
    mem_f = mem.get("floor") if mem else None
    cpu = load_json(os.path.join(results, "cpu.json"), {})

    rows = []

    def add(metric, g, d, extra, target, ok, ref="", floor=""):
        rows.append((metric, g, d, extra, target, mark(ok), ref, floor))

    if lat_g and lat_d:
        for p, limit in (("p50", 0.2), ("p99", 0.5)):
            g, d = lat_g[f"{p}_us"] / 1000, lat_d[f"{p}_us"] / 1000
            n = lat_n[f"{p}_us"] / 1000 if lat_n else None
            f = lat_f[f"{p}_us"] / 1000 if lat_f else None
            add(f"latency {p}, 1 connection, non-stream (ms)", fmt(g, 3), fmt(d, 3), f"{signed(g - d, 3)} ms",
                f"≤ +{limit} ms", g - d <= limit, f"{fmt(n, 3)} ({signed(n - d, 3)} ms)" if n is not None else "",
                f"{fmt(f, 3)} ({signed(f - d, 3)} ms)" if f is not None else "")
    if fsync:
        rows.append(("durability floor: fdatasync of 4 KiB on the state disk, p50 / p99 (ms)",
                     f"{fmt(fsync['p50_ms'], 3)} / {fmt(fsync['p99_ms'], 3)}", "", "", "(informative: paid once per "
                     "answer at 1 connection)", "", "", ""))
    if tp_g and tp_d:
        g, d = tp_g["rps"], tp_d["rps"]
        n = tp_n["rps"] if tp_n else None
        f = tp_f["rps"] if tp_f else None
        add("throughput, 64 connections, non-stream (req/s)", fmt(g, 0), fmt(d, 0), f"{fmt(g / d, 3)}×", "≥ 0.4×",
            g / d >= 0.4, f"{fmt(n, 0)} ({fmt(n / d, 3)}×)" if n else "", f"{fmt(f, 0)} ({fmt(f / d, 3)}×)" if f else "")
        add("fake headroom: direct ÷ gateway req/s", "", "", f"{fmt(d / g, 1)}×", "≥ 3× (fake not the bottleneck)",
            d / g >= 3)
        cg, cd, cn, cf = cpu.get("tp-gateway"), cpu.get("tp-direct"), cpu.get("tp-nginx"), cpu.get("tp-floor")
        if cg and cd:
            # CPU time per answered request: the relay's own (gateway or nginx), and the fake's.
            def per_request(c, w):
                return c["proxy_ms"] * 1000 / max(1, w["requests"])
            add("CPU per request, 64 connections (µs; direct: the fake's)", fmt(per_request(cg, tp_g), 0),
                fmt(per_request(cd, tp_d), 0), f"{fmt(per_request(cg, tp_g) / max(1e-9, per_request(cd, tp_d)), 1)}×",
                "(informative)", None, fmt(per_request(cn, tp_n), 0) if cn and tp_n else "",
                fmt(per_request(cf, tp_f), 0) if cf and tp_f else "")
    if st_g and st_d:
        add(f"streams completed, {k} concurrent (50 × 20 ms)", f"{st_g['ok']}/{k}", f"{st_d['ok']}/{k}", "", f"{k}/{k}",
            st_g["ok"] == st_g["streams"], f"{st_n['ok']}/{k}" if st_n else "")
        for p in ("p50", "p99"):
            g, d = st_g[f"ttft_{p}_ms"], st_d[f"ttft_{p}_ms"]
            add(f"TTFT {p}, {k} concurrent streams (ms)", fmt(g, 1), fmt(d, 1),
                f"{signed(g - d, 1)} ms" if g is not None and d is not None else "—", "(informative)", None,
                fmt(st_n[f"ttft_{p}_ms"], 1) if st_n else "")
        gs, ds = st_g["stalls"], st_d["stalls"]
        add(f"stalls (gaps > 200 ms), {k} concurrent streams", f"{gs} in {st_g['stalled_streams']} streams",
            f"{ds} in {st_d['stalled_streams']} streams", f"+{gs - ds}", "0 not caused by the fake",
            gs <= ds and st_g["ok"] == st_g["streams"],
            f"{st_n['stalls']} in {st_n['stalled_streams']} streams" if st_n else "")
        cg, cd, cn = cpu.get("streams-gateway"), cpu.get("streams-direct"), cpu.get("streams-nginx")
        if cg and cd:
            def per_chunk(c, st):
                return c["proxy_ms"] * 1000 / max(1, st["chunks"])
            add(f"CPU per relayed chunk, {k} streams, set-up included (µs; direct: the fake's)",
                fmt(per_chunk(cg, st_g), 1), fmt(per_chunk(cd, st_d), 1),
                f"{fmt(per_chunk(cg, st_g) / max(1e-9, per_chunk(cd, st_d)), 1)}×", "(informative)", None,
                fmt(per_chunk(cn, st_n), 1) if cn and st_n else "")
        add(f"max gap between chunks, {k} concurrent streams (ms)", fmt(st_g["gap_max_ms"], 1),
            fmt(st_d["gap_max_ms"], 1), "", "< 200 ms", (st_g["gap_max_ms"] or 0) < 200,
            fmt(st_n["gap_max_ms"], 1) if st_n else "")
    if tt_g and tt_d:
        n_tt = tt_g.get("streams", "?")
        for q in ("p50", "p99"):
            g, d = tt_g[f"ttft_{q}_ms"], tt_d[f"ttft_{q}_ms"]
            n = tt_n[f"ttft_{q}_ms"] if tt_n else None
            f = tt_f[f"ttft_{q}_ms"] if tt_f else None
            ok = g is not None and d is not None and g - d <= 1
            add(f"TTFT {q}, low load: {n_tt} streams one at a time (ms)", fmt(g, 2), fmt(d, 2),
                f"{signed(g - d, 2)} ms" if g is not None and d is not None else "—",
                "≤ +1 ms" if q == "p99" else "(informative)", ok if q == "p99" else None,
                f"{fmt(n, 2)} ({signed(n - d, 2)} ms)" if n is not None and d is not None else "",
                f"{fmt(f, 2)} ({signed(f - d, 2)} ms)" if f is not None and d is not None else "")
    if ka_g and ka_d:
        n_ka = ka_g.get("streams", "?")
        for q in ("p50", "p99"):
            g, d = ka_g[f"ttft_{q}_ms"], ka_d[f"ttft_{q}_ms"]
            n = ka_n[f"ttft_{q}_ms"] if ka_n else None
            add(f"TTFT {q}, low load: {n_ka} streams one after another on one kept-alive connection (ms)",
                fmt(g, 2), fmt(d, 2), f"{signed(g - d, 2)} ms" if g is not None and d is not None else "—",
                "(informative: as SDK clients connect)", None,
                f"{fmt(n, 2)} ({signed(n - d, 2)} ms)" if n is not None and d is not None else "")
    if lo_g and lo_d:
        add("chunks arriving one per read, low load (% / median gap ms)",
            f"{fmt(lo_g['chunks_alone_pct'], 0)}% / {fmt(lo_g['gap_p50_ms'], 1)}",
            f"{fmt(lo_d['chunks_alone_pct'], 0)}% / {fmt(lo_d['gap_p50_ms'], 1)}", "",
            "no buffering (≈ direct)",
            lo_g["chunks_alone_pct"] is not None and lo_g["chunks_alone_pct"] >= min(95, (lo_d["chunks_alone_pct"] or 0) - 2),
            f"{fmt(lo_n['chunks_alone_pct'], 0)}% / {fmt(lo_n['gap_p50_ms'], 1)}" if lo_n else "")
    if mem:
        g, d = mem["gateway_idle_kib"] / 1024, mem["direct_idle_kib"] / 1024
        add("idle RSS after start (MiB)", fmt(g, 1), fmt(d, 1), "", "≤ 40 MiB", g <= 40,
            f"{fmt(mem_n['idle_kib'] / 1024, 1)} (master + workers)" if mem_n else "",
            fmt(mem_f["idle_kib"] / 1024, 1) if mem_f else "")
        if mem.get("gateway_idle_anon_kib"):
            def split(side):
                return f"{fmt(mem[side + '_idle_anon_kib'] / 1024, 1)} / {fmt(mem[side + '_idle_file_kib'] / 1024, 1)}"
            add("idle RSS: anonymous / file-backed (MiB)", split("gateway"), split("direct"), "",
                "(informative: file-backed is code of the binary and libraries)", None, "")
        gper = (mem["gateway_with_kib"] - mem["gateway_before_kib"]) / max(1, mem["gateway_open"])
        dper = (mem["direct_with_kib"] - mem["direct_before_kib"]) / max(1, mem["direct_open"])
        nper = (mem_n["with_kib"] - mem_n["before_kib"]) / max(1, mem_n["open"]) if mem_n else None
        fper = (mem_f["with_kib"] - mem_f["before_kib"]) / max(1, mem_f["open"]) if mem_f else None
        add(f"RSS per open idle stream, {mem['gateway_open']} open (KiB)", fmt(gper, 1), fmt(dper, 1), "", "≤ 20 KiB",
            gper <= 20, fmt(nper, 1) if nper is not None else "", fmt(fper, 1) if fper is not None else "")
    if cold_g and cold_d:
        g, d = cold_g["median_ms"], cold_d["median_ms"]
        add("cold start: exec → first 200 /health, median of 5 (ms)", fmt(g, 1), fmt(d, 1), f"{signed(g - d, 1)} ms",
            "≤ 150 ms", g <= 150)

    header = ("metric", "gateway", "direct (fake)", "ratio / added", "target", "", "reference: nginx relay",
              "stack floor: Hummingbird + AsyncHTTPClient relay")
    table = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    table += ["| " + " | ".join(r) + " |" for r in rows]

    notes = []
    if mem:
        notes.append(
            f"Memory run: gateway RSS {mem['gateway_before_kib'] / 1024:.1f} → {mem['gateway_with_kib'] / 1024:.1f} MiB "
            f"with {mem['gateway_open']} streams open ({mem['gateway_first']} had received a first token); "
            f"fake {mem['direct_before_kib'] / 1024:.1f} → {mem['direct_with_kib'] / 1024:.1f} MiB "
            f"({mem['direct_first']} with a first token).")
    if after_tp or final:
        notes.append(
            f"Gateway RSS after the throughput run {after_tp.get('gateway_after_throughput_kib', 0) / 1024:.1f} MiB, "
            f"at the end {final.get('gateway_final_kib', 0) / 1024:.1f} MiB.")
    for name, w in (("latency gateway", lat_g), ("latency direct", lat_d), ("throughput gateway", tp_g),
                    ("throughput direct", tp_d), ("latency nginx", lat_n), ("throughput nginx", tp_n),
                    ("latency stack floor", lat_f), ("throughput stack floor", tp_f)):
        if w and (w["non2xx"] or w["errors"]):
            notes.append(f"{name}: {int(w['non2xx'])} non-2xx responses, {int(w['errors'])} socket errors.")
    for name, s in (("streams gateway", st_g), ("streams direct", st_d), ("low-load gateway", lo_g),
                    ("low-load direct", lo_d), ("streams nginx", st_n), ("low-load nginx", lo_n),
                    ("TTFT stack floor", tt_f)):
        if s and s.get("errors"):
            notes.append(f"{name}: errors {s['errors']}.")
    if st_g:
        notes.append(
            f"{k} streams through the gateway took {st_g['elapsed_s']:.1f} s "
            f"(direct {st_d['elapsed_s']:.1f} s); inter-chunk gap p99 {fmt(st_g['gap_p99_ms'], 1)} ms "
            f"(direct {fmt(st_d['gap_p99_ms'], 1)} ms"
            + (f", nginx {st_n['elapsed_s']:.1f} s and {fmt(st_n['gap_p99_ms'], 1)} ms" if st_n else "") + ").")
    if meta.get("load_start"):
        notes.append(f"Load average (1, 5, 15 min) at the start {meta['load_start']}, at the end {meta.get('load_end', '?')} "
                     f"(other work on the machine disturbs wall-clock figures; ratios are measured side by side).")
    machine = (f"{meta.get('date', '?')} · `{meta.get('command', '?')}` · {meta.get('nproc', '?')} CPUs "
               f"{meta.get('arch', '?')} ({meta.get('cpu', '?')}), Linux {meta.get('kernel', '?')} · "
               f"{meta.get('swift', '')} · commit {meta.get('commit', '?')}")
    return machine, table, notes


INTRO = """# Performance

`make bench` (= `scripts/bench.sh`) measures what the gateway adds on top of a model call
(issue 6). It builds release, then on 127.0.0.1 only starts `openclaw-fake-upstream` (a raw
SwiftNIO fake OpenAI server, `Sources/FakeUpstreamServer`) and `openclaw gateway` configured
like production: token auth, chat completions enabled, default stateless sessions (a fresh
session per request) persisted to SQLite (`synchronous = FULL`) in a temporary state directory
on disk. Every figure is measured for the gateway and, in the same run, straight against the fake:

- **latency**: `wrk -c1 -t1 -d10s --latency` with `scripts/bench/post.lua` (a non-stream POST);
- **throughput**: `wrk -c64 -t2 -d15s`; the fake answers at once (a non-stream answer makes a
  non-stream upstream call, so both paths get the same canned JSON completion); CPU time per
  request of the gateway and of the reference relays (below) from `/proc/<pid>/stat`;
- **streaming**: `scripts/bench/streams.py` (Python asyncio, stdlib) opens K concurrent
  streams (default 2,000, sent over 0.5 s) of 50 chunks × 20 ms and records time to first
  content token and the gaps between chunks (a *stall* is a gap > 200 ms); plus 20 such streams
  one at a time for the per-read chunk count (buffering check); CPU time per relayed chunk
  (stream set-up included);
- **time to first token at low load**: 300 streams one at a time against the instant fake
  (`BENCH_TTFT_STREAMS`), so that p99 is not just the slowest of a handful, each on a new
  connection (as curl sends them; the target's row), and again all on one kept-alive connection
  (as the OpenAI SDKs and Open WebUI send them; informative);
- **memory**: gateway VmRSS right after start (also split into anonymous and file-backed pages,
  informative), and with K open streams whose upstream sends one
  chunk and then stays silent → additional KiB per stream (the fake's own figures beside it);
- **cold start**: exec → first `200` from `GET /health` without the local model, median of 5
  (`scripts/bench/coldstart.py`).

```sh
make bench                          # the full run (issue 6: 2,000 streams), a few minutes
scripts/bench/micro.sh              # micro-benchmarks: JSON quoting and trimming vs Foundation
BENCH_STREAMS=500 make bench        # fewer concurrent streams
scripts/bench.sh --streams 500 --no-build --no-write   # re-run without building or writing this file
```

The script prints the table below and rewrites this file with it. The load generators run on
the same machine, so absolute numbers move with it (the script first waits, up to two minutes,
for the 1-minute load average to fall to 1.0: `BENCH_SETTLE_LOAD`, `BENCH_SETTLE_SECONDS`); the direct column is the control (on 2
cores, 2,000 direct streams = 100k chunks/s already load the Python client: watch the direct
TTFT p99 and "alone in a read" figures before blaming the gateway). The *durability floor* row
times one `fdatasync` of a 4 KiB overwrite in the state directory's filesystem: every
non-stream answer waits for its turn to be synced, so at one connection the added latency
cannot go below it (on this VM's disk it ranged from 0.06 to 4 ms within one afternoon).

Two reference columns. The first runs the same loads through **nginx** (Debian's package,
installed by the script if missing; the column stays empty if it cannot be) configured as a
plain reverse proxy in front of the same fakes: upstream keep-alive, `proxy_buffering off`, one
worker per core. It answers "can anything in front of the fake meet this target on this machine,
with the load generator on the same two cores?" — for every target, nginx can. The second,
the **stack floor**, runs them through `openclaw-stack-floor` (`Sources/StackFloorRelay`): a
relay built on the gateway's own stack, Hummingbird and AsyncHTTPClient set up as the gateway
sets them up (HTTP/1 served on the connection's event loop, one upstream client per loop, the
same client configuration) but lighter where the gateway needs more (plain HTTP/1, without the
WebSocket upgrade check the gateway's one port needs), that passes the body through and the
answer back (a stream read by read) with nothing else: no auth, no parsing, no agent run, no
transcript.
It answers "what does this stack cost before the gateway does anything?" — the floor under
every figure the gateway can reach while it is built on Hummingbird and AsyncHTTPClient.

## Where the time went, and what changed (issue 6, branch `perf`)

Measured with `perf record -e cpu-clock -g` (hardware counters are not available in this VM;
valgrind 3.19 crashes on the Swift binary), gateway CPU time per request from
`/proc/<pid>/stat`, and syscall counts from `strace -c`, on 64 connections of non-stream
requests. Before: **~700 µs of CPU per request** (not 10 ms: that figure divided wall time by
a machine shared with compilers) and 46 `pwrite`s + 120 KB written per request.

- **SQLite was not durable, and wrote 150× its data.** GRDB's `DatabasePool` sets
  `synchronous = NORMAL` when it enables WAL, *after* our `prepareDatabase` set `FULL`:
  commits were never synced (9 `fdatasync` in 200 turns, all from checkpoints). Fixed (test added); the cost of
  really syncing is paid once per *group*: concurrent turns are committed together
  (`TurnCommitter`), each caller resumed only after the commit holding its turn. The group no
  longer uses a savepoint per turn (SQLite copied every touched page to a statement journal
  first: 21k extra `pwrite`s in 3 s); a failing group is rolled back and its turns retried
  one by one. Ids are time-ordered UUIDv7 instead of random v4 (inserts append instead of
  dirtying a random leaf of five indexes per turn), migration v2 drops an index that duplicated
  a prefix of another, the writer checkpoints every 8,192 frames with a 32 MiB cache, reads go
  through mmap, statements are cached raw SQL instead of query-interface requests rebuilt per
  call. Result: 120 KB → 15 KB written and 46 → 11 write syscalls per request, with a real
  sync per group.
- **Stateless requests read an empty history.** A request without session header or `user`
  gets a freshly made-up key; `FreshSessions` answers its history read with nothing instead of
  a pooled read transaction and two thread hops (~110 µs of CPU per request).
- **Foundation `UUID()` opens `/dev/urandom` per call** (5 per request): `RandomID` draws
  from a 4 KiB pool.
- **Wire formats:** SSE decoding scans contiguous bytes instead of a generic per-byte
  iterator; the 50 upstream chunks of an answer are read by `JSONReader` (strict pull parser,
  same rules as the synthesized `Decodable`) instead of a `JSONDecoder` each; request bodies
  take the same reader first (falling back to Foundation for its error messages); the
  `chat.completion` body and the role/finish/usage chunks are written directly
  (byte-identical to the sorted-key `JSONEncoder` output, tested).
- **Threads and timers:** Swift Concurrency runs on NIO's event loops
  (`OPENCLAW_NIO_EXECUTOR=0` opts out); per-request timeouts (body read, agent deadline,
  keep-alive ticker) use event-loop timers removed on cancellation instead of `Task.sleep`,
  whose timers stay armed until their deadline; the client-disconnect watch is one object per
  connection instead of a close-future callback added per request (they piled up on
  keep-alive connections); AHC no longer builds a tracing span per request (no tracer is
  bootstrapped).

After: ~400 µs of CPU per non-stream request (of which ~50 µs is the SQLite turn), 57 µs per
streamed chunk (was 80). What is left is spread over the HTTP server, AsyncHTTPClient and
task machinery: three task groups per request (body timeout, disconnect watch, agent
deadline), ~6 hops between tasks and event loops, two loopback sockets. The targets still
missed need a leaner request path (fewer tasks and hops; a streaming path without the
`AsyncStream` relay) rather than local fixes; the latency target is also bounded below by the
durability floor.

## Round 3: the request path after agent tools (branch `perf2`)

Agent tools (issue 4) had made every request ~70% dearer: `perf` showed **20% of the
gateway's CPU in `JSONEncoder` writing the seven tool schemas** into each upstream request
body. Changes, each measured with `perf record -e cpu-clock`, `strace -c -f` and gateway CPU
time from `/proc/<pid>/stat`:

- **Upstream body written directly** (`UpstreamChatBody`): compact JSON appended to one
  string; each tool's `function` object is written once when its `ToolDefinition` is made and
  the built-in definitions are made once per process. `JSONValue.jsonString()` (the Anthropic
  body, tool schemas) is a direct writer too, byte-identical to `JSONEncoder` with sorted keys
  (tested). Escaping copies the runs between escapes instead of appending scalar by scalar.
- **A non-stream answer makes a non-stream upstream call** (`AgentRequest.streamsText`,
  `ModelRequest.stream`): nobody renders its deltas, so one JSON body replaces 50 SSE events
  to frame, parse and relay. Streamed answers still stream upstream (tested both ways).
- **One child task per request instead of four task groups (eight tasks).** `RunControl`
  runs a request's work (body read, agent run) as the one child of a task group and cancels it
  when stopped — by the body timeout or the agent's deadline (event-loop timers), by
  `chat.abort`, or by the client's disconnect (a callback on the connection's close watch) —
  and then throws the stop's reason. A stream's run uses the same control; the keep-alive
  ticks are a repeated event-loop timer instead of a task.
- **A request's tasks prefer its connection's event loop** (`EventLoopExecutor`, SE-0417
  task executor preference). AsyncHTTPClient already picks an upstream connection on the
  calling loop; now the resumption after the transcript commit (GRDB's writer thread) comes
  back to the connection's loop too instead of to any loop. At one connection, per request:
  `epoll_wait` 6 → 3, `write` 7 → 4, `read` 6 → 3.
- The run's log metadata is added only to messages actually logged (setting it on the logger
  re-rendered it three times per run), and "run finished" is logged at `debug`.

Side by side in one session (old = main at 7ff49de with tools, new = this round; two
alternating rounds each, same fake, same wrk; figures old → new):

| | round 1 | round 2 |
|---|---|---|
| throughput, 64 connections (req/s) | 2,643 → 4,324 | 2,821 → 4,544 |
| gateway CPU per request, 64 connections (µs) | 656 → 371 | 606 → 348 |
| latency p50 / p99, 1 connection (ms) | 1.38 / 2.80 → 0.87 / 1.70 | 1.27 / 1.94 → 0.81 / 1.70 |

**What the remaining misses are made of.**

- *Latency at one connection* (+0.77 ms p50): a state directory on tmpfs takes off ~0.13 ms
  (the commit's `fdatasync` and ~25 `pwrite`s of WAL frames); the rest is ~650 µs of gateway
  CPU per request at one connection against ~350 µs under load — the difference is the cost
  of three thread wake-ups per request on this VM (`finish_task_switch` and IRQ unlocks are
  the top kernel symbols) plus GRDB's writer thread waking for each commit.
- *Throughput* (0.064×): ~350 µs of CPU per request is spread over Hummingbird + NIO HTTP
  parsing, AsyncHTTPClient (~12%, mostly the socket write), the transcript commit (~8% on
  GRDB's writer, plus its `Date` formatting and `JSONEncoder` for message metadata), Swift
  Concurrency bookkeeping (~10%) and the kernel's loopback TCP. 0.4× of 73k req/s would
  leave ~40 µs of gateway CPU per request; no single part is that large, the sum is ~9×.
- *Stalls at 2,000 streams*: 100k chunks/s need, per chunk, one read from the upstream socket
  and one `writev` to the client's (the `writev` alone, loopback TCP delivery included, is
  ~28% of the gateway's streaming profile, ~10 µs), plus AsyncHTTPClient re-arming its idle
  read timer per chunk (~6%), the `AsyncStream` relay between the run and the response writer
  (~12%) and JSON parse/encode. At ~34 µs per chunk that is 3.4 cores' worth; the fake and the
  Python client share the same 2 cores. This target needs a streaming path of a few µs per
  chunk — no task hop and no timer per chunk — which this round did not build.
- *Memory per open stream* (83 KiB, target 20): `heaptrack` on 2,000 idle streams, peak heap
  168 MB = 84 KiB per stream, of which **48 KiB is Swift async task frames** (the task
  allocator's slabs: `runInLane` 7.4 KiB, `ChatCompletionStream.write` 7.4 KiB,
  AsyncHTTPClient's `execute` 4.2 KiB, the provider 3 KiB, ~25 KiB across 97 other frames),
  8 + 8 KiB of grown `ByteBuffer`s, and strings and arrays of the run. 20 KiB is below what
  two suspended task stacks of this depth hold; it needs a stream that waits without a
  suspended task (a state machine on the event loop) — not built.

### Before (same harness, commit 5247c3e, 2026-11-25 12:29 UTC, load average ~4)

| metric | gateway | direct (fake) | ratio / added |
|---|---|---|---|
| latency p50, 1 connection (ms) | 2.397 | 0.026 | +2.371 ms |
| latency p99, 1 connection (ms) | 12.770 | 4.039 | +8.731 ms |
| throughput, 64 connections (req/s) | 686 | 37,642 | 0.018× |
| idle RSS after start (MiB) | 40.0 | 12.1 | |
| RSS per open idle stream (KiB) | 69.5 | | |
| 500 concurrent streams, side by side at 13:04 UTC: TTFT p50 / CPU per chunk | 752 ms / 80 µs | | now 15 ms / 57 µs |
| 2,000 concurrent streams, side by side at 13:07 UTC (load ~0.5): stalls / max gap / TTFT p50 / CPU per chunk | 0 / 156 ms / 2.1 s / 77 µs | | now 2,366 / 358 ms / 1.1 s / 45 µs |

**Stalls at 2,000 streams are a regression of the measurement, not of the chunk path.** The
old gateway read every stream's (empty) history through GRDB's pool of 5 reader connections,
which admitted the 2,000 streams over ~5 s, so only part of them were streaming at once. Now
they all start within ~1 s and then ask for 100k chunks/s; at ~45 µs of gateway CPU per chunk
that is more than the two cores, which the Python client and the fake also need, so reads fall
behind and gaps over 200 ms appear. Zero stalls at this load needs the per-chunk cost under
~10 µs (today: an `AsyncStream` relay between the run task and the response writer, a task
wake-up on each side, AHC's idle-read timer re-armed per chunk, two socket syscalls).

(The streaming and cold-start phases of that run overlapped a compile; the run before it,
at 11:46 UTC on commit 69d0694, had 0 stalls for 2,000 streams, TTFT p99 at low load +2.59 ms,
cold start 23.6 ms, and commits that were not synced.)

## Round 9: the stack's own floor, measured in every run (2026-12-01)

- **A stack-floor column** (`openclaw-stack-floor`, `Sources/StackFloorRelay`): a relay built on
  the gateway's own libraries, set up as the gateway sets them up — Hummingbird serving HTTP/1 on
  the connection's event loop (`LoopPinnedChildChannel`; plain HTTP/1, without the gateway's
  WebSocket upgrade check), AsyncHTTPClient through `HTTPClientService` (one client per loop,
  the same configuration) — that passes the request
  body to the fake and the answer back (a stream read by read) and does nothing else: no auth,
  no parsing, no agent run, no transcript. This session's three full runs (02:38, 02:56 and
  03:09 UTC; the machine was busy in all three, load 1.0–1.4 by their ends), floor against
  gateway: at one connection the floor adds **+0.248 / +0.260 / +0.272 ms at p50** (gateway
  +0.758 / +0.897 / +0.863); at 64 connections it reaches **0.134× / 0.164× / 0.158× direct**
  at 144 / 145 / 137 µs of CPU per request (gateway 0.071× / 0.075× / 0.063× at 297 / 349 /
  376 µs); lone streams on new connections, TTFT p99 **+0.90 / +0.78 / +2.60 ms** (gateway
  +1.07 / +1.51 / +1.68); **41.0 / 41.2 / 40.9 KiB per open idle stream** (gateway 82.3 / 82.2
  / 81.2); 33.1–33.2 MiB idle (gateway 39.3–39.4). Outside `make bench`, three rounds
  alternating direct, floor and gateway on one fake: 0.13–0.16× at 64 connections with
  149–165 µs of CPU per request (gateway 312–351), +0.23 to +0.26 ms at p50 at one connection
  (gateway +0.67 to +0.69).
- **What the floor says about the targets still missed.** Three are out of reach of the stack
  itself on this machine, before the gateway does anything: *latency p50* (≤ +0.2 ms: the relay
  adds +0.25, and a durable transcript adds its `fdatasync`, 0.1–0.2 ms, on top); *throughput*
  (≥ 0.4×: the relay reaches 0.13–0.16×; Hummingbird and AsyncHTTPClient together cost ~140 µs of
  CPU per relayed request, where 0.4× of the fake's rate would leave the whole gateway ~45 µs
  on the two cores it shares with `wrk` and the fake); *memory per open stream* (≤ 20 KiB: the
  relay holds 41 — heaptrack on 500 idle streams: async task slabs 18.6 KiB, Swift objects
  16.7 KiB for two NIO channels, their pipelines, Hummingbird's connection and
  AsyncHTTPClient's request state, three 2 KiB buffers). *TTFT p99 on a new connection*
  sits on the stack's edge: the floor's own was +0.78 and +0.90 ms of the +1 allowed in two
  runs and +2.60 in the third (a new Hummingbird connection's set-up and the machine's
  scheduling tails); the gateway's was +0.17 and +0.73 ms above the floor's in the first two
  runs (on one kept-alive connection, as the SDKs connect, the gateway's p99 was +1.15, +0.66
  and +0.56 ms). Three later runs (03:49, 04:01, 04:13 UTC): gateway +1.07 / +0.59 / +1.77 ms
  added, floor −0.11 / −0.02 / +1.76 (direct's own p99 jumped to 0.97 and 0.92 ms in the first
  two) — at 04:13 the floor alone missed the target by as much as the gateway.
  *Latency p99* (≤ +0.5 ms) is not out of the stack's reach on its own (the relay's p99 was
  +0.43, +0.06 and +0.97 ms over direct), but a durable transcript adds its `fdatasync` p99
  (0.19–0.20 ms here) to it; the gateway's p99 was +1.98, +5.01 and +2.68 ms in these busy
  runs (+1.24 in Round 8's quieter one): the gateway's own tail, not met.
  Meeting the first three would take a hand-written HTTP server and client on raw SwiftNIO in place of
  the two libraries the project builds on (the fake upstream is such a server: 70,000 req/s) —
  against the project's engineering standards, so not done.
- **The gateway's own share** (gateway − floor, same run): 150–240 µs of CPU per non-stream
  request (153, 204 and 239 in the three runs; the gateway's own figure moves more with the
  machine's state than the floor's; the agent run, the durable group commit, request parsing and validation, the upstream
  body and the answer's JSON); +0.5 ms at p50 at one connection, of which the durable commit
  (`fdatasync` and the two thread hand-offs around GRDB's writer) is ~0.3; 41 KiB per open
  stream (heaptrack: the run's own task and its frames — the runtime's turn frame alone 6 KiB,
  4.8 after this round's split —
  28 KiB more task slabs than the relay, 10 KiB more objects: the run's state and the 3.4 KB
  upstream body, which AsyncHTTPClient holds until the response ends; most of it is the agent's
  seven tool schemas).
- **Small costs removed.** Log lines render a logger's metadata when written
  (`DeferredMetadataLogHandler` over swift-log's `StreamLogHandler`, which sorted and joined
  its whole metadata each time Hummingbird set a request or connection id on a logger that then
  wrote nothing at the default level): 1.15% → 0.53% of gateway CPU at 64 connections (a
  dictionary set remains; a test checks a debug request line still carries `hb.request.id`).
  The upstream chat body reserves room for the tools' schemas and appends each without a
  temporary string: `UpstreamChatBody.json` 1.72% → 1.27%. The run registry keeps finished
  run ids in a `Deque` (swift-collections): dropping the oldest of the 1,000 remembered no
  longer moves the other 999 under its lock on every finish (0.82% → 0.75%). A model answer's
  tool calls and the turn's finish run in functions of their own, out of the runtime's turn
  frame, which a streamed run keeps while it waits on the model: 6.0 → 4.8 KiB, 83.3 → 81.7 KiB
  per idle stream (heaptrack, 500 streams).
- **Memory a burst freed goes back to the system once the gateway is quiet.** glibc keeps
  freed heap memory: after 2,000 concurrent streams the idle gateway's RSS stayed at ~205 MiB
  (235 MiB at the end of `make bench`) with nothing running, of which under 20 MiB was in use
  (`malloc_stats`: the rest free chunks in the two event loops' arenas, 75 and 90 MB). Now an
  `IdleMemoryTrimmer`, told by the run registry when a run finishes (an event-loop timer per
  quiet spell, nothing at start-up: a first version ran as a service task from the start and
  cost 0.6 MiB of idle RSS, 39.6 → 40.2–40.4), calls
  `malloc_trim(0)` on NIO's thread pool once no run has finished for 65 s (AsyncHTTPClient
  closes the burst's idle upstream connections after 60, and their memory is freed only then):
  206 → 53 MiB, 2,000 streams, same start-up. A first version also trimmed 2 s after the last
  run (205 → 115 MiB at once); in its `make bench` run the 2,000-stream phase, which started on
  a trimmed heap and faulted it in again, had 103 stalls (max gap 248 ms) where this session's
  other runs had 0–7 — so memory is given back only after a long quiet spell, never between
  the phases of a burst. Not in the table (`make bench` has no minute-long pause).
- **Idle RSS: why one binary reads 39.6 or 41 MiB** (Round 8's open question). Measured with
  `/proc/<pid>/pagemap` and `/proc/kpageflags` on the executable's mapped text: a copy made
  with `cp` sits in the page cache in large folios (2,696 mapped pages in 168 folios) and
  faults map whole folios, 10.8 MiB of text; the linker's own output (lld writes through a
  memory map) is in single pages, mapped 64 KiB around each fault, 9.3 MiB. The same binary
  read 40.9–41.3 MiB as a copy and 39.6–39.8 MiB as linked. What `make bench` and users run is
  the linked file in `.build/release`, so it reads the lower figure; a copied binary ~1.3 MiB
  more. Not a code change: a fact about this kernel (6.18) and how the file was written.

## Round 8: a burst of upstream chunks in one write; less CPU per answer (2026-11-30)

- **Chunks that arrive from upstream in one read are written in one write after the first.**
  The instant fake sends its 50 chunks at once, and the gateway read them in one read but wrote
  them one `writev` each, ~12 µs apart (a syscall trace). Meanwhile the client waited: a
  loopback wake-up is a "sync" wake-up, which places the woken client on the waker's CPU, so it
  read its first token only once the gateway's loop stopped writing (pinning the client to the
  other CPU cut its TTFT p90 from 1.15 to 0.86–1.0 ms, measured). Now the provider reports the
  first delta of a read at once and the rest `batched`, then a `flush` before it waits for
  more bytes; `EventStreamOutput` holds the batched ones until the flush. Still one chunk per
  delta (M4), and nothing waits for more upstream bytes (a test sends three chunks in one write
  and then nothing for 6 s: all three must reach the client within 3 s, for chat completions and
  `/v1/responses`; both fail without the flush). Lone streams on new connections, the binaries
  interleaved stream by stream, four runs of 400: TTFT p99 2.00 / 2.16 / 1.98 / 1.77 →
  1.94 / 1.75 / 1.80 / 1.36 ms, p90 1.41 / 1.57 / 1.45 / 1.23 → 1.38 / 1.38 / 1.45 / 1.11,
  p50 unchanged (0.94 / 1.03 / 1.01 / 0.81 → 0.94 / 1.03 / 1.00 / 0.83). With real models the
  chunks of a reply come one per read (tokens are milliseconds apart), and nothing changes.
- **Less CPU per answer: three costs the profile showed** (`perf` at 64 connections, share of
  gateway CPU before → after): message roles and contents were trimmed with Foundation's
  `trimmingCharacters`, through `NSString` (1.21% → 0; now `trimmingWhitespaceAndNewlines`,
  the White_Space scalars plus U+200B, exactly Foundation's `whitespacesAndNewlines` — a test
  compares every BMP scalar); each stored assistant message's metadata (model, usage, tool
  calls) went through `JSONEncoder` (~2% → 0; `MessageRecord` 3.05% → 1.40%; now written
  directly, read back with `JSONDecoder` as before, a test round-trips quotes, escapes, control
  characters and non-ASCII); and `ChunkEncoder.appendQuoted`, which quotes every string the
  gateway writes as JSON (the system prompt and the flattened conversation in each upstream
  request, every chunk), walked `String.UTF8View` byte by byte (1.53% → 0.74%; now it scans
  the UTF-8 bytes directly and copies the runs between escapes whole: a 949-byte system prompt
  3.5–5.6 → 1.7 µs, 4 KB of multi-line conversation 16 → 7 µs against the previous version;
  the tests keep its output byte-identical to `JSONEncoder`'s). `scripts/bench/micro.sh` times
  both against the Foundation calls side by side (`swiftc -O` over `Sources/OpenAIWire`):
  quoting 3.8× `JSONEncoder`'s speed for a short delta, 2.7× for 2,000 bytes with nothing to
  escape, 1.5× for the system prompt, 1.0× for 80 lines of conversation (one escape per ~43
  bytes: writing into a preallocated string was tried, 1.4× there but slower for the others,
  as `String(unsafeUninitializedCapacity:)` validates non-ASCII UTF-8); trimming 6.1× for a
  role, 3.6× for a short message. Foundation's `range(of:)` in
  the upstream content-type check went too (0.32% → 0). Side by side, binaries alternated: at
  one connection latency p50 797 / 767 / 730 / 788 → 729 / 704 / 739 / 717 µs and CPU per
  answer 612 / 591 / 553 / 605 → 564 / 539 / 573 / 562 µs; at 64 connections CPU per answer,
  median of five rounds, 297 → 289 µs (±10% from round to round).
- **Where a non-stream answer's time goes at one connection** (a syscall and scheduler trace of
  the gateway, one answer, µs after it read the request): upstream request head written 143,
  body 166, upstream answer read 247, turn handed to GRDB's writer 311, writer thread running
  376, SQLite's locks (4 `fcntl`) and statements until its first WAL write 476, 7 WAL frames
  written by 545, `fdatasync` 545 → 779, event loop woken by the writer 843, answer written 895.
  Over 1,940 commits `fdatasync` took 185 µs at p50: durability alone (sync + two thread
  wake-ups + SQL) is above the +0.2 ms target.
- **Tried and not kept.** One event loop instead of two (`NIOSingletons.groupLoopCountSuggestion`):
  a new connection is no longer handed from the accepting loop to the other one; TTFT p50 −20
  to −70 µs, p99 mixed (1.73 / 1.52 / 1.46 → 1.55 / 1.40 / 1.53 ms), and it halves the cores
  that serve requests. A 1 KiB SQLite page (a quarter of the WAL bytes per turn): commit time
  with the same schema in steady state 214–228 → 208–225 µs — the bytes are not the cost.
- **Idle RSS sits on the target's edge, and moves with the file it starts from.** The same
  binary (same checksum), started the same way: 39.6–40.4 MiB from a copy written a quarter of
  an hour earlier, 41.0–41.4 MiB from copies written minutes or seconds before — file-backed
  pages of the executable mapped at start; the kernel-side cause (fault-around over the page
  cache, the folios a fresh write leaves) was not pinned down. This round's `make bench` runs
  read 39.2, 39.6, 40.1 and 39.5 MiB (the table now splits it: ~3.5 MiB anonymous, ~36 MiB
  file-backed); a fresh clone, whose binary was just linked, may read ~41. Measured and not kept: `MALLOC_ARENA_MAX=1` or `2` (no change),
  `madvise(MADV_RANDOM)` on the executable's mappings at the top of `main` (no change: most of
  the mapping happens before `main`), `TZ=UTC` (−0.3 MiB). Of the ~39.6 MiB, 3.4 are
  anonymous; the rest is code of the binary (~12 MiB), libswiftCore 4.9, Foundation 3.7,
  FoundationEssentials 3.5, ICU 2.7 (Foundation, which GRDB and NIO's Foundation shims
  import, brings it), libc, libstdc++ and SQLite.
- **Why the other misses stay missed, and one target sits on its edge** (each measured above or in earlier rounds): *latency*,
  the durable commit (above); *throughput*, an agent run costs ~280–330 µs of gateway CPU at
  64 connections (request intake, the runtime, an AsyncHTTPClient call, a group commit) where
  0.4× of the fake's rate leaves ~74 µs; *memory per stream*, a stream is two suspended tasks
  whose async frames keep 47 KiB and two NIO channels with AsyncHTTPClient's request state
  27 KiB, above 20 KiB before anything else; *low-load TTFT p99* on a new connection per
  stream was +1.41, +1.29, +0.82 and +0.92 ms in this round's four `make bench` runs (met in
  the last two; +1.07 to +2.69 in earlier rounds): the connection's set-up (~300 µs of CPU,
  Round 6) and scheduling tails; on one kept-alive connection it was +0.52, +0.69, +0.47 and
  +0.83 ms.

## Round 7: a streamed run starts before its response head; auth at a tenth of its cost (2026-11-30)

Side by side, binaries alternated against one fake in one script (`ttft`: 12 rounds of 100
lone streams each, a new connection per stream as in the table's row, pooled; figures old → new):

- **A streamed run starts as soon as the request is validated**, before Hummingbird writes the
  response head (`RunControl.start`; what the run writes before the head, the role chunk first,
  is kept by `EventStreamOutput` and sent right after it). Its set-up and upstream request used
  to wait for the head's write and the body closure's start (~120 µs at p50, Round 5). The first
  version, a task of its own, cost 7 KiB more per open stream (85 → 92 KiB: a third task); as
  built, the run's task is the stream's second task as before (85 → 84–85 KiB), and the
  response body waits for it (`RunControl.wait(for:)`, the keep-alive ticks unchanged).
- **A connection's task runs on the event loop of its socket** (`LoopPinnedChildChannel`:
  Hummingbird starts it from the accepting task, on whichever thread that ran). A new
  connection (`Connection: close` on `/health`, three rounds): 421 / 415 / 383 → 382 / 384 /
  363 µs of gateway CPU per request.
- **Auth ~50 → ~15 µs per request at low load.** Timestamps taken inside the gateway
  (temporary probes, 1,100+ streams): parsing `Authorization` with Foundation's
  `trimmingCharacters` and `lowercased` took 19 µs (now 5, white space trimmed by Unicode
  property, no Foundation), and the timing-safe compare HMAC'd both secrets each time, 27 µs
  (now the configured secret is digested once and the presented one from a keyed copy: 7 µs).
  Under load (64 connections, warm caches) the CPU per request did not move measurably
  (320–370 µs either way).
- Together: TTFT p50 0.779 → 0.737 (run started early) → 0.683 ms (and auth), p90 1.131 →
  1.024 → 0.990 ms; p99 1.66 / 1.65 / 1.80 ms — the tail did not move (direct: p50 0.126,
  p99 0.329). One `make bench` row is one such pool of 300; its p99 moved between +1.07 and
  +1.84 ms over this session's runs of the same code as the machine's state changed.
- **Where a lone stream's first token goes now** (probes, kept-alive connection so the
  connection's set-up is out of it, µs after the client's `send`, p50 over two runs): request
  head decoded in the pipeline 47–70; responder called 92–135; auth done 110–170; body read
  130–220; request parsed and resolved 165–260; upstream call starts 218–340; upstream response
  head 492–724; first delta written 524–770; the client has it 623–896 (direct: the whole TTFT
  ~100). The upstream round trip through AsyncHTTPClient is the largest part (~280–380 µs,
  the fake's own answer a small part of it): AsyncHTTPClient writes the request head, then the
  body one event-loop job later (`NIOLoopBound.execute`), and Hummingbird's response head and
  the role chunk land between the two. Ordering them (the run yielding so the head goes first;
  the handler yielding so the body goes before the head) measured no better (p50 0.735 as
  built, 0.767 and 0.770). The client then waits ~100 µs for a core: the gateway's loop is
  relaying the next chunks and the store commits the turn.
- **Tried and not kept.** Reporting the deltas of one upstream read as one delta (one write
  when a stream catches up under load): a first A/B at 2,000 streams had no stall in 7 of 7
  runs against 4 of 7, a second had a 146-stall run with it and none without it in 5 each;
  CPU per stream the same (2.7–3.2 ms) — noise, not kept. The role chunk sent with the first
  delta: no change (as in Round 6).
- **Fewer pages per stored turn** (store migration v4). A new session's first turn wrote 9–11
  WAL pages, one per B-tree it touched (`session` and the index of its text key, `sessionKey`
  and its key index and its `sessionId` index, `message`, the UNIQUE index of `entryId`, the
  `(sessionId, id)` index, `sqlite_sequence` for AUTOINCREMENT), all synced before the answer.
  Now `session` and `sessionKey` are WITHOUT ROWID, `message.id` is a plain integer key and the
  never-queried `entryId` index is gone: 5–7 pages (a test counts them). strace over ~1,000
  answers at one connection: 22.6 → 14.9 `pwrite`s per commit, `fdatasync` p50 316 → 281 µs.
  Four alternating rounds at one connection: latency p50 1.04 / 1.01 / 1.02 / 0.99 → 0.97 /
  0.98 / 0.99 / 0.88 ms, gateway CPU per request 782 / 769 / 763 / 745 → 727 / 734 / 741 /
  664 µs; at 64 connections (group commits share pages) no clear change. A new database gets
  the new schema directly; an existing one is rebuilt once (checked on a database written by
  the previous binary: sessions, keys and history intact, `foreign_key_check` and
  `integrity_check` clean).
- **Where a non-stream answer's time goes at one connection** (probes, µs after the request is
  decoded, p50): responder 27, body read 60, parsed 86, upstream call starts 123, upstream
  response head 326, commit starts 350, **commit done 893**, response returned 925. The
  durable commit is more than half of it: its `fdatasync` alone takes 280–370 µs, 2–3× the
  table's "durability floor" (one 4 KiB overwrite), because a turn's sync flushes 30–45 KB of
  WAL; the rest is the hand-off to GRDB's writer queue and back (two thread wake-ups) and the
  SQL. The +0.2 ms target would need the answer sent before its turn is durable, which D-8
  rules out.
- **Kept-alive rows.** The table now also times the 300 lone streams on one kept-alive
  connection, as the OpenAI SDKs and Open WebUI send them (`streams.py --keep-alive`): added
  TTFT there is ~+0.4–0.6 ms at p50 and +0.9 ms at p99 in this session's runs, against
  +0.7–0.9 and +1.7–2.7 on new connections (curl's way, the target's row) — a new connection
  costs the gateway ~300 µs of CPU before it reads the request (Round 6).
- **Idle RSS moves with code layout.** Side by side, the same start-up on the same machine:
  38.3–38.5 MiB for one commit, 39.7–40.2 for another whose start-up code is the same, the
  difference in the executable's text pages touched at start (9.4 → 10.6 MiB: the kernel maps
  64 KiB around each page faulted, so where start-up functions land decides how many windows
  are mapped). Running the v4 rebuild at each first start added 0.45 MiB of anonymous memory
  (fixed: new databases get the schema directly). The rest of the 39 MiB is shared libraries:
  libswiftCore 4.9, Foundation 3.7, FoundationEssentials 3.5, ICU 2.7 (its C++ static
  initializers alone touch pages across the whole library; Hummingbird's `Date` header cache
  also resolves the time zone through ICU), libstdc++ 1.4, libc 1.1, SQLite 0.9. The target
  row sits at the edge of that noise.

## Round 6: what a connection costs, where a lone stream's time goes (2026-11-30)

- **Low-load TTFT is now a p99 of 300 lone streams** (against the instant fake, so each takes a
  few milliseconds; `BENCH_TTFT_STREAMS`) instead of the slowest of 20 paced ones, with p50
  beside it. The 20 paced streams still give the buffering row. Four runs: added
  +0.89 / +1.66 ms (p50 / p99), +0.56 / +1.15, +0.75 / +1.82 and +0.54 / +1.07 ms; nginx at
  most +0.06 / +0.40.
- **Where a lone stream's first token goes, with all three processes in view** (`perf trace -a`,
  one stream on a new connection, µs): the client's `sendto` → the gateway's loop wakes and
  reads the request: ~190; request read → response head written: 336, all on the connection's
  loop with no thread hop (HTTP parsing, the upgrade check, Hummingbird's request, our intake);
  head → role chunk: 83; role chunk → upstream request written: 186 (prompt, 3.4 KB upstream
  body, AsyncHTTPClient, which writes head and body in two `write`s 58 µs apart); the fake
  reads and answers: ~130; the gateway's loop, asleep meanwhile, wakes ~210 µs after the fake's
  write; reading, parsing and writing the first delta: 97. That is ~760 µs of gateway CPU on
  the critical path plus two wake-ups of a sleeping thread (client → gateway, fake → gateway)
  that a direct call does not have. In the back-to-back run the wake-ups are cheap (nginx adds
  +0.06 ms p50, +0.14 ms p99): the gateway's +0.9 ms p50 is its own CPU on the critical path,
  and +1 ms at p99 would need that path at about half its length. Does the order of the
  writes matter (the client, woken by the head and the role chunk, competing with the fake for
  the second core)? A build that sends the role chunk with the first delta instead (an
  experiment only: M3 wants it at once) measured the same: 300 lone streams, three
  alternating rounds, TTFT p50 0.6–0.8 ms both, p99 1.1–1.9 ms as built and 1.2–1.8 ms with the
  late role chunk. The spread between runs of one binary is as large as the gap to the target.
- **A new connection costs the gateway ~300 µs of CPU.** `wrk -c1 -H 'Connection: close'` on
  `/health`: 300–420 µs of gateway CPU per request, against 40 µs on a kept-alive connection
  and 138 µs for the raw-NIO fake (mostly the kernel's TCP set-up and tear-down). `perf trace`
  shows five cross-thread wake-ups per new connection before its first request is read: the
  child channel is registered on another loop than the accepting one, the server's task
  receives it and starts the connection's task, which then waits for the upgrade decision on
  the channel's loop; the profile is NIO's typed upgrade pipeline, `NIOAsyncChannel` and
  generic-metadata lookups (8%). Serving HTTP/1 without the WebSocket upgrade handler (a build
  made to measure it; A3 wants one port) saved only ~20 µs of it, and no TTFT. Clients that
  keep connections alive (the OpenAI SDKs, Open WebUI) pay it once; curl and the bench's
  stream client pay it per request.
- **The floor under the throughput target.** At 64 connections a kept-alive `/health` costs
  40 µs of gateway CPU (37,000 req/s), `/v1/models` (auth + a JSON body) 66 µs (24,600 req/s),
  a chat completion 320–430 µs (3,700–4,900 req/s). 0.4× of the direct figure is ~26,000 req/s,
  i.e. a chat completion at about the cost of `/v1/models`: an agent run, an upstream call
  through AsyncHTTPClient (18% of the profile; 13% is the request head's `write` and its
  loopback delivery) and a durable transcript commit (17%, on GRDB's writer; SQLite's
  statements 12%) do not fit in it. Smaller items seen: `StreamLogHandler` re-renders its whole
  metadata string each time Hummingbird sets a request or connection id (1.4% of a request,
  2.5% of a new connection), `JSONEncoder` for stored message metadata (1.6%).
- **An open stream's 83 KiB** (heaptrack, 500 idle streams): Swift task-allocator slabs 47 KiB
  (a task keeps its deepest async stack: the runtime's run frame 6 KiB, AsyncHTTPClient's
  `execute` 4.2, the provider 3, the run registry 2.7, Hummingbird's upgrade channel 2.1, the
  responder 3.5, ~20 slabs of 1 KiB), Swift objects 27 KiB (two NIO channels and their
  pipelines, AsyncHTTPClient's transaction), 4 KiB the upstream request body (AsyncHTTPClient
  keeps the request in the response's `history` and in the transaction until the response
  ends), and one 2 KiB receive buffer per socket. nginx: 18 KiB.
- **Idle RSS: packed relative relocations.** `openclaw` is a PIE with 54,213 relative
  relocations: 1.3 MB of `.rela.dyn` that the loader read at every start. It now links with lld
  and `-z pack-relative-relocs` (DT_RELR, glibc ≥ 2.36; `linkerSettings` of the `openclaw`
  target), which stores them in 14 KB. Side by side, 8 alternating starts each: idle RSS
  39.9 → 39.0 MiB (before, 6 of 8 starts were above 40 MiB; after, none, the highest 39.3),
  cold start unchanged (~25 ms). Measured and not adopted: a non-PIE executable (−2.4 MiB)
  gives up address-space randomisation of the executable's image.
- **Stalls at 2,000 streams stay sensitive to the machine's state** (Round 5): of the four
  `make bench` runs of this round, the two started right after other work had 3 stalls (max gap
  206 ms, load average 1.0) and 175 (275 ms, load 1.5); the two on a settled machine none (max
  gap 152 and 121 ms); nginx had none in any. `make bench` now waits for the load to settle. Four standalone 2,000-stream runs, alternating
  the binaries before and after the link change: 0 stalls each, max gap 109–156 ms.
- **A burst of non-stream requests does not stall open streams** (it was an open question
  after Round 5, whose start permits apply to streamed runs only). 1,000 streams of
  50 × 20 ms alone: 0 stalls, max gap 138 ms; the same 1,000 while `wrk -c64` sends
  non-stream requests to the same gateway (2,881 req/s, p99 177 ms): 0 stalls, max gap 178 ms,
  TTFT p50 0.70 → 1.09 s. With 500 streams: max gap 127 → 111 ms.
- **The runtime's file I/O left the event loops** (a standards fix found while profiling, not
  a speed change): the workspace tools did their filesystem calls on the loop the run was on,
  and every run `stat`ed the skills folder there (listing it and reading each SKILL.md when
  there were skills). Now the tools run on `NIOThreadPool.singleton` and the skills snapshot is
  kept in memory, re-read in the background at most once a second.

## Round 5: a reference relay, and admission for new streams (2026-11-30)

- **nginx beside every row.** Side by side in one run (12:49 UTC, commit 41a3c1b): nginx adds
  +0.03 / +0.13 ms (p50 / p99) at one connection, relays 0.60× the direct throughput, has no
  stall at 2,000 streams, adds +0.38 ms to low-load TTFT p99, and holds 17.9 KiB per open
  stream. So the targets are those of a plain relay, reachable on this machine; the gateway's
  misses are its own cost, not the box's. Per unit of work: **357 µs of CPU per non-stream
  request against nginx's 21 µs** (17×; an agent run, a durable transcript, AsyncHTTPClient and
  Hummingbird against a byte relay), and 33 µs per relayed chunk against 19 µs (1.8×, stream
  set-up included).
- **Stalls were a scheduling problem, not only a cost problem.** 2,000 streams sent over 0.5 s
  start ~4,000 runs/s, ~0.85 ms of CPU each; all of that set-up was queued on the event loops
  at once, and NIO runs every queued job before it polls sockets again, so the chunks of the
  streams already open waited behind hundreds of set-ups: gaps of 700–900 ms. nginx's set-up
  is cheap enough that its backlog stays in the kernel's accept queue. Now a streamed run (SSE on
  either endpoint, or a WebSocket `agent`/`chat.send` run) takes a permit of an `AdmissionGate`,
  already registered so `chat.abort` reaches it, before it starts (8 per core, first come first served,
  `: ping` keep-alives while it waits) and gives it back at its first event after `.started`
  (first delta, tool, fallback), its end, or after 25 ms, whichever comes first — so a slow
  model never keeps one, and the gate never bounds how many streams are open, only how many are
  in their first moments together. Side by side (`2,000 × 50 × 20 ms`, same fakes, alternating
  runs): without the gate 2,690 and 2,936 stalls, max gap 700 and 728 ms; with it 0 stalls in
  four runs, max gap 112–166 ms (direct: 104–119 ms); full `make bench` runs after it: 0
  stalls, max gap 139, 175 and 147 ms, and once 117 stalls (max gap 297 ms) in a run started
  while the machine was still busy (load 2.6) — nginx stalled 34 times in that same run. The
  figure is sensitive to the machine's state: right after a release build, 3 of 5 runs had
  128–481 stalls (max gap 254–355 ms); then, alternating the binaries before and after a
  refactor, 6 of 6 runs had none (max gap 124–177 ms). The price: the new streams of the burst wait longer for their
  first token (TTFT p50 1.3–1.5 s → 1.8–2.2 s; informative, no target), and the gateway spends
  more CPU per stream (1.7–1.8 → 2.6–2.9 ms; per relayed chunk in `make bench` 33 → 53–56 µs)
  because it now keeps up with each chunk, one read and one write per chunk, instead of
  catching up several chunks per read and write after a stall (chunks alone in a read 8–14% →
  43–62%). With 32 permits 22 stalls remained, with 64 permits 80; with 4 per core (8) the
  gaps were no shorter (max 147–156 ms against 136–147 ms with 16, two runs each) while the
  burst's TTFT p50 rose to 2.5–2.7 s (1.7–1.9 s) and CPU per stream to 3.0–3.1 ms (2.5–2.6). Releasing the permit at
  `.started` (before the model call) did not help: the upstream connection and request are the
  expensive part of set-up. Low-load TTFT is unchanged (p50 1.0 ms, p99 1.8 ms over 200
  streams, before and after).
- **Where a lone stream's first token goes** (timestamps from the handler's entry, temporary
  instrumentation, 300 streams one at a time, 2 chunks × 5 ms; p50 / p90 in µs): body read 35 / 45,
  request parsed and resolved 97 / 126, response returned 104 / 136, Hummingbird calls the body
  writer (head written in between) 222 / 322, role chunk written 285 / 434, provider called
  352 / 519, upstream response head 754 / 984, first delta parsed 791 / 1,039, first delta
  written 891 / 1,224. Against a TTFT p50 of 1.5 ms seen by the client (0.2 ms direct), the
  upstream call through AsyncHTTPClient (~400 µs, of which the fake's own answer is a small
  part), the intake and the hand-over to the body writer (~220 µs) and the two chunk writes
  (~50 and ~100 µs) are the big parts; the rest (~600 µs, of which the direct path's whole
  TTFT is 200) is outside the handler: accepting the new connection, its pipeline (HTTP/1 with
  the WebSocket upgrade handler), parsing, auth, routing, and the delivery to the client. No one part is near the +1 ms budget alone; it would take most of them at
  nginx's cost.
- **The memory run waits for first tokens.** With the gate, a stream's response head (written
  at once) no longer means its run is in flight: one run counted per-stream memory with only
  1,189 of 2,000 runs started (72 KiB). `streams.py --hold-seconds` now waits for each
  stream's first content token: 83 KiB with all 2,000, as before the gate.

## Round 4: streams without a relay, one upstream client per loop (2026-11-30)

Changes, each measured side by side against the binary before it (alternating runs, same
fakes, `perf`, `strace`, `heaptrack`, gateway CPU from `/proc/<pid>/stat`):

- **A stream's run writes its own chunks.** `RunStreaming` replaces the `AsyncStream` relay
  (`RunEventPump`): the run's task writes each delta to the response (`EventStreamOutput`)
  as it arrives; the waiting task only wakes for keep-alive ticks (`RunControl.run(tickEvery:)`).
  No queue and no task wake-up per chunk, and the whole-text copies that queued
  `assistantDelta` events forced are gone.
- **No timer per read.** AsyncHTTPClient's read timeout re-armed an event-loop timer on every
  read, and NIO cancels a timer by a linear scan of the loop's timer heap (thousands of
  entries at 2,000 streams). Providers now watch for silence themselves (`UpstreamIdleWatch`:
  one clock read per chunk, one timer per `timeout`), and stop the run through `RunStop`;
  the provider's `timeoutSeconds` is now also its idle timeout (default 120 s; tested).
- **One AsyncHTTPClient per event loop** (`UpstreamClients`). `strace` of one stream at low
  load showed the request on loop A and the only idle upstream connection on loop B: four
  `eventfd` wake-ups between the threads before the first token. Now a request, its upstream
  connection and its response stay on one thread.
- **One index less per new session.** Migration v3 drops `session.key`'s index (sessions are
  found through `sessionKey`): bytes written per request (`/proc/<pid>/io`) 57 → 51 KB at one
  connection, 15.4 → 13.4 KB at 64. Each lone turn still dirties ~9 B-tree pages (session and
  sessionKey tables with their primary-key indexes, three message structures); `WITHOUT ROWID`
  tables would save about three more, at the price of a copying migration (not done).

| side by side, same session | change | before | after |
|---|---|---|---|
| gateway CPU per chunk, 2,000 streams (2 runs each; includes request set-up) | no relay, no read timer | 47, 39 µs | 35, 36 µs |
| non-stream, 64 connections (2 runs each) | no relay, no read timer | 4,883, 4,353 req/s | 5,058, 4,290 req/s (noise) |
| low load, short streams one at a time: TTFT p50 (3 runs each) | client per loop | 1.3, 1.1, 1.2 ms | 1.2, 0.9, 1.1 ms |
| low load: gateway CPU per stream (3 runs each) | client per loop | 2,375, 2,025, 2,150 µs | 2,200, 1,775, 1,950 µs |
| non-stream, 64 connections (3 runs each) | client per loop | 4,352, 4,693, 4,240 req/s | 4,679, 4,741, 4,122 req/s (noise) |

**What the remaining misses are made of** (this round's measurements):

- *2,000 streams* ask for 100,000 chunks/s. Gateway CPU per stream at 2,000 streams is
  ~860 µs with 2 chunks and ~1,890 µs with 50: ~820 µs of set-up (client connection, request,
  run, upstream connection, transcript commit) and ~21 µs per relayed chunk (one upstream read,
  SSE + JSON parse, one chunk encode, one `writev`, AsyncHTTPClient's and NIO's per-read
  machinery, one task resumption). The chunks alone are 2.1 cores of work, the set-ups 1.6 more,
  on a 2-core machine that also runs the fake and the Python client; the gateway falls behind, and gaps
  over 200 ms follow (the direct run needs no relay and has none). Stall-free at this load
  needs under ~8 µs per chunk: not reachable through AsyncHTTPClient + Hummingbird's
  task-per-connection model, whose per-read costs alone are above that. The profile is flat
  (top symbol `swift_retain` 7%).
- *Memory per open stream* (83 KiB): `heaptrack` on 500 idle streams: **47 KiB per stream is
  Swift task-allocator slabs** (a task keeps the high-water mark of its async stack: the
  runtime's run closure with `runInLane` inlined 6 KiB, AsyncHTTPClient's `execute` 4.2 KiB,
  the provider 3 KiB, `RunRegistry.run` 2.7 KiB, Hummingbird's upgrade channel 2.1 KiB, the
  responder 3.5 KiB, ~20 more slabs of 1 KiB), 27 KiB malloc (two NIO channels and their
  pipelines, AHC's request state, buffers). 20 KiB is below what the two suspended tasks'
  stacks alone hold.
- *Low-load TTFT* (+1.5 to +1.9 ms): a lone stream costs ~2.2 ms of gateway CPU when its
  chunks are 5–20 ms apart but ~1.1 ms when streams run back to back: between chunks the
  Python client and the fake run, and every wake-up finds cold caches. A new TCP connection
  (the stream client opens one per stream) costs ~300 µs on its own (`Connection: close`:
  925 vs 608 µs per request at one connection).
- *Non-stream requests* (~330 µs of CPU each at 64 connections; `perf --call-graph dwarf`):
  AsyncHTTPClient sending the upstream request, its two socket writes (head, then body) and
  their loopback delivery ~17%; the transcript commit on GRDB's writer ~16–20% (half of it
  writing and checksumming WAL frames); request intake (parse, validate, resolve) ~5%; the
  runtime ~4%; retain/release/malloc ~12%; the rest spread thinly over NIO, Hummingbird and
  the kernel. AsyncHTTPClient's pool bookkeeping (linear scans) is 0.2%, not a factor.
- *Idle RSS* sits at 39.5–40.5 MiB from run to run, 36 MiB of it file-backed pages of the
  binary and the Swift/Foundation libraries touched while loading (RssAnon is 3.4 MiB; 11.6 MiB
  is the binary's executable segment, mapped 64 KiB around each page touched by the kernel's
  fault-around).
  Measured and not adopted: a statically linked Swift runtime gave 38.9 MiB and a 20 ms
  cold start (26 ms dynamic), but needs SwiftPM's `--static-swift-stdlib` on every release
  build (a link flag in Package.swift alone does not link), which would change the build
  command users run.
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--write")
    args = ap.parse_args()
    machine, table, notes = build(args.results)
    text = "\n".join(table)
    print()
    print(machine)
    print(text)
    for n in notes:
        print(f"- {n}")
    if args.write:
        with open(args.write, "w") as f:
            f.write(INTRO)
            f.write("\n## Latest run\n\n")
            f.write(machine + "\n\n")
            f.write(text + "\n")
            if notes:
                f.write("\n" + "\n".join(f"- {n}" for n in notes) + "\n")
        print(f"\nwritten to {args.write}", file=sys.stderr)


if __name__ == "__main__":
    main()
