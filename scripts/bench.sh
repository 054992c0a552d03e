#!/usr/bin/env bash
# `make bench` (issue 6): the gateway beside a fast fake OpenAI upstream, in one run, one table.
#
#   scripts/bench.sh [--streams K] [--no-build] [--no-write]
#   BENCH_STREAMS=500 make bench
#
# Builds release, starts three instances of the fake upstream (instant, 50 chunks × 20 ms, and
# a near-silent one for idle streams) and `openclaw gateway` (token auth, chat completions on,
# default stateless sessions persisted to SQLite in a temporary state directory on disk), all
# on 127.0.0.1. Every figure is measured for the gateway and, in the same run, straight against
# the fake. Prints one table and writes it, with date and machine, to docs/performance.md.
# For reference, the same load also goes through nginx (Debian's package, installed if missing;
# skipped if it cannot be) as a plain reverse proxy in front of the same fakes: what a relay
# that does nothing else costs on this machine. And through `openclaw-stack-floor`, a relay
# built on the gateway's own stack (Hummingbird + AsyncHTTPClient, set up as the gateway sets
# them up) with none of the gateway in it: the floor under what the gateway adds on that stack.
# Everything started here is stopped on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_DIR=$ROOT/scripts/bench

STREAMS=${BENCH_STREAMS:-2000}
BUILD=1
WRITE=1
LAT_SECONDS=${BENCH_LATENCY_SECONDS:-10}
TP_SECONDS=${BENCH_THROUGHPUT_SECONDS:-15}
LOW_STREAMS=20
TTFT_STREAMS=${BENCH_TTFT_STREAMS:-300}
COLD_RUNS=5
while [[ $# -gt 0 ]]; do
    case "$1" in
    --streams) STREAMS=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --no-write) WRITE=0; shift ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
    esac
done
COMMAND="scripts/bench.sh --streams $STREAMS"

log() { printf '\033[1m[bench %s]\033[0m %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# --- set-up -------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
    log "installing wrk"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
    $SUDO apt-get install -y wrk >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y wrk >/dev/null; }
fi
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
if [[ ! -x $NGINX_BIN ]]; then
    log "installing nginx (reference relay)"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
    $SUDO apt-get install -y nginx-light >/dev/null 2>&1 || $SUDO apt-get install -y nginx >/dev/null 2>&1 || true
    # Only the binary is used; the package's own service stays stopped.
    $SUDO service nginx stop >/dev/null 2>&1 || true
fi
[[ -x $NGINX_BIN ]] || { log "nginx is not available: the reference column stays empty"; NGINX_BIN=""; }
command -v python3 >/dev/null || die "python3 is needed"
command -v curl >/dev/null || die "curl is needed"

# Each stream holds a socket in the client, the gateway and the fake (twice for the gateway).
want_files=$((STREAMS * 3 + 4096))
ulimit -n "$want_files" 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
if [[ $(ulimit -n) != unlimited && $(ulimit -n) -lt $((STREAMS * 2 + 256)) ]]; then
    die "open-file limit $(ulimit -n) is too low for $STREAMS streams (try --streams $(( ($(ulimit -n) - 256) / 2 )))"
fi

if [[ $BUILD == 1 ]]; then
    log "building release (openclaw, openclaw-fake-upstream, openclaw-stack-floor)"
    swift build -c release --product openclaw >&2
    swift build -c release --product openclaw-fake-upstream >&2
    swift build -c release --product openclaw-stack-floor >&2
fi
BIN=$(swift build -c release --show-bin-path)

# Let the machine settle first: right after a build (or other work) the load generators, the
# fakes and the gateway compete with it, and the wall-clock rows (stalls above all) move with
# it. Waits while the 1-minute load average is above BENCH_SETTLE_LOAD (1.0), at most
# BENCH_SETTLE_SECONDS (120; 0 skips the wait); the table's notes give the load at the start.
SETTLE_LOAD=${BENCH_SETTLE_LOAD:-1.0}
SETTLE_SECONDS=${BENCH_SETTLE_SECONDS:-120}
settled_after=0
while (( settled_after < SETTLE_SECONDS )) && awk -v max="$SETTLE_LOAD" '{ exit !($1 > max) }' /proc/loadavg; do
    (( settled_after % 15 == 0 )) && log "waiting for the machine to settle (load $(cut -d' ' -f1 /proc/loadavg) > $SETTLE_LOAD)"
    sleep 1
    settled_after=$((settled_after + 1))
done
GATEWAY_BIN=$BIN/openclaw
FAKE_BIN=$BIN/openclaw-fake-upstream
FLOOR_BIN=$BIN/openclaw-stack-floor
[[ -x $GATEWAY_BIN && -x $FAKE_BIN && -x $FLOOR_BIN ]] \
    || die "missing $GATEWAY_BIN, $FAKE_BIN or $FLOOR_BIN (run without --no-build)"

# A state directory on disk (not tmpfs), like production.
T=$(mktemp -d "${TMPDIR:-/tmp}/openclaw-bench.XXXXXX")
R=$T/results
mkdir -p "$R"
PIDS=()
cleanup() {
    local rc=$?
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    if [[ $rc -ne 0 ]]; then
        log "logs kept in $T"
        tail -n 20 "$T"/*.err 2>/dev/null >&2 || true
    else
        rm -rf "$T"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Reads `listening on http://127.0.0.1:PORT` from a process's stdout file.
wait_port() {
    local file=$1 pid=$2 what=$3
    for _ in $(seq 300); do
        if grep -q "listening on" "$file" 2>/dev/null; then
            grep -m1 "listening on" "$file" | sed 's/.*://' | tr -d '\r '
            return
        fi
        kill -0 "$pid" 2>/dev/null || { cat "${file%.out}.err" >&2 2>/dev/null; die "$what exited"; }
        sleep 0.05
    done
    die "$what did not start listening"
}

# Starts a server that prints `listening on …`; sets <VAR>_PORT and <VAR>_PID (no subshell, so
# the trap sees the pid).
start_server() { # VAR name command...
    local var=$1 name=$2
    shift 2
    "$@" >"$T/$name.out" 2>"$T/$name.err" &
    local pid=$!
    PIDS+=("$pid")
    local port
    port=$(wait_port "$T/$name.out" "$pid" "$name") && [[ -n $port ]] || die "$name did not start"
    printf -v "${var}_PORT" '%s' "$port"
    printf -v "${var}_PID" '%s' "$pid"
}
start_fake() { start_server "$1" "$2" "$FAKE_BIN" --port 0 --chunks "$3" --chunk-delay-ms "$4"; } # VAR name chunks delay

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "starting the fake upstreams"
start_fake FAKE_INSTANT fake-instant 50 0
start_fake FAKE_STREAM fake-stream 50 20
start_fake FAKE_IDLE fake-idle 3 60000
FAKE_INSTANT=$FAKE_INSTANT_PORT
FAKE_STREAM=$FAKE_STREAM_PORT
FAKE_IDLE=$FAKE_IDLE_PORT

TOKEN=bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
CONFIG=$T/openclaw.json
cat >"$CONFIG" <<EOF
{
  "gateway": {
    "auth": { "token": "$TOKEN" },
    "http": { "endpoints": { "chatCompletions": { "enabled": true } } }
  },
  "models": {
    "providers": {
      "fake": { "baseUrl": "http://127.0.0.1:$FAKE_INSTANT/v1" },
      "fakestream": { "baseUrl": "http://127.0.0.1:$FAKE_STREAM/v1" },
      "fakeidle": { "baseUrl": "http://127.0.0.1:$FAKE_IDLE/v1" }
    }
  },
  "agents": {
    "defaults": { "model": "fake/bench" },
    "list": [
      { "id": "main", "default": true },
      { "id": "stream", "model": "fakestream/bench" },
      { "id": "idle", "model": "fakeidle/bench" }
    ]
  }
}
EOF

log "starting the gateway"
"$GATEWAY_BIN" gateway --port 0 --config "$CONFIG" --state-dir "$T/state" >"$T/gateway.out" 2>"$T/gateway.err" &
GATEWAY_PID=$!
PIDS+=("$GATEWAY_PID")
GW=$(wait_port "$T/gateway.out" "$GATEWAY_PID" gateway) && [[ -n $GW ]] || die "the gateway did not start"
for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$GW/health" && break
    sleep 0.05
done
GW_URL=http://127.0.0.1:$GW/v1/chat/completions
log "gateway on $GW (pid $GATEWAY_PID); fakes: instant $FAKE_INSTANT, stream $FAKE_STREAM, idle $FAKE_IDLE"

# --- the stack floor: Hummingbird + AsyncHTTPClient relaying to the same fakes -------------
start_server FLOOR stack-floor-instant "$FLOOR_BIN" --port 0 --upstream "http://127.0.0.1:$FAKE_INSTANT/v1/chat/completions"
start_server FLOOR_IDLE stack-floor-idle "$FLOOR_BIN" --port 0 --upstream "http://127.0.0.1:$FAKE_IDLE/v1/chat/completions"
FLOOR_URL=http://127.0.0.1:$FLOOR_PORT/v1/chat/completions
FLOOR_IDLE_URL=http://127.0.0.1:$FLOOR_IDLE_PORT/v1/chat/completions
log "stack floor relay: $FLOOR_URL (pid $FLOOR_PID), idle streams $FLOOR_IDLE_URL (pid $FLOOR_IDLE_PID)"

# --- the reference relay: nginx as a plain reverse proxy in front of the same fakes ---------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
NGX_URL="" NGX_STREAM_URL="" NGX_IDLE_URL="" NGINX_PID=""
if [[ -n $NGINX_BIN ]]; then
    mkdir -p "$T/nginx/logs"
    NGX_INSTANT=$(free_port) NGX_STREAM=$(free_port) NGX_IDLE=$(free_port)
    ngx_server() { # port upstream-name
        printf '  server { listen 127.0.0.1:%s; location / { proxy_pass http://%s; } }\n' "$1" "$2"
    }
    cat >"$T/nginx/nginx.conf" <<EOF
worker_processes auto;
worker_rlimit_nofile $((STREAMS * 3 + 4096));
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log warn;
events { worker_connections $((STREAMS * 2 + 1024)); }
http {
  access_log off;
  client_body_temp_path $T/nginx/body; proxy_temp_path $T/nginx/proxy;
  fastcgi_temp_path $T/nginx/fastcgi; uwsgi_temp_path $T/nginx/uwsgi; scgi_temp_path $T/nginx/scgi;
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_buffering off;
  proxy_read_timeout 120s;
  upstream instant { server 127.0.0.1:$FAKE_INSTANT; keepalive 256; }
  upstream stream { server 127.0.0.1:$FAKE_STREAM; keepalive 256; }
  upstream idle { server 127.0.0.1:$FAKE_IDLE; keepalive 256; }
$(ngx_server "$NGX_INSTANT" instant)
$(ngx_server "$NGX_STREAM" stream)
$(ngx_server "$NGX_IDLE" idle)
}
EOF
    "$NGINX_BIN" -p "$T/nginx" -c "$T/nginx/nginx.conf" -g 'daemon off;' >"$T/nginx.out" 2>"$T/nginx.err" &
    NGINX_PID=$!
    PIDS+=("$NGINX_PID")
    for _ in $(seq 100); do
        curl -fsS -o /dev/null -d '{}' "http://127.0.0.1:$NGX_INSTANT/v1/chat/completions" 2>/dev/null && break
        sleep 0.05
    done
    if kill -0 "$NGINX_PID" 2>/dev/null; then
        NGX_URL=http://127.0.0.1:$NGX_INSTANT/v1/chat/completions
        NGX_STREAM_URL=http://127.0.0.1:$NGX_STREAM/v1/chat/completions
        NGX_IDLE_URL=http://127.0.0.1:$NGX_IDLE/v1/chat/completions
        log "reference relay: nginx (pid $NGINX_PID) on $NGX_INSTANT, $NGX_STREAM, $NGX_IDLE"
    else
        log "nginx did not start ($(tail -n 3 "$T/nginx.err" | tr '\n' ' ')): the reference column stays empty"
    fi
fi
# CPU time (user + system, ms) of a process and its children (nginx: master + workers).
cpu_tree_ms() {
    local total=0 p hz
    hz=$(getconf CLK_TCK)
    for p in $1 $(cat "/proc/$1/task/"*/children 2>/dev/null); do
        total=$((total + $(awk -v hz="$hz" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}
# Runs "$@" and appends `"name": {"proxy_ms": …, "fake_ms": …}` (CPU used meanwhile) to $R/cpu.txt.
with_cpu() { # name proxy-pid fake-pid command...
    local name=$1 proxy=$2 fake=$3 p0 f0
    shift 3
    p0=$(cpu_tree_ms "$proxy") f0=$(cpu_tree_ms "$fake")
    "$@"
    echo "\"$name\": {\"proxy_ms\": $(($(cpu_tree_ms "$proxy") - p0)), \"fake_ms\": $(($(cpu_tree_ms "$fake") - f0))}," >>"$R/cpu.txt"
}
# RSS of a process and its children (nginx: master + workers).
rss_tree_kib() {
    local total=0 p
    for p in $1 $(cat "/proc/$1/task/"*/children 2>/dev/null); do
        total=$((total + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
    done
    echo "$total"
}

sleep 1
GW_IDLE_KIB=$(rss_kib "$GATEWAY_PID")
FLOOR_IDLE_KIB=$(rss_kib "$FLOOR_IDLE_PID")
FAKE_IDLE_KIB=$(rss_kib "$FAKE_IDLE_PID")
# The same RSS split into anonymous memory and file-backed pages (code of the binary and its
# libraries), which move for different reasons.
status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
GW_IDLE_ANON_KIB=$(status_kib "$GATEWAY_PID" RssAnon) GW_IDLE_FILE_KIB=$(status_kib "$GATEWAY_PID" RssFile)
FAKE_IDLE_ANON_KIB=$(status_kib "$FAKE_IDLE_PID" RssAnon) FAKE_IDLE_FILE_KIB=$(status_kib "$FAKE_IDLE_PID" RssFile)

# --- sanity: one answer through each path -------------------------------------------------
check() { # label url extra-curl-args...
    local label=$1 url=$2
    shift 2
    local out
    out=$(curl -sS --max-time 20 -w '\n%{http_code}' "$url" -H 'Content-Type: application/json' "$@") || die "$label: curl failed"
    [[ ${out##*$'\n'} == 200 ]] || die "$label: HTTP ${out##*$'\n'}: ${out:0:300}"
    grep -q 'tok tok\|"content":"tok ' <<<"$out" || die "$label: unexpected answer: ${out:0:300}"
}
check "gateway non-stream" "$GW_URL" -H "Authorization: Bearer $TOKEN" \
    -d '{"model":"openclaw","messages":[{"role":"user","content":"hi"}]}'
check "direct non-stream" "http://127.0.0.1:$FAKE_INSTANT/v1/chat/completions" \
    -d '{"model":"openclaw","messages":[{"role":"user","content":"hi"}]}'
check "stack floor non-stream" "$FLOOR_URL" \
    -d '{"model":"openclaw","messages":[{"role":"user","content":"hi"}]}'
check "gateway stream" "$GW_URL" -N -H "Authorization: Bearer $TOKEN" -H 'x-openclaw-agent-id: stream' \
    -d '{"model":"openclaw","stream":true,"messages":[{"role":"user","content":"hi"}]}'
log "sanity checks passed"

# --- memory: K idle-ish open streams ------------------------------------------------------
hold_streams() { # label url agent pid → "rss_before rss_with open first"
    local label=$1 url=$2 agent=$3 pid=$4 before with=""
    before=$(rss_tree_kib "$pid")
    timeout 120 python3 "$BENCH_DIR/streams.py" --url "$url" --token "$TOKEN" --agent "$agent" \
        --streams "$STREAMS" --hold-seconds 6 --ready-timeout 30 --label "$label" \
        >"$R/hold-$label.out" 2>"$R/hold-$label.err" &
    local client=$!
    for _ in $(seq 900); do
        if grep -q '^READY' "$R/hold-$label.out" 2>/dev/null; then
            with=$(rss_tree_kib "$pid")
            break
        fi
        kill -0 "$client" 2>/dev/null || break
        sleep 0.1
    done
    wait "$client" || true
    [[ -n $with ]] || { cat "$R/hold-$label.err" >&2; die "$label: the idle streams never became ready"; }
    local ready
    ready=$(grep -m1 '^READY' "$R/hold-$label.out")
    echo "$before $with ${ready#READY }"
}
log "memory: $STREAMS idle open streams (gateway)"
read -r GW_MEM_BEFORE GW_MEM_WITH GW_MEM_OPEN GW_MEM_FIRST < <(hold_streams gateway "$GW_URL" idle "$GATEWAY_PID") || true
[[ -n ${GW_MEM_FIRST:-} ]] || die "memory run against the gateway failed"
sleep 2
log "memory: $STREAMS idle open streams (direct)"
read -r FAKE_MEM_BEFORE FAKE_MEM_WITH FAKE_MEM_OPEN FAKE_MEM_FIRST < <(hold_streams direct "http://127.0.0.1:$FAKE_IDLE/v1/chat/completions" "" "$FAKE_IDLE_PID") || true
[[ -n ${FAKE_MEM_FIRST:-} ]] || die "memory run against the fake failed"
log "gateway RSS ${GW_MEM_BEFORE} → ${GW_MEM_WITH} KiB with $GW_MEM_OPEN open ($GW_MEM_FIRST with a first token)"
log "fake RSS ${FAKE_MEM_BEFORE} → ${FAKE_MEM_WITH} KiB with $FAKE_MEM_OPEN open"
NGX_MEM="null"
if [[ -n $NGX_URL ]]; then
    sleep 2
    log "memory: $STREAMS idle open streams (nginx, reference)"
    NGX_IDLE_KIB=$(rss_tree_kib "$NGINX_PID")
    if read -r NGX_MEM_BEFORE NGX_MEM_WITH NGX_MEM_OPEN NGX_MEM_FIRST < <(hold_streams nginx "$NGX_IDLE_URL" "" "$NGINX_PID") \
        && [[ -n ${NGX_MEM_FIRST:-} ]]; then
        NGX_MEM="{\"idle_kib\": $NGX_IDLE_KIB, \"before_kib\": $NGX_MEM_BEFORE, \"with_kib\": $NGX_MEM_WITH, \"open\": $NGX_MEM_OPEN}"
    fi
fi
sleep 2
log "memory: $STREAMS idle open streams (stack floor relay, reference)"
FLOOR_MEM="null"
if read -r FLOOR_MEM_BEFORE FLOOR_MEM_WITH FLOOR_MEM_OPEN FLOOR_MEM_FIRST < <(hold_streams floor "$FLOOR_IDLE_URL" "" "$FLOOR_IDLE_PID") \
    && [[ -n ${FLOOR_MEM_FIRST:-} ]]; then
    FLOOR_MEM="{\"idle_kib\": $FLOOR_IDLE_KIB, \"before_kib\": $FLOOR_MEM_BEFORE, \"with_kib\": $FLOOR_MEM_WITH, \"open\": $FLOOR_MEM_OPEN}"
fi
cat >"$R/memory.json" <<EOF
{"gateway_idle_kib": $GW_IDLE_KIB, "direct_idle_kib": $FAKE_IDLE_KIB,
 "gateway_idle_anon_kib": ${GW_IDLE_ANON_KIB:-0}, "gateway_idle_file_kib": ${GW_IDLE_FILE_KIB:-0},
 "direct_idle_anon_kib": ${FAKE_IDLE_ANON_KIB:-0}, "direct_idle_file_kib": ${FAKE_IDLE_FILE_KIB:-0},
 "gateway_before_kib": $GW_MEM_BEFORE, "gateway_with_kib": $GW_MEM_WITH, "gateway_open": $GW_MEM_OPEN, "gateway_first": $GW_MEM_FIRST,
 "direct_before_kib": $FAKE_MEM_BEFORE, "direct_with_kib": $FAKE_MEM_WITH, "direct_open": $FAKE_MEM_OPEN, "direct_first": $FAKE_MEM_FIRST,
 "nginx": $NGX_MEM, "floor": $FLOOR_MEM}
EOF
sleep 2

# --- the durability floor: one fdatasync on the state directory's disk -------------------
python3 "$BENCH_DIR/fsync.py" "$T" >"$R/fsync.json" || die "fsync probe failed"
log "fdatasync of 4 KiB on the state disk: $(cat "$R/fsync.json")"

# --- latency at concurrency 1, non-stream -------------------------------------------------
run_wrk() { # out-file url conns threads seconds [token]
    local out=$1 url=$2 c=$3 t=$4 d=$5 token=${6:-}
    timeout $((d + 30)) wrk -c"$c" -t"$t" -d"${d}s" --latency --timeout 10s -s "$BENCH_DIR/post.lua" "$url" -- "$token" >"$out" 2>&1 \
        || { cat "$out" >&2; die "wrk $url failed"; }
    grep -q '^BENCH ' "$out" || { cat "$out" >&2; die "wrk printed no BENCH line"; }
    log "$(basename "$out"): $(grep '^BENCH ' "$out")"
}
DIRECT_URL=http://127.0.0.1:$FAKE_INSTANT/v1/chat/completions
log "warm-up"
run_wrk "$R/warm-gw.txt" "$GW_URL" 4 1 3 "$TOKEN"
run_wrk "$R/warm-direct.txt" "$DIRECT_URL" 4 1 2
[[ -n $NGX_URL ]] && run_wrk "$R/warm-nginx.txt" "$NGX_URL" 4 1 2
run_wrk "$R/warm-floor.txt" "$FLOOR_URL" 4 1 2
log "latency, 1 connection, ${LAT_SECONDS}s each"
run_wrk "$R/lat-gateway.txt" "$GW_URL" 1 1 "$LAT_SECONDS" "$TOKEN"
run_wrk "$R/lat-direct.txt" "$DIRECT_URL" 1 1 "$LAT_SECONDS"
[[ -n $NGX_URL ]] && run_wrk "$R/lat-nginx.txt" "$NGX_URL" 1 1 "$LAT_SECONDS"
run_wrk "$R/lat-floor.txt" "$FLOOR_URL" 1 1 "$LAT_SECONDS"

# --- throughput at 64 connections, non-stream ---------------------------------------------
log "throughput, 64 connections, ${TP_SECONDS}s each"
with_cpu tp-gateway "$GATEWAY_PID" "$FAKE_INSTANT_PID" run_wrk "$R/tp-gateway.txt" "$GW_URL" 64 2 "$TP_SECONDS" "$TOKEN"
with_cpu tp-direct "$FAKE_INSTANT_PID" "$FAKE_INSTANT_PID" run_wrk "$R/tp-direct.txt" "$DIRECT_URL" 64 2 "$TP_SECONDS"
[[ -n $NGX_URL ]] && with_cpu tp-nginx "$NGINX_PID" "$FAKE_INSTANT_PID" run_wrk "$R/tp-nginx.txt" "$NGX_URL" 64 2 "$TP_SECONDS"
with_cpu tp-floor "$FLOOR_PID" "$FAKE_INSTANT_PID" run_wrk "$R/tp-floor.txt" "$FLOOR_URL" 64 2 "$TP_SECONDS"
GW_AFTER_TP_KIB=$(rss_kib "$GATEWAY_PID")
echo "{\"gateway_after_throughput_kib\": $GW_AFTER_TP_KIB}" >"$R/after-tp.json"

# --- streaming ----------------------------------------------------------------------------
STREAM_DIRECT_URL=http://127.0.0.1:$FAKE_STREAM/v1/chat/completions
stream_run() { # out label url agent args...
    local out=$1 label=$2 url=$3 agent=$4
    shift 4
    timeout 300 python3 "$BENCH_DIR/streams.py" --url "$url" --token "$TOKEN" --agent "$agent" --label "$label" "$@" \
        >"$out" 2>"$out.err" || { cat "$out.err" >&2; die "stream client $label failed"; }
    cat "$out.err" >&2
}
log "streaming, low load: $LOW_STREAMS streams one at a time (50 chunks × 20 ms)"
stream_run "$R/low-gateway.json" low-gateway "$GW_URL" stream --streams "$LOW_STREAMS" --concurrency 1 --timeout 30
stream_run "$R/low-direct.json" low-direct "$STREAM_DIRECT_URL" "" --streams "$LOW_STREAMS" --concurrency 1 --timeout 30
[[ -n $NGX_URL ]] && stream_run "$R/low-nginx.json" low-nginx "$NGX_STREAM_URL" "" --streams "$LOW_STREAMS" --concurrency 1 --timeout 30
# Enough lone streams for a p99 that is not just the slowest one: against the instant fake
# (the 50 chunks come at once), so each takes a few milliseconds.
log "time to first token, low load: $TTFT_STREAMS streams one at a time (instant fake)"
stream_run "$R/ttft-gateway.json" ttft-gateway "$GW_URL" "" --streams "$TTFT_STREAMS" --concurrency 1 --timeout 30
stream_run "$R/ttft-direct.json" ttft-direct "$DIRECT_URL" "" --streams "$TTFT_STREAMS" --concurrency 1 --timeout 30
[[ -n $NGX_URL ]] && stream_run "$R/ttft-nginx.json" ttft-nginx "$NGX_URL" "" --streams "$TTFT_STREAMS" --concurrency 1 --timeout 30
stream_run "$R/ttft-floor.json" ttft-floor "$FLOOR_URL" "" --streams "$TTFT_STREAMS" --concurrency 1 --timeout 30
log "time to first token, low load: $TTFT_STREAMS streams one after another on one kept-alive connection"
stream_run "$R/ttftka-gateway.json" ttftka-gateway "$GW_URL" "" --streams "$TTFT_STREAMS" --concurrency 1 --keep-alive --timeout 30
stream_run "$R/ttftka-direct.json" ttftka-direct "$DIRECT_URL" "" --streams "$TTFT_STREAMS" --concurrency 1 --keep-alive --timeout 30
[[ -n $NGX_URL ]] && stream_run "$R/ttftka-nginx.json" ttftka-nginx "$NGX_URL" "" --streams "$TTFT_STREAMS" --concurrency 1 --keep-alive --timeout 30
log "streaming: $STREAMS concurrent streams (50 chunks × 20 ms)"
with_cpu streams-gateway "$GATEWAY_PID" "$FAKE_STREAM_PID" \
    stream_run "$R/streams-gateway.json" streams-gateway "$GW_URL" stream --streams "$STREAMS" --timeout 90
sleep 2
with_cpu streams-direct "$FAKE_STREAM_PID" "$FAKE_STREAM_PID" \
    stream_run "$R/streams-direct.json" streams-direct "$STREAM_DIRECT_URL" "" --streams "$STREAMS" --timeout 90
if [[ -n $NGX_URL ]]; then
    sleep 2
    with_cpu streams-nginx "$NGINX_PID" "$FAKE_STREAM_PID" \
        stream_run "$R/streams-nginx.json" streams-nginx "$NGX_STREAM_URL" "" --streams "$STREAMS" --timeout 90
fi
GW_FINAL_KIB=$(rss_kib "$GATEWAY_PID")
{ echo "{"; cat "$R/cpu.txt" 2>/dev/null; echo '"end": null}'; } >"$R/cpu.json"
echo "{\"gateway_final_kib\": $GW_FINAL_KIB}" >"$R/final.json"

# Stop the load gateway (and the reference relays) before the cold-start runs.
[[ -n $NGINX_PID ]] && kill -TERM "$NGINX_PID" 2>/dev/null
kill -TERM "$FLOOR_PID" "$FLOOR_IDLE_PID" 2>/dev/null || true
kill -TERM "$GATEWAY_PID" 2>/dev/null || true
for _ in $(seq 100); do kill -0 "$GATEWAY_PID" 2>/dev/null || break; sleep 0.1; done

# --- cold start ---------------------------------------------------------------------------
log "cold start: exec → first 200 from /health, median of $COLD_RUNS"
timeout 180 python3 "$BENCH_DIR/coldstart.py" --runs "$COLD_RUNS" -- \
    "$GATEWAY_BIN" gateway --port '{port}' --config "$CONFIG" --state-dir "$T/cold-state" >"$R/cold-gateway.json" 2>"$R/cold-gateway.err" \
    || { cat "$R/cold-gateway.err" >&2; die "gateway cold start failed"; }
timeout 60 python3 "$BENCH_DIR/coldstart.py" --runs "$COLD_RUNS" -- \
    "$FAKE_BIN" --port '{port}' --threads 1 >"$R/cold-direct.json" 2>"$R/cold-direct.err" \
    || { cat "$R/cold-direct.err" >&2; die "fake cold start failed"; }
cat "$R/cold-gateway.err" "$R/cold-direct.err" >&2

# --- the table ----------------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
cat >"$R/meta.json" <<EOF
{"date": "$(date -u '+%Y-%m-%d %H:%M UTC')", "nproc": "$(nproc)", "arch": "$(uname -m)",
 "cpu": "${cpu:-unknown}", "kernel": "$(uname -r)", "command": "$COMMAND", "streams": $STREAMS,
 "load_start": "$LOAD_START", "load_end": "$(cut -d' ' -f1-3 /proc/loadavg)",
 "swift": "$(swift --version 2>/dev/null | head -n1 | sed 's/"/\\"/g')",
 "commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || echo +dirty)"}
EOF
args=("$R")
[[ $WRITE == 1 ]] && args+=(--write "$ROOT/docs/performance.md")
python3 "$BENCH_DIR/report.py" "${args[@]}"
