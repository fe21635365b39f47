#!/usr/bin/env bash
# Address + UB sanitizer build of the unit tests (gcc), then `ctest -L unit`.
#   bash scripts/sanitize.sh
# Build dir: build-asan/ (GUI off, Debug, -g1: line tables are all a sanitizer
# report needs, and the 59 test links are much lighter). Leak checking is on; tests/sanitizer/lsan.supp
# suppresses leaks whose stacks are only inside Qt/system libraries, never ours.
# Env: RELAYDESK_JOBS (default 2, at most 2 on shared machines), CC/CXX are respected;
# RELAYDESK_SANITIZE_HARDENING=1 also builds the ASan relaydesk and runs
# tests/integration/test_hardening.py against it (raw-socket abuse of the real binary).
# Exit status: non-zero if the build fails or any unit test fails or a sanitizer fires.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD="$ROOT/build-asan"
JOBS=${RELAYDESK_JOBS:-2}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}

SAN_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"

echo "=== configure ${BUILD} ==="
cmake -S "$ROOT" -B "$BUILD" -G Ninja \
      -DRELAYDESK_GUI=OFF -DRELAYDESK_TESTS=ON -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_CXX_FLAGS="$SAN_FLAGS" -DCMAKE_CXX_FLAGS_DEBUG="-g1" -DCMAKE_UNITY_BUILD=ON \
      -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
      -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined"

# Only the unit test executables (one per tests/unit/tst_*.cpp), not the app.
mapfile -t TARGETS < <(for f in "$ROOT"/tests/unit/tst_*.cpp; do basename "$f" .cpp; done)
if ((${#TARGETS[@]} == 0)); then
    echo "sanitize: no unit tests found in tests/unit" >&2
    exit 1
fi
echo "=== build ${#TARGETS[@]} unit tests (-j${JOBS}) ==="
ninja -C "$BUILD" -j"$JOBS" "${TARGETS[@]}"

echo "=== ctest -L unit (ASan + LSan + UBSan) ==="
# The fast unwinder keeps the tests quick (full malloc stacks make them ~4x slower);
# for complete leak stacks through libcrypto/Qt add ASAN_OPTIONS=fast_unwind_on_malloc=0
# (yours are appended, so they win).
export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$ROOT/tests/sanitizer/lsan.supp:print_suppressions=1${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export QT_QPA_PLATFORM=offscreen
# Tests may skip wall-clock cost checks (e.g. full-cost password hashing) under ASan.
export RELAYDESK_SANITIZER=1
# Each test's own output shows the sanitizer report on failure.
status=0
if ctest --test-dir "$BUILD" -L unit --output-on-failure --no-tests=error -j"$JOBS" "$@"; then
    echo "=== sanitize: all unit tests clean ==="
else
    status=1
    echo "=== sanitize: unit tests FAILED (see the sanitizer reports above) ==="
fi

if [[ "${RELAYDESK_SANITIZE_HARDENING:-0}" == 1 ]]; then
    echo "=== build the ASan relaydesk ==="
    ninja -C "$BUILD" -j"$JOBS" relaydesk
    echo "=== test_hardening.py against build-asan/app/relaydesk ==="
    # The test fails on any sanitizer report in the relay's output. Full malloc stacks
    # here, so lsan.supp can recognise OpenSSL's per-thread state.
    if ASAN_OPTIONS="fast_unwind_on_malloc=0:$ASAN_OPTIONS" \
        RELAYDESK_BIN="$BUILD/app/relaydesk" /usr/bin/python3 "$ROOT/tests/integration/test_hardening.py"; then
        echo "=== sanitize: hardening tests clean under ASan/UBSan ==="
    else
        status=1
        echo "=== sanitize: hardening tests FAILED ==="
    fi
fi
exit "$status"
