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
    [ -f $M-$dt/model.safetensors ] || /usr/bin/python3 bench/to_16bit.py $M $M-$dt $dt || { echo "to_16bit.py $dt failed" >&2; exit 1; }
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
echo "16-bit tensors are converted to float32 copies when the model loads (the"
echo "backward pass and the panels read float32), so a 16-bit model is not yet"
echo "smaller in memory than the F32 one, whose weights are mapped from the file."
