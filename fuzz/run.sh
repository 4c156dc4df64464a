#!/usr/bin/env bash
# Seeds the corpora and runs every fuzz target (or the ones named) for SECONDS each, one at a
# time, at the lowest priority. Needs the nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly && cargo install cargo-fuzz
# Usage: fuzz/run.sh SECONDS [TARGET...]
# Crashes land in fuzz/artifacts/<target>/, logs in fuzz/artifacts/<target>.log; the exit
# status is non-zero when any target found something.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
all=(line_record event get_payload time archive pipeline)
targets=("${@:-${all[@]}}")
declare -A max_len=([line_record]=16384 [event]=8192 [get_payload]=4096 [time]=64
                    [archive]=262144 [pipeline]=262144)
# The pipeline does not join threads that are still ending when a read finishes (it never
# blocks on a slow source), so LeakSanitizer sometimes sees their closures as leaked: a race,
# not a leak (docs/fuzzing.md). Leak detection stays on for every other target.
declare -A extra=([pipeline]=-detect_leaks=0)
# The pipeline target hands every chunk to a worker thread; with its batch_size of 7, an input of
# 300,000 blank lines is 40,000 chunks: ~1.5 s under ASan alone, several times that at nice 19
# on a busy machine. 30 s still catches a hang (fuzz/regressions/README.md).
declare -A timeout=([pipeline]=30)
python3 fuzz/seed.py || exit 1
nice -n 19 cargo +nightly fuzz build || exit 1
mkdir -p fuzz/artifacts
status=0
for t in "${targets[@]}"; do
    echo "== $t: ${secs}s, -max_len=${max_len[$t]}"
    nice -n 19 cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$secs" -max_len="${max_len[$t]}" -rss_limit_mb=2048 -timeout="${timeout[$t]:-10}" \
        -print_final_stats=1 ${extra[$t]:-} >"fuzz/artifacts/$t.log" 2>&1
    rc=$?
    grep -E '^(#[0-9]+: +DONE|stat::number_of_executed_units|stat::peak_rss_mb)|^==[0-9]+==|SUMMARY|Test unit written' \
        "fuzz/artifacts/$t.log" | tail -6
    [ "$rc" -eq 0 ] || { echo "!! $t exited $rc: see fuzz/artifacts/$t.log"; status=1; }
done
exit $status
