#!/usr/bin/env bash
# Installs the official OpenAI Python SDK into a private venv under the shared runtime cache
# (~/.openclaw/runtime/python-sdk, or $OPENCLAW_STATE_DIR/runtime/python-sdk), once. The
# SDK compatibility tests (Tests/GatewayEndToEndTests/OpenAISDKTests.swift) run scripts/sdk/*.py
# with it. Idempotent: a second run only checks the pinned version.
#   --print-python   print the venv's python path and exit
set -euo pipefail
VERSION="3.57.0"
STATE_DIR="${OPENCLAW_STATE_DIR:-$HOME/.openclaw}"
VENV="$STATE_DIR/runtime/python-sdk/openai-$VERSION"
PY="$VENV/bin/python"
if [ "${1:-}" = "--print-python" ]; then echo "$PY"; exit 0; fi
if [ -x "$PY" ] && "$PY" -c "import openai, sys; sys.exit(openai.__version__ != '$VERSION')" 2>/dev/null; then
  exit 0
fi
echo "[setup] installing the OpenAI Python SDK $VERSION into $VENV" >&2
rm -rf "$VENV.tmp"
python3 -m venv "$VENV.tmp"
"$VENV.tmp/bin/pip" install -q --disable-pip-version-check "openai==$VERSION" >&2
rm -rf "$VENV"
mv "$VENV.tmp" "$VENV"
# A venv records its own path; moving it keeps python working but not the pip shebangs we no longer need.
"$PY" -c "import openai; print('[setup] openai', openai.__version__)" >&2
