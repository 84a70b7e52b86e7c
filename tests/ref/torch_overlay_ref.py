#!/usr/bin/python3
"""torch_overlay_ref.py -- float64 PyTorch-autograd reference for batchml's
token attributions ("gradient overlays"), plus a float32 speed benchmark.

Run (reference):
  /usr/bin/python3 tests/ref/torch_overlay_ref.py --model DIR --ids FILE.jsonl
      --method grad|grad_x_input|integrated_gradients
      --target sim|sim:TEXT|value:HEAD.json|policy:HEAD.json:K
      [--ref-ids '[101,...,102]'] [--steps 32] [--out FILE] [--threads 2]
  Output: one JSON object per input line, {"f": f, "raw": [raw_0, ...]}
  (floats repr, round-trip exact), to --out or stdout.
Run (benchmark, float32, PyTorch autograd one text at a time):
  /usr/bin/python3 tests/ref/torch_overlay_ref.py --bench --model DIR
      --ids FILE.jsonl --target ... [--method grad] [--threads 2]
  prints one JSON line {"system":"pytorch-autograd","dtype":"float32",
  "method":..,"threads":..,"overlays_per_s":..,"tokens_per_s":..,"n":..}
  after one warm-up pass over (up to 64 of) the inputs.

What it computes.  e = the model's sentence embedding (bml_model.BertRef:
HF BertModel forward, ST pooling, L2 normalisation if modules.json has
Normalize), ids used exactly as given, token types 0, no padding.  Target f(e):
  sim      cos(e, r), r = embedding of the reference ids (--ref-ids JSON
           array; `sim:TEXT` tokenizes TEXT with the model's tokenizer.json via
           tests/ref/tokenize.js), r a constant (no gradient through it);
           f = e.r / (|e| |r|).
  value    f = w.e + b, HEAD.json {"weight": [D floats], "bias": b}.
  policy   f = log_softmax(W e + b)[K], HEAD.json {"weight": [[D]*C],
           "bias": [C]}, 0 <= K < C.
x_i = word-embedding row of token i (before position/type embeddings and the
embedding LayerNorm); gradients by autograd in float64:
  grad                  raw_i = || df/dx_i ||_2
  grad_x_input          raw_i = df/dx_i . x_i
  integrated_gradients  zero baseline on the word rows only (position/type
                        embeddings unscaled), right Riemann sum, m = --steps:
                        raw_i = x_i . (1/m) sum_{k=1..m} df/dx_i at alpha_k x,
                        alpha_k = k/m.  f is reported at alpha = 1.
Checks: token ids in range, lengths <= max_position_embeddings, head sizes
match the embedding width, K in range.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bml_model  # noqa: E402  (first: sets OPENBLAS_CORETYPE)
if __name__ == '__main__':
    bml_model.tune_process()

import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def tokenize(model_dir, text):
    r = subprocess.run(['node', os.path.join(HERE, 'tokenize.js'), model_dir],
                       input=json.dumps(text) + '\n', capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().split('\n')[0])


class Target:
    """f(e) for e [B,D] -> [B]."""

    def __init__(self, spec, model, ref_ids, dtype):
        self.kind = spec.split(':', 1)[0]
        D = model.D
        if self.kind == 'sim':
            if spec.startswith('sim:'):
                ids = tokenize_ref(model, spec[4:])
            elif ref_ids is not None:
                ids = ref_ids
            else:
                raise SystemExit('target sim needs --ref-ids JSON (or sim:TEXT)')
            model.check_ids([ids])
            with torch.no_grad():
                r = model.embed_rows(model.word_rows(torch.tensor([ids], dtype=torch.long)))[0]
            self.r = r.detach().to(dtype)
            self.rn = torch.linalg.vector_norm(self.r)
        elif self.kind == 'value':
            with open(spec[6:]) as f:
                hd = json.load(f)
            w = torch.tensor(hd['weight'], dtype=torch.float64)
            if w.shape != (D,):
                raise SystemExit(f'value head weight has shape {tuple(w.shape)}, want ({D},)')
            self.w = w.to(dtype)
            self.b = float(hd.get('bias', 0.0))
        elif self.kind == 'policy':
            rest = spec[7:]
            fn, k = rest.rsplit(':', 1)
            with open(fn) as f:
                hd = json.load(f)
            W = torch.tensor(hd['weight'], dtype=torch.float64)
            if W.dim() != 2 or W.shape[1] != D:
                raise SystemExit(f'policy head weight has shape {tuple(W.shape)}, want (C,{D})')
            C = W.shape[0]
            b = torch.tensor(hd.get('bias', [0.0] * C), dtype=torch.float64)
            if b.shape != (C,):
                raise SystemExit(f'policy head bias has shape {tuple(b.shape)}, want ({C},)')
            self.k = int(k)
            if not 0 <= self.k < C:
                raise SystemExit(f'policy class {self.k} out of range [0,{C})')
            self.W, self.bb = W.to(dtype), b.to(dtype)
        else:
            raise SystemExit(f'unknown target {spec!r}')

    def __call__(self, e):
        if self.kind == 'sim':
            return (e @ self.r) / (torch.linalg.vector_norm(e, dim=1) * self.rn)
        if self.kind == 'value':
            return e @ self.w + self.b
        z = e @ self.W.t() + self.bb
        return torch.log_softmax(z, dim=1)[:, self.k]


def tokenize_ref(model, text):
    return tokenize(model.model_dir, text)


def overlay(model, target, ids, method, steps, max_tokens=2048):
    """-> (f, raw list) for one sequence."""
    t = torch.tensor([ids], dtype=torch.long)
    x = model.word_rows(t).detach()            # [1,L,H]
    L = len(ids)
    if method in ('grad', 'grad_x_input'):
        xr = x.clone().requires_grad_(True)
        f = target(model.embed_rows(xr))
        f.sum().backward()
        g = xr.grad[0]
        raw = torch.linalg.vector_norm(g, dim=1) if method == 'grad' else (g * x[0]).sum(dim=1)
        return float(f[0]), raw
    if method != 'integrated_gradients':
        raise SystemExit(f'unknown method {method}')
    gsum = torch.zeros_like(x[0])
    per = max(1, max_tokens // L)
    f_full = None
    for k0 in range(1, steps + 1, per):
        ks = list(range(k0, min(steps, k0 + per - 1) + 1))
        alpha = torch.tensor([k / steps for k in ks], dtype=x.dtype).view(-1, 1, 1)
        xs = (alpha * x).detach().requires_grad_(True)   # [n,L,H]
        f = target(model.embed_rows(xs))
        f.sum().backward()
        gsum += xs.grad.sum(dim=0)
        if ks[-1] == steps:
            f_full = float(f[-1])
    raw = (x[0] * (gsum / steps)).sum(dim=1)
    return f_full, raw


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--ids', required=True)
    ap.add_argument('--method', default='grad',
                    choices=['grad', 'grad_x_input', 'integrated_gradients'])
    ap.add_argument('--target', required=True)
    ap.add_argument('--ref-ids', default=None)
    ap.add_argument('--steps', type=int, default=32)
    ap.add_argument('--out', default=None)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--bench', action='store_true')
    a = ap.parse_args()
    if a.steps < 1:
        raise SystemExit('--steps must be >= 1')
    torch.set_num_threads(a.threads)
    dtype = torch.float32 if a.bench else torch.float64
    model = bml_model.load_model(a.model, dtype)
    model.model_dir = a.model
    ref_ids = json.loads(a.ref_ids) if a.ref_ids else None
    target = Target(a.target, model, ref_ids, dtype)
    ids_list = bml_model.read_ids_jsonl(a.ids)
    model.check_ids(ids_list)

    if a.bench:
        warm = ids_list[:64]
        for ids in warm:
            overlay(model, target, ids, a.method, a.steps)
        t0 = time.perf_counter()
        for ids in ids_list:
            overlay(model, target, ids, a.method, a.steps)
        dt = time.perf_counter() - t0
        ntok = sum(map(len, ids_list))
        print(json.dumps({'system': 'pytorch-autograd', 'dtype': 'float32', 'method': a.method,
                          'steps': a.steps if a.method == 'integrated_gradients' else None,
                          'target': a.target.split(':', 1)[0], 'threads': a.threads,
                          'overlays_per_s': round(len(ids_list) / dt, 2),
                          'tokens_per_s': round(ntok / dt, 1), 'n': len(ids_list),
                          'seconds': round(dt, 3),
                          'openblas_coretype': os.environ.get('OPENBLAS_CORETYPE')}))
        return

    lines = []
    for ids in ids_list:
        f, raw = overlay(model, target, ids, a.method, a.steps)
        lines.append(json.dumps({'f': f, 'raw': [float(v) for v in raw]}))
    text = ''.join(s + '\n' for s in lines)
    if not a.out or a.out == '-':
        sys.stdout.write(text)
    else:
        with open(a.out, 'w') as fh:
            fh.write(text)


if __name__ == '__main__':
    main()
