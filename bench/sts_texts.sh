#!/usr/bin/env bash
# bench/sts_texts.sh [N] -- the benchmark corpus as text, one sentence a
# line, in the order bench/peers/make_ids.js uses (keep the two in step):
# the first sentences (column 6) of tests/data/sts/sts-train.csv,
# sts-dev.csv, sts-test.csv in file order, then their second sentences
# (column 7): 3,500 sentences. tests/data/sts holds only the STS Benchmark
# rows whose text may be redistributed (tests/data/sts/README.md), so for N
# above 3,500 the list is cycled (sentence i is sentence i mod 3,500) and
# sentences repeat. Without N: all 3,500 once.
set -eu
D=$(cd "$(dirname "$0")/.." && pwd)/tests/data/sts
for s in train dev test; do [ -s $D/sts-$s.csv ] || { echo "sts_texts.sh: $D/sts-$s.csv is missing" >&2; exit 1; }; done
{ for c in 6 7; do for s in train dev test; do cut -f$c $D/sts-$s.csv; done; done; } |
    awk -v n="${1:-0}" '{ s[NR] = $0 } END { if (n <= 0) n = NR; for (i = 0; i < n; i++) print s[i % NR + 1] }'
