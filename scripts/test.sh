#!/usr/bin/env bash
# The test command (README): bash scripts/test.sh
# On a fresh Debian bookworm (as root): install deps, build build/ (GUI; it also builds
# relaydesk_nogui, what a RELAYDESK_GUI=OFF build makes, and tests it: nogui.*), a libFuzzer
# smoke, the unit tests under ASan+UBSan (build-asan/), then every test of build/ (ctest -j2).
# Clean builds here are unity builds (CMAKE_UNITY_BUILD): about half the compile time.
# Exits non-zero on the first failure; prints the time of each phase.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS=${RELAYDESK_JOBS:-2}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
# Paths inside the clone are hashed relative to it, so a second clone (CI's fresh
# checkout) hits the cache the first one filled.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$ROOT} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}

PHASES=()
phase_start=0
current=""
begin() { current="$1"; phase_start=$(date +%s.%N); echo; echo "=== ${current} ==="; }
end() {
    local t; t=$(awk -v a="$phase_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    PHASES+=("$(printf '%-28s %8ss' "$current" "$t")")
    echo "=== ${current}: ${t}s ==="
    current=""
}
summary() {
    local rc=$?
    echo
    echo "=== phase timings ==="
    local p; for p in "${PHASES[@]}"; do echo "  $p"; done
    [[ -n "$current" ]] && echo "  ${current}: FAILED"
    if ((rc == 0)); then echo "=== scripts/test.sh: OK ==="; else echo "=== scripts/test.sh: FAILED (exit $rc) ==="; fi
    # The closing line CI reads: the counts of the full ctest run.
    if [[ -f "${CTEST_LOG:-}" ]]; then
        local line total failed
        line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$CTEST_LOG" | tail -1 || true)
        if [[ -n "$line" ]]; then
            failed=$(sed -E 's/.* ([0-9]+) tests? failed.*/\1/' <<<"$line")
            total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
            echo "tests: $((total - failed)) passed, ${failed} failed"
        fi
    fi
}
trap summary EXIT

begin "deps"
bash scripts/deps.sh
end

begin "configure build/"
cmake -S "$ROOT" -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DRELAYDESK_GUI=ON -DCMAKE_UNITY_BUILD=ON
end

begin "build build/"
cmake --build build -j"$JOBS"
end

begin "fuzz smoke (60 s, libFuzzer)"
bash scripts/fuzz.sh 60
end

begin "unit tests under ASan+UBSan (build-asan/)"
RELAYDESK_JOBS="$JOBS" bash scripts/sanitize.sh
end

begin "all tests build/"
CTEST_LOG=build/ctest-all.log
ctest --test-dir build --output-on-failure -j"$JOBS" --no-tests=error 2>&1 | tee "$CTEST_LOG"
end
