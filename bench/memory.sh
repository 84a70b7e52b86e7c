#!/usr/bin/env bash
# Peak memory of F32 and 16-bit (F16, BF16) copies of the same MiniLM-L6-shape
# model. Standalone:  bash bench/memory.sh  (prints markdown).
# `batchml embed` of BENCH_MEM_N (1000) STS sentences, 1 thread, peak RSS
# from /usr/bin/time (the whole process: mapped weights that were touched,
# converted copies, weight panels, activations, the tokenizer). Target (issue
# 17): the 16-bit model at most 60% of the F32 model's peak. The 16-bit
# embeddings are also compared with the F32 ones (max abs diff).
set -u
cd "$(dirname "$0")/.."
O=build/bench-out; mkdir -p $O
M=build/bench-models/minilm
N=${BENCH_MEM_N:-1000}
[ -f $M/model.safetensors ] || ./batchml mkmodel $M --seed 1 2>/dev/null
for dt in F16 BF16; do
    [ -f $M-$dt/model.safetensors ] && [ $M-$dt/model.safetensors -nt tests/st_dtype.py ] ||
        /usr/bin/python3 tests/st_dtype.py $M $M-$dt $dt || { echo "st_dtype.py $dt failed" >&2; exit 1; }
done
{ cut -f6 tests/data/sts/sts-train.csv; cut -f7 tests/data/sts/sts-train.csv; } | head -$N > $O/mem-texts.txt
declare -A rss
for v in F32 F16 BF16; do
    d=$M; [ $v = F32 ] || d=$M-$v
    /usr/bin/time -o $O/mem-$v.rss -f '%M' ./batchml embed --model $d --threads 1 --format npy -o $O/mem-$v.npy \
        < $O/mem-texts.txt 2>/dev/null || { echo "batchml embed failed on $d" >&2; exit 1; }
    rss[$v]=$(tail -1 $O/mem-$v.rss)
done
echo "### Peak memory by weight dtype (\`batchml embed\`, $N sentences, 1 thread)"
echo
echo "| weights | file | peak RSS | vs F32 | target | max abs diff vs F32 |"
echo "|---|---:|---:|---:|---:|---:|"
for v in F32 F16 BF16; do
    d=$M; [ $v = F32 ] || d=$M-$v
    fb=$(stat -c %s $d/model.safetensors)
    diff=$(/usr/bin/python3 -c "import numpy as n; print('%.2g' % abs(n.load('$O/mem-$v.npy') - n.load('$O/mem-F32.npy')).max())")
    ratio=$(awk -v a=${rss[$v]} -v b=${rss[F32]} 'BEGIN{printf "%.2fx", a/b}')
    tgt="-"; [ $v = F32 ] || tgt="<= 0.60x"
    printf '| %s | %s MB | %s MB | %s | %s | %s |\n' $v "$(awk -v x=$fb 'BEGIN{printf "%.1f", x/1e6}')" \
        "$(awk -v x=${rss[$v]} 'BEGIN{printf "%.1f", x*1024/1e6}')" $ratio "$tgt" $diff
done
echo
echo "The weight matrices of a 16-bit file stay 16-bit in memory (weight panels"
echo "of the file's dtype, word embeddings read from the mapping); the kernels"
echo "widen them in registers, exactly, so an F16 model gives bitwise the numbers"
echo "of the same weights in float32 (tests/weights16.test)."
echo
# speed by weight dtype: the same shape, one process per figure, interleaved
make -s build/bench/embed_bench >&2
TH=${BENCH_THREADS:-2}; REPS=${REPS:-3}
[ -s $O/ids-4000.jsonl ] || node bench/peers/make_ids.js --n 4000 --out $O/ids-4000.jsonl >&2 || { echo "make_ids failed" >&2; exit 1; }
head -1000 $O/ids-4000.jsonl > $O/mem-ids.jsonl
rate() { "$@" | sed 's/.*"sentences_per_s":\([0-9.]*\).*/\1/'; }
declare -A s32 s1 lat
for rep in $(seq $REPS); do
    for v in F32 F16 BF16; do
        d=$M; [ $v = F32 ] || d=$M-$v
        s32[$v]="${s32[$v]:-} $(rate build/bench/embed_bench throughput $d $O/mem-ids.jsonl 32 $TH)"
        s1[$v]="${s1[$v]:-} $(rate build/bench/embed_bench throughput $d $O/mem-ids.jsonl 1 $TH)"
        lat[$v]="${lat[$v]:-} $(build/bench/embed_bench latency $d | sed 's/.*"min_ms":\([0-9.]*\).*/\1/')"
    done
done
echo "### Speed by weight dtype (\`$(./batchml info --kernels | head -1)\` kernels, 1000 sentences, $TH threads, best of $REPS)"
echo
echo "| weights | batch 32, sentences/s | batch 1, sentences/s | 16 tokens, 1 thread, ms (min) | batch 32 vs F32 | 16-token speed vs F32 |"
echo "|---|---:|---:|---:|---:|---:|"
b32=$(echo ${s32[F32]} | tr ' ' '\n' | sort -g | tail -1); l32=$(echo ${lat[F32]} | tr ' ' '\n' | sort -g | head -1)
for v in F32 F16 BF16; do
    a=$(echo ${s32[$v]} | tr ' ' '\n' | sort -g | tail -1); b=$(echo ${s1[$v]} | tr ' ' '\n' | sort -g | tail -1)
    l=$(echo ${lat[$v]} | tr ' ' '\n' | sort -g | head -1)
    echo "| $v | $a | $b | $l | $(echo "$a $b32" | awk '{printf "%.2fx", $1 / $2}') | $(echo "$l32 $l" | awk '{printf "%.2fx", $1 / $2}') |"
done
