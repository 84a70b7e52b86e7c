#!/usr/bin/env bash
# The buffering exporter end to end: 1,000 overlays (BENCH_EXPORTER_N) of
# STS-train sentences on a random-weight MiniLM-L6-shaped model, sequential
# vs batch 4/8/16/32, compute / write / fsync split, plus the
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
STS=../shared/corpora/sts/sts-train.csv
if [ -f $STS ]; then
    cut -f6 $STS | head -$N > $O/texts.txt
else  # no corpus: synthetic sentences of 4..24 words
    /usr/bin/python3 -c "
import random; random.seed(1)
w='the a man woman dog cat is playing guitar riding horse on in park happy sad movie great fun running under bridge'.split()
print('\n'.join(' '.join(random.choice(w) for _ in range(random.randint(4, 24))) for _ in range($N)))" > $O/texts.txt
fi
echo "## Exporter: 1,000 overlays, sequential vs batched"
echo
build/bench/exporter $M $O/texts.txt $O $N grad_x_input
