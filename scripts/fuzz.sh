#!/usr/bin/env bash
# Build and run the libFuzzer targets of tests/fuzz (clang, ASan + UBSan).
#   bash scripts/fuzz.sh [SECONDS]      # default 60: the total, split across the targets
#   bash scripts/fuzz.sh 3600           # a one-hour session
# Build dir: build-fuzz/ (a standalone CMake project: tests/fuzz/CMakeLists.txt).
# Each target runs on a scratch copy of its seed corpus (tests/fuzz/corpus/<name>/),
# so the repository corpus is never bloated; the scratch dir is printed and kept
# when something crashed. New interesting inputs are NOT copied back automatically.
# Env: RELAYDESK_JOBS (build parallelism, default 2), FUZZ_WORKERS (parallel
# libFuzzer processes per target via -fork=N, default 1), FUZZ_KEEP=1 keeps the
# scratch corpus (e.g. to merge new inputs: build-fuzz/<target> -merge=1 DIR SCRATCH).
# Needs Debian packages: clang libclang-rt-14-dev.
# Exit status: 0 if no target crashed, 1 on a crash/timeout/leak/OOM (the
# reproducer's path is printed: re-run it with build-fuzz/<target> <file>), 2 on
# a build failure.
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD="$ROOT/build-fuzz"
TOTAL=${1:-60}
JOBS=${RELAYDESK_JOBS:-2}
WORKERS=${FUZZ_WORKERS:-1}
TARGETS=(fuzz_serversession fuzz_parsers fuzz_clientsession fuzz_spf fuzz_dkim fuzz_dmarc fuzz_mime fuzz_proxyprotocol)

if ! [[ "$TOTAL" =~ ^[0-9]+$ ]] || ((TOTAL < 4)); then
    echo "usage: $0 [total seconds >= 4]" >&2
    exit 2
fi
command -v clang++ >/dev/null || { echo "fuzz: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

echo "=== configure + build ${BUILD} (clang, -j${JOBS}) ==="
if ! cmake -S "$ROOT/tests/fuzz" -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER=clang++ >/dev/null; then
    echo "fuzz: configure failed" >&2
    exit 2
fi
if ! ninja -C "$BUILD" -j"$JOBS" "${TARGETS[@]}"; then
    echo "fuzz: build failed" >&2
    exit 2
fi

# The server session has the most state to explore: a quarter of the time;
# the seven others share the rest (at least 2 s each).
per_target() {
    local rest=$(((TOTAL - TOTAL / 4) / 7))
    ((rest < 2)) && rest=2
    case "$1" in
    fuzz_serversession) echo $((TOTAL / 4)) ;;
    *) echo "$rest" ;;
    esac
}
corpus_of() {
    case "$1" in
    fuzz_serversession) echo session ;;
    fuzz_parsers) echo parsers ;;
    fuzz_clientsession) echo client ;;
    fuzz_spf) echo spf ;;
    fuzz_dkim) echo dkim ;;
    fuzz_dmarc) echo dmarc ;;
    fuzz_mime) echo mime ;;
    fuzz_proxyprotocol) echo proxyprotocol ;;
    esac
}

fork=()
((WORKERS > 1)) && fork=(-fork="$WORKERS")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/relaydesk-fuzz.XXXXXX")
status=0
summary=()
for target in "${TARGETS[@]}"; do
    secs=$(per_target "$target")
    name=$(corpus_of "$target")
    corpus="$WORK/corpus-$name"
    artifacts="$WORK/artifacts-$name/"
    mkdir -p "$corpus" "$artifacts"
    cp -r "$ROOT/tests/fuzz/corpus/$name/." "$corpus/"
    log="$WORK/$target.log"
    echo
    echo "=== ${target}: ${secs}s, corpus $(ls "$corpus" | wc -l) seeds ==="
    # -timeout: one input may take at most 10 s; -rss_limit_mb: OOM is a finding.
    # -print_final_stats: executions and coverage at the end.
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
    ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
        "$BUILD/$target" "$corpus" \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$artifacts" "${fork[@]}" >"$log" 2>&1
    rc=$?
    # The last status lines: execs, coverage (cov:), features (ft:), corpus size.
    grep -E '^#[0-9]+.*(INITED|DONE|REDUCE|NEW|pulse)' "$log" | tail -n 3
    grep -E '^stat::' "$log"
    execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
    cov=$(grep -E '^#[0-9]+' "$log" | grep -oE 'cov: [0-9]+' | tail -n 1)
    ft=$(grep -E '^#[0-9]+' "$log" | grep -oE 'ft: [0-9]+' | tail -n 1)
    crashes=$(find "$artifacts" -type f | sort)
    if ((rc != 0)) || [[ -n "$crashes" ]]; then
        status=1
        echo "!!! ${target}: FAILED (exit ${rc})"
        grep -E 'ERROR: |invariant violated|runtime error|SUMMARY' "$log" | head -n 20
        for f in $crashes; do
            echo "!!! crash file: $f"
            echo "!!!   reproduce: $BUILD/$target $f"
            echo "!!!   hex (first 512 bytes): $(head -c 512 "$f" | od -An -v -tx1 | tr -d ' \n')"
        done
        echo "!!! full log: $log"
        summary+=("$(printf '%-20s FAILED  %ss execs=%s %s %s' "$target" "$secs" "$execs" "$cov" "$ft")")
    else
        summary+=("$(printf '%-20s ok      %ss execs=%s %s %s corpus=%s' "$target" "$secs" "$execs" "$cov" "$ft" \
            "$(ls "$corpus" | wc -l)")")
    fi
done

echo
echo "=== fuzz summary (${TOTAL}s total) ==="
for s in "${summary[@]}"; do echo "  $s"; done
if ((status == 0)) && [[ "${FUZZ_KEEP:-0}" != 1 ]]; then
    rm -rf "$WORK"
else
    echo "  scratch dir kept: $WORK"
fi
exit "$status"
