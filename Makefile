# swift-openclaw — the two commands a user needs: `make run` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift

.PHONY: setup setup-system setup-local-model setup-python-sdk build release run test bench clean-local-model

## Set-up shared by run and test: system libraries and the embedded local model (cached).
setup: setup-system setup-local-model

setup-system:
	@scripts/setup-system.sh

setup-local-model:
	@scripts/setup-local-model.sh

## Debug build.
build:
	$(SWIFT) build

## What users run: .build/release/openclaw
release:
	$(SWIFT) build -c release

## Set-up, then the gateway on the embedded local model (creates a token config on first run).
run: setup release
	@scripts/run-gateway.sh .build/release/openclaw

## Set-up, then every test. `swift test` builds what it needs (no separate build step).
## The local-model tests use the llama-server and model installed by setup-local-model; the SDK
## tests use the OpenAI Python SDK installed by setup-python-sdk (both in the shared runtime cache).
test: setup setup-python-sdk
	eval "$$(scripts/setup-local-model.sh --print-paths | sed 's/^binary=/export OPENCLAW_TEST_LLAMA_SERVER=/; s/^model=/export OPENCLAW_TEST_LOCAL_MODEL=/')" && \
	export OPENCLAW_TEST_PYTHON="$$(scripts/setup-python-sdk.sh --print-python)" && $(SWIFT) test

setup-python-sdk:
	@scripts/setup-python-sdk.sh

## Performance harness (see docs/performance.md).
bench:
	@scripts/bench.sh
