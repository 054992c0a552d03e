#!/usr/bin/env bash
# `make run`: make sure a config exists (token auth, chat completions on), say how to call the
# gateway, then run it in the foreground on the embedded local model.
set -euo pipefail
bin="${1:-.build/release/openclaw}"
setup_out=$("$bin" setup)
echo "$setup_out"
auth=$(sed -n 's/^auth: //p' <<<"$setup_out")
port="${OPENCLAW_GATEWAY_PORT:-18789}"
cat <<MSG

Try it (in another terminal):

  curl -sS http://127.0.0.1:${port}/v1/chat/completions \\
    -H '${auth}' \\
    -H 'Content-Type: application/json' \\
    -d '{"model":"openclaw","messages":[{"role":"user","content":"hi"}]}'

Stop with Ctrl-C.
MSG
exec "$bin" gateway
