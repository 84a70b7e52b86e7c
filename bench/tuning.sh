#!/usr/bin/env bash
# Batch-size tuning benchmark. Standalone:  bash bench/tuning.sh
# (builds what it needs; prints markdown tables and PASS/FAIL lines; exit 1
# when a check fails).
#
# 1. A short `batchml tune` on a random-weight all-MiniLM-L6-v2-shaped model
#    (cells: mean length <= 32, item counts <= 128; --test-size 64).
# 2. Tuned vs heuristic default on small samples (slices of the STS corpus
#    and generated profiles): the archive's choice and the heuristic's, side by
#    side in one process, alternating, median of 3 timed calls each.
#    Check: total tuned time <= total heuristic time x 1.02
#    (BML_TUNING_STRICT=1: no tolerance).
# 3. The heuristic default vs a sweep of fixed batch sizes (4..512) on the
#    first 600 STS sentences, interleaved, median of 3.
#    Check: heuristic >= 0.90 x the best fixed batch size.
# The STS corpus: bench/peers/make_ids.js's 4,000 (tests/data/sts, the
# redistributable STS rows: 3,500 sentences, cycled to 4,000; mean 12.5
# tokens; before, the first 4,000 STS-train sentences, mean 15.9).
# Knobs: BML_TUNING_GENERATIONS (4), BML_TUNING_STS_N (600), REPS (3),
# THREADS (every core).
set -u
cd "$(dirname "$0")/.."
O=build/tuning-bench; mkdir -p $O
M=${BML_TUNING_MODEL:-build/bench-models/minilm-l6-random}
GENS=${BML_TUNING_GENERATIONS:-4}
STS_N=${BML_TUNING_STS_N:-600}
REPS=${REPS:-3}
THREADS=${THREADS:-$(nproc)}
STRICT=${BML_TUNING_STRICT:-0}
PY=${PYTHON:-/usr/bin/python3}

make -s batchml build/bench/tuning_bench >/dev/null || { echo "FAIL tuning_bench_build"; exit 1; }
[ -f $M/model.safetensors ] || ./batchml mkmodel $M --seed 1 >/dev/null || exit 1
# the STS corpus as token ids (as the embedding benchmark makes it; without
# node, the same 4,000 sentences through batchml's tokenizer, which matches HF);
# made again when the corpus, make_ids.js or the tokenizer changed
stamp=$(cat bench/peers/make_ids.js bench/sts_texts.sh tests/data/sts/sts-*.csv assets/minilm-l6-arch/tokenizer.json | md5sum | cut -d' ' -f1)
[ "$(cat $O/sts-ids.stamp 2>/dev/null)" = "$stamp" ] || { rm -f $O/sts-ids.jsonl; echo "$stamp" > $O/sts-ids.stamp; }
if [ ! -s $O/sts-ids.jsonl ]; then
    node bench/peers/make_ids.js --n 4000 --out $O/sts-ids.jsonl 2>/dev/null ||
        bash bench/sts_texts.sh 4000 | ./batchml tokenize --model $M |
        $PY -c 'import sys, json; [print(json.dumps(json.loads(l)["ids"])) for l in sys.stdin]' >$O/sts-ids.jsonl
fi

t0=$(date +%s)
rm -f $O/archive.json
./batchml tune --model $M --archive $O/archive.json --results $O/results.json --generations $GENS \
    --offspring 6 --test-size 64 --max-mean-len 32 --max-items 128 --threads $THREADS --seed 1 --verbose 1 \
    2>$O/tune.log || { tail -3 $O/tune.log; echo "FAIL tuning_bench_tune"; exit 1; }
t1=$(date +%s)
build/bench/tuning_bench compare $M $O/archive.json $O/sts-ids.jsonl $THREADS 128 $REPS >$O/compare.jsonl || exit 1
build/bench/tuning_bench sweep $M $O/sts-ids.jsonl $STS_N $THREADS $REPS >$O/sweep.jsonl || exit 1
t2=$(date +%s)

$PY - $O "$STRICT" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$THREADS" $((t1 - t0)) $((t2 - t1)) <<'PY'
import json, sys
o, strict, cpu, threads, tune_s, meas_s = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
res = json.load(open(o + "/results.json"))
arch = json.load(open(o + "/archive.json"))
cmp_ = [json.loads(l) for l in open(o + "/compare.jsonl")]
sw = [json.loads(l) for l in open(o + "/sweep.jsonl")]
ok = True
def cfg(c):
    return "%d / %s / %s / %dt" % (c["batch_size"], c["max_tokens"] or "-", c["policy"][:6], c["threads"])
print("Batch-size tuning (%s, %s threads; random-weight all-MiniLM-L6-v2 architecture)\n" % (cpu, threads))
g = [c for c in res["cells"] if c["guard"]]
kept = sum(1 for c in g if c["guard"]["kept"] == "elite")
print("Tune: %d generations, %d evaluations, %d cells, %ss; guard kept the searched elite in %d of %d checked cells\n"
      % (arch["generations"], arch["evaluations"], len(arch["cells"]), tune_s, kept, len(g)))
print("Tuned (archive) vs heuristic default on small samples, side by side, median of 3 "
      "(config = batch size / max tokens / policy / threads)\n")
print("| sample | n | mean len | heuristic config | tuned config | heuristic items/s | tuned items/s | tuned/heuristic |")
print("|---|---:|---:|---|---|---:|---:|---:|")
th = tt = 0.0
for c in cmp_:
    n = c["n"]; th += c["heuristic_s"]; tt += c["tuned_s"]
    note = "" if c["tuned"]["from_archive"] else " (no cell: heuristic)"
    print("| %s | %d | %.1f | %s | %s%s | %.0f | %.0f | %.3f%s |" % (
        c["sample"], n, c["mean_len"], cfg(c["heuristic"]), cfg(c["tuned"]), note, n / c["heuristic_s"],
        n / c["tuned_s"], c["heuristic_s"] / c["tuned_s"], " (same config)" if c["same_config"] else ""))
ratio = th / tt
tol = 1.0 if strict else 0.98
print("\nAll samples: tuned/heuristic throughput %.3f (check >= %.2f)\n" % (ratio, tol))
if ratio >= tol: print("PASS tuned_vs_heuristic")
else: print("FAIL tuned_vs_heuristic: %.3f < %.2f" % (ratio, tol)); ok = False
h = [x for x in sw if x["config"] == "heuristic"][0]
fx = [x for x in sw if x["config"] == "fixed"]
best = max(fx, key=lambda x: x["items_per_s"])
print("\nHeuristic default vs fixed batch sizes, first %d STS sentences (tests/data/sts), interleaved, median of 3\n" % h["n"])
print("| config | batch size | max tokens | items/s | vs best fixed |")
print("|---|---:|---:|---:|---:|")
for x in [h] + fx:
    print("| %s | %d | %s | %.0f | %.3f |" % (x["config"], x["batch_size"], x["max_tokens"] or "-", x["items_per_s"],
                                          x["items_per_s"] / best["items_per_s"]))
r = h["items_per_s"] / best["items_per_s"]
print("\nHeuristic / best fixed (batch %d): %.3f (check >= 0.90); measured in %ss\n" % (best["batch_size"], r, meas_s))
if r >= 0.9: print("PASS heuristic_vs_best_fixed")
else: print("FAIL heuristic_vs_best_fixed: %.3f < 0.90" % r); ok = False
sys.exit(0 if ok else 1)
PY
