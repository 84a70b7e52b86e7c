#!/usr/bin/python3
"""compare_overlay.py NAME OURS.jsonl REF.jsonl TOL -- ours: `batchml overlay`
JSON lines; ref: tests/ref/torch_overlay_ref.py lines {"f","raw"}. For every
input: max|ours.raw - ref.raw| / max|ref.raw| <= TOL, and the same for f
(relative to max(|f|, 1e-3)). Prints PASS/FAIL NAME with the worst values."""
import json, sys

name, ours, ref, tol = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
a = [json.loads(l) for l in open(ours)]
b = [json.loads(l) for l in open(ref)]
if len(a) != len(b):
    print(f'FAIL {name}: {len(a)} overlays vs {len(b)} reference lines')
    sys.exit(0)
worst, worst_f, at = 0.0, 0.0, -1
for i, (x, y) in enumerate(zip(a, b)):
    if 'error' in x or len(x['raw']) != len(y['raw']):
        print(f'FAIL {name}: input {i}: {x.get("error", "length differs")}')
        sys.exit(0)
    scale = max(abs(v) for v in y['raw']) or 1.0
    d = max(abs(p - q) for p, q in zip(x['raw'], y['raw'])) / scale
    if d > worst:
        worst, at = d, i
    worst_f = max(worst_f, abs(x['f'] - y['f']) / max(abs(y['f']), 1e-3))
ok = worst <= tol and worst_f <= tol
print(('PASS ' if ok else 'FAIL ') + name + ('' if ok else ':') +
      f' max rel diff raw {worst:.3g} (input {at}), f {worst_f:.3g}, {len(a)} inputs, limit {tol:g}')
