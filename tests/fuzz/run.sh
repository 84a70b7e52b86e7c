#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS NAME... -- run each libFuzzer harness build/fuzz/fuzz_NAME
# for SECONDS (one process each, one after the other), starting from the
# committed seeds tests/fuzz/corpus/NAME plus what earlier runs found
# (build/fuzz/corpus/NAME). Crashes land in build/fuzz/crashes/NAME/; copy
# each into tests/fuzz/regress/NAME/ once it is fixed (the suite replays them).
# Appends "date name seconds execs status" to build/fuzz/stats.tsv.
# FUZZ_BIN_DIR (default build/fuzz) picks the harness binaries, e.g. those of
# a patched copy of the tree while a found bug waits for its fix.
# Exit status: non-zero if any harness found a crash.
set -u
cd "$(dirname "$0")/../.."
secs=$1; shift
rc=0; np=0; nf=0
for name in "$@"; do
    bin=${FUZZ_BIN_DIR:-build/fuzz}/fuzz_$name
    corpus=build/fuzz/corpus/$name
    crashes=build/fuzz/crashes/$name
    mkdir -p "$corpus" "$crashes"
    log=build/fuzz/$name.log
    dict=
    [ "$name" != tokenize ] && dict=-dict=tests/fuzz/json.dict
    t0=$(date +%s)
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=600 -max_len=8192 \
        -print_final_stats=1 $dict -artifact_prefix="$crashes/" "$corpus" "tests/fuzz/corpus/$name" >"$log" 2>&1
    st=$?
    execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    if [ $st -eq 0 ]; then status=ok; np=$((np + 1)); else status="crash(rc=$st)"; rc=1; nf=$((nf + 1)); fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" $(( $(date +%s) - t0 )) "${execs:-?}" "$status" >> build/fuzz/stats.tsv
    printf 'fuzz %-16s %5ss %12s execs  %s\n' "$name" $(( $(date +%s) - t0 )) "${execs:-?}" "$status"
    if [ $st -ne 0 ]; then grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' "$log" | head -8 | sed 's/^/    | /'; fi
done
echo "$np passed, $nf failed"
exit $rc
