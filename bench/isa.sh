#!/usr/bin/env bash
# Kernel sets and build flags benchmark. Standalone:  bash bench/isa.sh
# (builds what it needs; prints markdown).
#
# 1. Build flags, the same model and ids, one process per run, interleaved:
#    the Makefile's build (-O3 -march=native, OpenBLAS), `cc -std=c99 -O2`
#    (no -march; run-time dispatch picks the kernels) with OpenBLAS, and
#    `-O2 -DBATCHML_NO_BLAS`. Sentences/s at batch 32, 2 threads; the best of
#    REPS (3) runs each. Targets: -O2 >= 0.95x native, -O2 NO_BLAS >= 0.90x.
# 2. Every kernel set this CPU runs (BATCHML_ISA), on the native build:
#    sentences/s at batch 32 and batch 1 (2 threads) and the latency of one
#    16-token sentence (1 thread). Target: generic at most 3x the best's time
#    at batch 32.
# Speed on real ARM is not measured here (aarch64 runs only under qemu,
# which is never timed).
set -u
cd "$(dirname "$0")/.."
O=build/bench-out; mkdir -p $O build/bench/isa
M=build/bench-models/minilm
N=${BENCH_N:-4000}; TH=${BENCH_THREADS:-2}; REPS=${REPS:-3}
CC=${CC:-cc}
[ -f $M/model.safetensors ] || ./batchml mkmodel $M --seed 1 2>/dev/null
[ -s $O/ids-$N.jsonl ] || node bench/peers/make_ids.js --n $N --out $O/ids-$N.jsonl >&2 || { echo "make_ids failed (make deps?)" >&2; exit 1; }
make -s build/bench/embed_bench >&2
$CC -std=c99 -O2 -I. -o build/bench/isa/embed_bench-o2 bench/embed_bench.c -lopenblas -lpthread -lm
$CC -std=c99 -O2 -DBATCHML_NO_BLAS -I. -o build/bench/isa/embed_bench-o2-noblas bench/embed_bench.c -lpthread -lm
rate() { "$@" | sed 's/.*"sentences_per_s":\([0-9.]*\).*/\1/'; }
best() { sort -g | tail -1; }
declare -A r
for rep in $(seq $REPS); do
    for b in native o2 o2-noblas; do
        bin=build/bench/embed_bench; [ $b = native ] || bin=build/bench/isa/embed_bench-$b
        r[$b]="${r[$b]:-} $(rate $bin throughput $M $O/ids-$N.jsonl 32 $TH)"
    done
done
nat=$(echo ${r[native]} | tr ' ' '\n' | best)
echo "### Build flags (batch 32, $TH threads, $N sentences, best of $REPS)"
echo
echo "| build | kernels picked | sentences/s | vs -march=native | target |"
echo "|---|---|---:|---:|---:|"
picked=$(./batchml info --kernels | head -1)
for b in native o2 o2-noblas; do
    v=$(echo ${r[$b]} | tr ' ' '\n' | best)
    case $b in native) name='`-O3 -march=native`, OpenBLAS'; t='';; o2) name='`-std=c99 -O2`, OpenBLAS'; t='>= 0.95x';;
                o2-noblas) name='`-std=c99 -O2 -DBATCHML_NO_BLAS`'; t='>= 0.90x';; esac
    echo "| $name | $picked | $v | $(echo "$v $nat" | awk '{printf "%.2fx", $1 / $2}') | $t |"
done
echo
echo "### Kernel sets (native build, BATCHML_ISA)"
echo
echo "| kernel set | batch 32, sentences/s | batch 1, sentences/s | 16 tokens, 1 thread, ms (min) | batch-32 time vs best |"
echo "|---|---:|---:|---:|---:|"
sets=$(./batchml info --kernels)
declare -A s32 s1 lat
for rep in $(seq $REPS); do
    for s in $sets; do
        s32[$s]="${s32[$s]:-} $(BATCHML_ISA=$s rate build/bench/embed_bench throughput $M $O/ids-$N.jsonl 32 $TH)"
        s1[$s]="${s1[$s]:-} $(BATCHML_ISA=$s rate build/bench/embed_bench throughput $M $O/ids-$N.jsonl 1 $TH)"
        lat[$s]="${lat[$s]:-} $(BATCHML_ISA=$s build/bench/embed_bench latency $M | sed 's/.*"min_ms":\([0-9.]*\).*/\1/')"
    done
done
top=$(for s in $sets; do echo ${s32[$s]} | tr ' ' '\n' | best; done | best)
for s in $sets; do
    a=$(echo ${s32[$s]} | tr ' ' '\n' | best); b=$(echo ${s1[$s]} | tr ' ' '\n' | best); l=$(echo ${lat[$s]} | tr ' ' '\n' | sort -g | head -1)
    echo "| $s | $a | $b | $l | $(echo "$top $a" | awk '{printf "%.2fx", $1 / $2}') |"
done
echo
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); features: $(./batchml info $M --json | sed 's/.*"cpu_features":"\([^"]*\)".*/\1/'). Sets this CPU lacks are not run; aarch64 (NEON) is tested under qemu and not timed."
