#!/usr/bin/env bash
# make bench: batchml side by side with its peers, in one run, on this
# machine; prints a table and writes bench/RESULTS.md. Ratios are what to
# read: absolute numbers move with machine load.
#   BENCH_N=4000 (corpus sentences)  BENCH_THREADS=2  BENCH_QUICK=1 (smaller)
set -u
cd "$(dirname "$0")/.."
N=${BENCH_N:-4000}; TH=${BENCH_THREADS:-2}
O=build/bench-out; mkdir -p $O
M=build/bench-models/minilm
log() { echo "[bench] $*" >&2; }
[ -f $M/model.safetensors ] || ./batchml mkmodel $M --seed 1 2>/dev/null
# the same token ids for every system: HF tokenizers on N STS sentences from
# tests/data/sts (bench/peers/make_ids.js: 3,500 sentences, cycled to N, so
# 4,000 and 10,000 repeat some; mean 12.5 tokens). Ids made from another
# corpus or tokenizer (an older checkout's build/) are made again.
stamp=$(cat bench/peers/make_ids.js tests/data/sts/sts-*.csv assets/minilm-l6-arch/tokenizer.json | md5sum | cut -d' ' -f1)
[ "$(cat $O/ids.stamp 2>/dev/null)" = "$stamp" ] || { rm -f $O/ids-*.jsonl $O/texts-*.txt; echo "$stamp" > $O/ids.stamp; }
[ -s $O/ids-$N.jsonl ] || node bench/peers/make_ids.js --n $N --out $O/ids-$N.jsonl --texts $O/texts-$N.txt || { log "make_ids failed (make deps?)"; exit 1; }
[ -s $O/ids-10000.jsonl ] || node bench/peers/make_ids.js --n 10000 --out $O/ids-10000.jsonl || { log "make_ids failed"; exit 1; }
: > $O/results.jsonl
emit() { [ -n "$1" ] && echo "$1" | tee -a $O/results.jsonl >&2; }

log "embeddings: batchml (batch 32, $TH threads)"
emit "$(build/bench/embed_bench throughput $M $O/ids-$N.jsonl 32 $TH $O/ours.f32)"
emit "$(build/bench/embed_bench throughput $M $O/ids-$N.jsonl 1 $TH)"
log "GEMM rate (OpenBLAS sgemm M=2048 K=384 N=1536)"
emit "$(build/bench/embed_bench gemm $TH)"
emit "$(build/bench/embed_bench gemm 1)"
log "latency: one 16-token sentence, batch 1, 1 thread"
emit "$(build/bench/embed_bench latency $M)"
log "peak RSS embedding 10,000 sentences (CLI, ids)"
rss=$( { /usr/bin/time -f '%M' ./batchml embed --model $M --input ids --format npy -o $O/rss.npy < $O/ids-10000.jsonl; } 2>&1 >/dev/null | tail -1)
case $rss in ''|*[!0-9]*) log "peak RSS run failed: $rss"; rss=null;; esac
emit "{\"what\":\"peak_rss_10000\",\"rss_kib\":$rss,\"model_bytes\":$(stat -c %s $M/model.safetensors)}"

if [ -f bench/peers/export_onnx.py ] && [ -f bench/peers/ort_bench.js ]; then
    [ -f $O/minilm.onnx ] || /usr/bin/python3 bench/peers/export_onnx.py --model $M --out $O/minilm.onnx >&2
    log "embeddings: ONNX Runtime (same ids, batch 32 sorted by length, $TH threads)"
    emit "$(node bench/peers/ort_bench.js --model $O/minilm.onnx --ids $O/ids-$N.jsonl --batch 32 --threads $TH --sort --out $O/ort.npy 2>/dev/null | tail -1)"
    emit "$(node bench/peers/ort_bench.js --model $O/minilm.onnx --ids $O/ids-$N.jsonl --batch 1 --threads $TH 2>/dev/null | tail -1)"
fi
if [ -f bench/peers/torch_bench.py ]; then
    log "embeddings: PyTorch eager float32 (batch 32, $TH threads, OPENBLAS_CORETYPE=SkylakeX)"
    emit "$(OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/peers/torch_bench.py --model $M --ids $O/ids-$N.jsonl --batch 32 --threads $TH 2>/dev/null | tail -1)"
fi

log "overlays: per-overlay time, sequential vs batched (grad, value head, 64 texts)"
build/bench/overlay_bench batching $M $O/ids-$N.jsonl 64 $TH 2>/dev/null | while read -r l; do emit "$l"; done
emit "$(build/bench/overlay_bench cost $M 1)"
emit "$(build/bench/overlay_bench rate $M $O/ids-$N.jsonl 64 $TH grad)"
if [ -f tests/ref/torch_overlay_ref.py ]; then
    head -64 $O/ids-$N.jsonl > $O/ids-64.jsonl
    /usr/bin/python3 - $O <<'PY'
import json, sys
H = 384
json.dump({'weight': [((i * 7919) % 200 - 100) / 100.0 for i in range(H)], 'bias': 0.1}, open(sys.argv[1] + '/value384.json', 'w'))
PY
    emit "$(OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 tests/ref/torch_overlay_ref.py --bench --model $M --ids $O/ids-64.jsonl --target value:$O/value384.json --method grad --threads $TH 2>/dev/null | tail -1)"
fi
for extra in bench/tokenizer.sh bench/exporter.sh bench/tuning.sh bench/opencl.sh bench/isa.sh bench/memory.sh bench/serve.sh; do
    [ -x $extra ] || [ -f $extra ] || continue
    log "running $extra"
    bash $extra > $O/$(basename $extra .sh).md 2>$O/$(basename $extra .sh).err || log "$extra failed (see $O)"
done
/usr/bin/python3 bench/report.py $O > bench/RESULTS.md && cat bench/RESULTS.md
