#!/usr/bin/python3
"""report.py OUTDIR -- turns bench/run.sh's results.jsonl (and the extra
benchmarks' markdown) into bench/RESULTS.md: batchml beside its peers from
the same run, with ratios and the targets they are held to."""
import datetime, json, os, platform, subprocess, sys

o = sys.argv[1]
rows = []
for l in open(os.path.join(o, 'results.jsonl')):
    if l.strip().startswith('{'):
        try:
            rows.append(json.loads(l))
        except ValueError:
            print('report.py: skipped a malformed result line: %s' % l.strip()[:120], file=sys.stderr)


def find(**kw):
    for r in rows:
        if all(r.get(k) == v for k, v in kw.items()):
            return r
    return None


def fmt(x, nd=0):
    return 'n/a' if x is None else f'{x:,.{nd}f}'


cpu = 'unknown CPU'
try:
    cpu = [l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')][0]
except Exception:
    pass
print('# batchml benchmark results\n')
print(f'Measured {datetime.date.today().isoformat()} on {cpu}, {os.cpu_count()} cores, '
      f'{platform.system()} {platform.release()}; all systems in the same run of `make bench`. '
      'Random-weight model with the all-MiniLM-L6-v2 architecture (`batchml mkmodel --seed 1`); '
      'the same token ids (HF tokenizers) for every system. Machines here are shared and noisy: read the ratios.\n')
# the corpus, described from the ids file this run embedded (bench/peers/make_ids.js)
_r = find(system='batchml', batch=32)
_p = os.path.join(o, f"ids-{_r['n']}.jsonl") if _r and 'n' in _r else None
if _p and os.path.exists(_p):
    _l = [l.strip() for l in open(_p) if l.strip()]
    _lens = [len(json.loads(x)) for x in _l]
    print(f'Corpus: {len(_l):,} sentences from tests/data/sts, the STS Benchmark rows whose text may be '
          'redistributed (images, track5.en-en): its 3,500 sentences (first sentences of train, dev, test, then '
          'second sentences), cycled when a benchmark needs more'
          + (f', so this corpus repeats sentences ({len(set(_l)):,} distinct token sequences)' if len(_l) > 3500 else '')
          + f'; the 10,000-sentence memory run cycles too. Mean {sum(_lens) / len(_lens):.2f} tokens, max {max(_lens)} '
          '(with [CLS]/[SEP]). Runs before this corpus (up to 2026-12-01) used the first 4,000 sentences of the full '
          'STS-train (mean 15.89 tokens, max 70): their sentences/s do not compare with these.\n')
ours = find(system='batchml', batch=32)
ours1 = find(system='batchml', batch=1)
ort = find(system='onnxruntime', batch=32)
ort1 = find(system='onnxruntime', batch=1)
torch = find(system='pytorch', batch=32)
g2 = find(what='sgemm', threads=ours['threads'] if ours else 2)
print('## Sentence embeddings\n')
print('| system | setting | sentences/s | tokens/s | vs ONNX Runtime (batch 32) |')
print('|---|---|---|---|---|')
base = ort['sentences_per_s'] if ort else None
for name, r, setting in (('batchml', ours, 'batch 32, packed (no padding), 2 threads'),
                         ('batchml', ours1, 'batch 1, 2 threads'),
                         ('ONNX Runtime (onnxruntime-node, CPU)', ort, 'batch 32, length-sorted, padded, 2 threads'),
                         ('ONNX Runtime', ort1, 'batch 1, 2 threads'),
                         ('PyTorch eager float32 (SkylakeX OpenBLAS)', torch, 'batch 32, length-sorted, padded, 2 threads')):
    if r is None:
        print(f'| {name} | {setting} | n/a | n/a | n/a |')
        continue
    ratio = f"{r['sentences_per_s'] / base:.2f}x" if base else 'n/a'
    print(f"| {name} | {setting} | {fmt(r['sentences_per_s'])} | {fmt(r['tokens_per_s'])} | {ratio} |")
print()
if ours and g2:
    # dense FLOPs per token (Q, K, V, O: 4 H^2; FFN: 2 H I; x2 for multiply-add) x layers, + attention per token
    H, I, L = 384, 1536, 6
    dense = 2 * (4 * H * H + 2 * H * I) * L
    ids = [json.loads(l) for l in open(os.path.join(o, f"ids-{ours['n']}.jsonl"))]
    attn = sum(4 * len(s) * len(s) * H * L for s in ids) / sum(len(s) for s in ids)
    bound = g2['gflops'] * 1e9 / (dense + attn)
    print(f"GEMM bound: {dense / 1e6:.1f} MFLOP/token in dense layers + {attn / 1e6:.2f} in attention on this corpus; "
          f"OpenBLAS sgemm (M=2048 K=384 N=1536, {g2['threads']} threads) ran at {g2['gflops']:.0f} GFLOP/s in this run, "
          f"so the bound is {bound:,.0f} tokens/s. batchml reached **{ours['tokens_per_s'] / bound:.0%}** of it "
          f"(target >= 75%).\n")
if ours and ort:
    print(f"batchml / ONNX Runtime at batch 32: **{ours['sentences_per_s'] / ort['sentences_per_s']:.2f}x** (target >= 1.3x, stretch 1.5x).\n")
lat = find(what='latency_16_tokens_batch1_1thread')
if lat:
    print(f"Latency, one 16-token sentence, batch 1, 1 thread: mean {lat['mean_ms']:.2f} ms, best {lat['min_ms']:.2f} ms (target <= 1.5 ms).\n")
rss = find(what='peak_rss_10000')
if rss and rss.get('rss_kib'):
    mb = rss['model_bytes'] / 2**20
    print(f"Peak RSS embedding 10,000 sentences with the CLI: {rss['rss_kib'] / 1024:.0f} MiB "
          f"(model file {mb:.0f} MiB; target <= model + 64 MiB = {mb + 64:.0f} MiB).\n")
print('## Gradient overlays\n')
print('| batch | ms per overlay | speedup vs sequential |')
print('|---|---|---|')
for r in rows:
    if r.get('what') == 'overlay_batching':
        print(f"| {'sequential' if r['batch'] == 0 else r['batch']} | {r['ms_per_overlay']:.2f} | {r['speedup_vs_sequential']:.2f}x |")
print()
c = find(what='overlay_cost')
if c:
    print(f"One `grad` overlay costs {c['ratio']:.2f}x one forward pass of the same 16-token text "
          f"({c['grad_overlay_ms']:.2f} vs {c['forward_ms']:.2f} ms, 1 thread; target <= 3.5x).\n")
ro = find(what='overlay_rate')
pt = find(system='pytorch-autograd')
if ro and pt:
    print(f"`grad` overlays one text at a time: batchml {ro['overlays_per_s']:.1f}/s, PyTorch autograd float32 "
          f"{pt['overlays_per_s']:.1f}/s: **{ro['overlays_per_s'] / pt['overlays_per_s']:.2f}x**.\n")
for extra, title in (('tokenizer', 'Tokenizer'), ('exporter', 'Buffering exporter'), ('tuning', 'Batch-size tuning'),
                     ('opencl', 'OpenCL path'), ('isa', 'Kernel sets and build flags'),
                     ('memory', 'Memory by weight dtype'), ('serve', 'Serving (batchml serve)')):
    p = os.path.join(o, extra + '.md')
    if os.path.exists(p) and os.path.getsize(p):
        print(f'## {title}\n')
        print(open(p).read().strip() + '\n')
print('Raw results: build/bench-out/results.jsonl (one JSON line per measurement).')
