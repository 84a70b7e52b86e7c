#!/usr/bin/env bash
# Tokenizer speed, side by side in one run: batchml vs Hugging Face tokenizers
# 0.23 (npm, native) on the same texts (11,498 STS sentences, as both
# sentences of the full STS-train gave before: tests/data/sts holds only the
# redistributable STS rows, 3,500 sentences, so bench/sts_texts.sh cycles
# them about 3.3 times; and the first 8,000 lines of the Unicode stress
# corpus), then the linear-time check on 1 MiB inputs. Prints markdown
# tables. Standalone:
#     bash bench/tokenizer.sh            (builds what it needs)
# HF's encodeBatch runs with RAYON_NUM_THREADS=2 to match batchml's 2 threads.
set -eu
cd "$(dirname "$0")/.."
O=build/tok-bench; mkdir -p $O
# the tokenizer directory the tests use: assets/minilm-l6-arch + the model's config files
M=$O/minilm-l6-arch; bash tests/tok/model_dir.sh $M
REPS=${REPS:-5}
make -s build/bench/tokenizer >/dev/null
bash bench/sts_texts.sh 11498 > $O/sts.txt
/usr/bin/python3 tests/tok/gen_stress.py --seed 20240611 --lines 8000 | head -8000 > $O/stress.txt
for c in sts stress; do
    build/bench/tokenizer $M $O/$c.txt $REPS > $O/$c.ours
    RAYON_NUM_THREADS=2 node tests/tok/oracle.js --tokenizer $M/tokenizer.json --mode bench --reps 3 < $O/$c.txt > $O/$c.hf
done
/usr/bin/python3 - $O "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(nproc)" <<'PY'
import json, sys
o, cpu, ncpu = sys.argv[1], sys.argv[2], sys.argv[3]
print(f'Tokenizer: batchml vs HF tokenizers 0.23 (npm), same texts, one run ({cpu}, {ncpu} cores)\n')
print('| texts | tokenizer | setting | texts/s | tokens/s | vs HF |')
print('|---|---|---|---:|---:|---:|')
lin = None
for c, label in (('sts', 'STS sentences (tests/data/sts: 3,500, cycled)'), ('stress', 'Unicode stress corpus')):
    ours = {d['what']: d for d in map(json.loads, open(f'{o}/{c}.ours'))}
    hf = json.loads(open(f'{o}/{c}.hf').read())
    n, hs, ts = hf['texts'], ours['single'], ours['batch2']
    rows = [('HF tokenizers', '`encode`, one at a time', n / hf['one_s'], hf['one_tok_s'], 1.0),
            ('batchml', '`bml_tokenize`, 1 thread', n / hs['seconds'], hs['tokens'] / hs['seconds'],
             hs['tokens'] / hs['seconds'] / hf['one_tok_s']),
            ('HF tokenizers', '`encodeBatch`, 2 threads', n / hf['batch_s'], hf['batch_tok_s'], 1.0),
            ('batchml', '`bml_tokenize_batch`, 2 threads', n / ts['seconds'], ts['tokens'] / ts['seconds'],
             ts['tokens'] / ts['seconds'] / hf['batch_tok_s'])]
    if hs['tokens'] != hf['tokens']:
        print(f'| {label} | **token counts differ: {hs["tokens"]} vs HF {hf["tokens"]}** | | | | |')
    for who, how, tps, kps, ratio in rows:
        print(f'| {label} ({n:,}) | {who} | {how} | {tps:,.0f} | {kps:,.0f} | {ratio:.1f}x |')
    if c == 'sts':
        lin = ours
print('\nLinear time: one 1 MiB input each, no truncation, batchml 1 thread\n')
print('| input | tokens | ms | ns/byte | vs ordinary text |')
print('|---|---:|---:|---:|---:|')
base = lin['linear_ordinary']['seconds'] / lin['linear_ordinary']['bytes']
for k in ('ordinary', 'one_word', 'punctuation', 'cjk', 'combining_marks'):
    d = lin['linear_' + k]
    per = d['seconds'] / d['bytes']
    print(f"| {k.replace('_', ' ')} | {d['tokens']:,} | {d['seconds'] * 1e3:.1f} | {per * 1e9:.1f} | {per / base:.2f}x |")
PY
