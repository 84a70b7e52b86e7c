#!/usr/bin/env bash
# tests/fuzz/tsan.sh -- the multi-threaded tests under ThreadSanitizer (make
# test-tsan builds build/tsan/*: clang -fsanitize=thread, BATCHML_NO_BLAS,
# since OpenBLAS is not instrumented). Runs: tests/batch.c on a tiny model
# (threads = 2: the pool in every forward), tests/sanitize_threads.c (pools
# inside concurrent host threads, the tokenizer batch API, per-thread error
# messages), tests/engine.c (the dynamic-batching engine: submitters, cancel
# and shutdown races) and the CLI (embed, overlay, tokenize) with --threads 2.
set -u
cd "$(dirname "$0")/../.."
M=build/tsan/model
[ -f $M/model.safetensors ] || ./batchml mkmodel $M --seed 11 --layers 2 --hidden 32 --heads 4 --inter 64 2>/dev/null \
    || { echo "FAIL tsan: mkmodel"; exit 1; }
rm -rf build/tsan/reports; mkdir -p build/tsan/reports
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$PWD/build/tsan/reports/tsan${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
fail=0; np=0; nf=0
run() {  # run NAME CMD...
    local name=$1; shift
    local t0=$(date +%s)
    if "$@" > build/tsan/$name.log 2>&1; then echo "PASS tsan[$name] ($(( $(date +%s) - t0 ))s)"; np=$((np + 1))
    else echo "FAIL tsan[$name]: exit $? (build/tsan/$name.log)"; grep -E '^FAIL' build/tsan/$name.log | head -5; fail=1; nf=$((nf + 1)); fi
}
run batch build/tsan/batch $M
run sanitize_threads build/tsan/sanitize_threads $M
run engine build/tsan/engine $M
printf 'A man is playing a guitar.\nA dog runs in the park.\nThe movie was great fun.\n%.0s' $(seq 40) > build/tsan/texts.txt
run cli_embed sh -c "build/tsan/batchml embed --model $M --threads 2 --batch-size 7 < build/tsan/texts.txt > build/tsan/embed.out"
run cli_overlay sh -c "head -20 build/tsan/texts.txt | build/tsan/batchml overlay --model $M --threads 2 --method integrated_gradients --steps 4 --target 'sim:a guitar' > build/tsan/overlay.out"
run cli_tokenize sh -c "build/tsan/batchml tokenize --model $M --threads 2 < build/tsan/texts.txt > build/tsan/tokenize.out"
nrep=$(find build/tsan/reports -type f | wc -l)
if [ "$nrep" -ne 0 ]; then
    echo "FAIL tsan: $nrep ThreadSanitizer report(s):"
    for r in $(find build/tsan/reports -type f | head -5); do echo "## $r"; grep -E 'WARNING|SUMMARY|#[0-9] ' "$r" | head -20; done
    fail=1; nf=$((nf + nrep))
fi
echo "$np passed, $nf failed"
exit $fail
