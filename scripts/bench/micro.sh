#!/usr/bin/env bash
# Micro-benchmarks: the gateway's JSON string quoting and white-space trimming against the
# Foundation calls they replaced, side by side in one run (ratios). Builds with `swiftc -O`
# from Sources/OpenAIWire plus scripts/bench/micro/main.swift into a temporary directory.
#   scripts/bench/micro.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/openclaw-micro.XXXXXX")
trap 'rm -rf "$T"' EXIT
swiftc -O -swift-version 6 -module-name OpenAIWireMicro "$ROOT"/Sources/OpenAIWire/*.swift \
    "$ROOT/scripts/bench/micro/main.swift" -o "$T/micro" 2>&1 | grep -v "^$" >&2 || true
[[ -x $T/micro ]] || { echo "micro.sh: build failed" >&2; exit 1; }
"$T/micro"
