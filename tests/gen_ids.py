#!/usr/bin/python3
"""gen_ids.py N SEED [MAXLEN] -- N token-id sequences (JSON arrays, one a line)
for the forward-pass reference tests: always includes [CLS][SEP] (2 tokens)
and a MAXLEN-token sequence (default 256); the rest have lengths spread over
2..MAXLEN, skewed short like real sentences. Ids are [CLS] random... [SEP]."""
import random, sys

n, seed = int(sys.argv[1]), int(sys.argv[2])
maxlen = int(sys.argv[3]) if len(sys.argv) > 3 else 256
rng = random.Random(seed)
lens = [2, maxlen]
while len(lens) < n:
    lens.append(rng.choice([rng.randint(3, 40), rng.randint(3, 40), rng.randint(3, maxlen)]))
for L in lens:
    ids = [101] + [rng.randrange(999, 30522) for _ in range(L - 2)] + [102]
    print('[' + ','.join(map(str, ids)) + ']')
