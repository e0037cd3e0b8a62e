#!/usr/bin/env bash
# Fuzzes flowshark's capture path for SECONDS seconds (default 60) with
# libFuzzer: builds fuzz/fuzz_capture with clang in build-fuzz/ (ASan, UBSan,
# libFuzzer), seeds build-fuzz/corpus with every file of samples/,
# tests/regress/ and fuzz/corpus/ (copies; they are never written), runs,
# and prints executions, coverage and crashes. Exits non-zero when the
# fuzzer found a crash (or failed to run).
#
# With TARGET fuzz_records it fuzzes the analyses' records input instead
# (fuzz/fuzz_records.c), seeded from fuzz/records-corpus/ into
# build-fuzz/corpus-records.
#
#   ./scripts/fuzz.sh 600                       # ten minutes
#   ./scripts/fuzz.sh 30 fuzz_records           # the records input
#   FS_FUZZ_FAST=1 ./scripts/fuzz.sh 30         # the capture path in fast mode
#   build-fuzz/fuzz/fuzz_capture CRASH_FILE     # replay one input
#
# Inputs longer than 262144 bytes are cut to that length when loaded (the
# larger samples become their first 256 KiB: still a capture, cut short).
# libFuzzer's leak detection is off (FS_FUZZ_DETECT_LEAKS=1 turns it on):
# libwireshark keeps memory from every session (see -fork=1 below), so
# libFuzzer would run every input twice and scan the whole heap after each
# to look for a leak. Leaks in flowshark's code are caught by the ctest
# fuzz_replay of the ASan build (scripts/test.sh), which replays the
# samples and tests/regress/ through the same harness with LeakSanitizer on.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
target=${2:-fuzz_capture}
case $seconds in
    '' | *[!0-9]*) echo "usage: $0 SECONDS [fuzz_capture|fuzz_records]" >&2; exit 1 ;;
esac
case $target in
    fuzz_capture) corpus=corpus; seeds="samples/* tests/regress/* fuzz/corpus/*" ;;
    fuzz_records) corpus=corpus-records; seeds="fuzz/records-corpus/*" ;;
    *) echo "usage: $0 SECONDS [fuzz_capture|fuzz_records]" >&2; exit 1 ;;
esac
dir=build-fuzz
jobs=$(nproc 2>/dev/null || echo 2)

echo "== build the fuzzer (clang, libFuzzer, ASan, UBSan) in $dir =="
CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFS_FUZZ=ON \
    -DFS_BUILD_TESTS=OFF ${FS_CMAKE_FLAGS:-} > /dev/null
cmake --build "$dir" -j "$jobs" --target "$target"

mkdir -p "$dir/$corpus" "$dir/crashes" "$dir/home"
for seed in $seeds; do
    case $seed in
        *.md | */SHA256SUMS) continue ;;
    esac
    [ -f "$seed" ] && cp -n "$seed" "$dir/$corpus/"
done
before=$(ls "$dir/crashes" | sort)

# The tests' pinned environment: no user profile, UTC, C locale.
export TZ=UTC LC_ALL=C HOME="$PWD/$dir/home" WIRESHARK_CONFIG_DIR="$PWD/$dir/home"
# Leaks: libFuzzer's per-input check is off unless FS_FUZZ_DETECT_LEAKS=1
# (below), and so is ASan's check at the exit of each fork-mode child, which
# otherwise reports what libwireshark leaks on damaged input: libwiretap
# 4.0.17 loses a 2048-byte buffer (ws_buffer_init inside wtap_read) on some
# damaged captures, found by this fuzzer on 2026-11-30. flowshark's own leaks
# are checked by the test suite under ASan (LeakSanitizer on), including
# tests/regress's replay of the corpus.
export ASAN_OPTIONS=${ASAN_OPTIONS:-strict_string_checks=1:detect_leaks=${FS_FUZZ_DETECT_LEAKS:-0}}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

log="$dir/$target.log"
echo "== fuzz for ${seconds}s (log: $log) =="
# -fork=1: every input needs a fresh epan session (epan_new(): stream
# numbers from 0), and each one keeps about 11 MB that epan_free() does not
# give back (libwireshark 4.0 rebuilds its name-resolution tables, manuf,
# services and enterprises, in every new session), so one process reaches
# -rss_limit_mb after about 200 inputs. Fork mode fuzzes in child processes
# that are replaced as they end, and an out-of-memory child is ignored
# (-ignore_ooms, its default) rather than reported as a finding.
# timeout: a child stopped at -rss_limit_mb prints a heap profile, and the
# sanitizers' stop-the-world for it has been seen to deadlock (a child in
# "tracing stop" forever, with the parent waiting): end the run rather than
# hang (status 124 or 137 then).
status=0
timeout --kill-after=60 $((seconds + 600)) "$dir/fuzz/$target" "$dir/$corpus" -fork=1 \
    -max_total_time="$seconds" -max_len=262144 -timeout=60 -rss_limit_mb=2560 \
    -detect_leaks="${FS_FUZZ_DETECT_LEAKS:-0}" \
    -artifact_prefix="$dir/crashes/" > "$log" 2>&1 || status=$?
# In fork mode libFuzzer exits with the status of its last child: 71 (its
# out-of-memory status) when that child reached -rss_limit_mb, which is not
# a finding (any crash is counted from the crash files below).
[ "$status" -ne 71 ] || status=0

# fork mode's last status line:
# "#EXECS: cov: C ft: F corp: N exec/s E oom/timeout/crash: O/T/C time: ..."
last=$(grep -E '^#[0-9]+: cov: ' "$log" | tail -n 1 || true)
execs=$(sed -nE 's/^#([0-9]+): .*/\1/p' <<< "$last")
cov=$(sed -nE 's/.* cov: ([0-9]+) .*/\1/p' <<< "$last")
ft=$(sed -nE 's/.* ft: ([0-9]+) .*/\1/p' <<< "$last")
speed=$(sed -nE 's/.* exec\/s ([0-9]+) .*/\1/p' <<< "$last")
otc=$(sed -nE 's/.* oom\/timeout\/crash: ([0-9]+\/[0-9]+\/[0-9]+) .*/\1/p' <<< "$last")
new=$(comm -13 <(echo "$before") <(ls "$dir/crashes" | sort) | sed '/^$/d')
# oom- files are children stopped by -rss_limit_mb, not findings (see above).
found=0
[ -z "$new" ] || found=$(grep -vc '^oom-' <<< "$new" || true)

echo "executions: ${execs:-?} (${speed:-?}/s)"
echo "coverage:   cov ${cov:-?}, ft ${ft:-?}, corpus $(ls "$dir/$corpus" | wc -l) files"
echo "crashes:    $found new; oom/timeout/crash ${otc:-?} ($(ls "$dir/crashes" | wc -l) files in $dir/crashes)"
if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
    echo "== the fuzzer stopped with status $status; end of $log: ==" >&2
    tail -n 60 "$log" >&2
    for f in $new; do echo "  crash input: $dir/crashes/$f (replay: $dir/fuzz/$target $dir/crashes/$f)" >&2; done
    exit 1
fi
