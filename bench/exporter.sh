#!/usr/bin/env bash
# The buffering exporter end to end: 1,000 overlays (BENCH_EXPORTER_N) of
# STS sentences (the first N of bench/sts_texts.sh: for N <= 1,000 the first
# sentences of tests/data/sts/sts-train.csv, the redistributable STS-train
# rows; above 3,500 they repeat) on a random-weight MiniLM-L6-shaped model,
# sequential vs batch 4/8/16/32, compute / write / fsync split, plus the
# nondeterministic references. Markdown on stdout.
# usage: bash bench/exporter.sh     (after make, make build/bench/exporter)
set -eu
cd "$(dirname "$0")/.."
N=${BENCH_EXPORTER_N:-1000}
M=${BENCH_EXPORTER_MODEL:-build/bench-models/minilm-l6-random}
O=build/bench-exporter
mkdir -p $O
[ -f $M/model.safetensors ] || ./batchml mkmodel $M --seed 1 > /dev/null
[ -x build/bench/exporter ] || make -s build/bench/exporter
bash bench/sts_texts.sh $N > $O/texts.txt
echo "## Exporter: 1,000 overlays, sequential vs batched"
echo
build/bench/exporter $M $O/texts.txt $O $N grad_x_input
