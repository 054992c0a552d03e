-- wrk script for `make bench` (issue 6): a non-stream chat completion POST.
--   wrk -c1 -t1 -d10s --latency -s scripts/bench/post.lua URL -- TOKEN
-- The token argument is optional (the fake upstream ignores it). Each request is a fresh
-- gateway session (no `user`, no session header): the default stateless mode, persisted to
-- SQLite like in production.
-- At the end, prints one machine-readable line for scripts/bench.sh:
--   BENCH requests=N duration_us=D rps=R p50_us=A p90_us=B p99_us=C max_us=M non2xx=X errors=E

wrk.method = "POST"
wrk.body = '{"model":"openclaw","messages":[{"role":"user","content":"hi"}]}'
wrk.headers["Content-Type"] = "application/json"

-- Runs before wrk formats the (static, reused) request of each thread.
function init(args)
  local token = args[1]
  if token ~= nil and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d errors=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, errors))
end
