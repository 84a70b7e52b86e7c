#!/usr/bin/python3
"""torch_ref.py -- float64 PyTorch reference for batchml's sentence embeddings.

Run:
  /usr/bin/python3 tests/ref/torch_ref.py embed --model DIR --ids FILE.jsonl [--out FILE]
    FILE.jsonl: one JSON array of token ids per line, used exactly as given
      (token_type_ids all 0, attention over the whole sequence, no padding).
    --out: FILE.npy -> float64 array (N, D); otherwise (or stdout when absent
      or '-') one JSON array of floats per line, repr (round-trip exact).
    --threads N (default 2), --dtype float64|float32 (default float64).

What it computes (bml_model.BertRef): HF BertModel forward in float64 with
torch's own math -- word + position + token-type(0) embeddings, LayerNorm,
then per layer post-LN self-attention (softmax(QK^T/sqrt(dh)) V, output dense,
residual, LayerNorm) and FFN (exact-erf GELU, residual, LayerNorm) -- then the
model's sentence-transformers pooling from 1_Pooling/config.json (mean / cls /
max / mean_sqrt_len over the sequence) and L2 normalisation when modules.json
lists sentence_transformers.models.Normalize.  Sequences are grouped by length
and run unpadded, so no mask approximations enter.  Checks inputs: ids in
[0, vocab), non-empty, length <= max_position_embeddings.

Speed: ~600 inputs of lengths 2..256 on the MiniLM-L6 shape take about
half a minute on 2 cores (OPENBLAS_CORETYPE=SkylakeX set automatically on
AVX-512 CPUs).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bml_model  # noqa: E402  (first: sets OPENBLAS_CORETYPE)
if __name__ == '__main__':
    bml_model.tune_process()

import torch  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('cmd', choices=['embed'])
    ap.add_argument('--model', required=True)
    ap.add_argument('--ids', required=True)
    ap.add_argument('--out', default=None)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--dtype', default='float64', choices=['float64', 'float32'])
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.time()
    m = bml_model.load_model(a.model, getattr(torch, a.dtype))
    ids = bml_model.read_ids_jsonl(a.ids)
    e = m.embed_ids(ids) if ids else __import__('numpy').zeros((0, m.D))
    bml_model.write_npy_or_jsonl(a.out, e)
    print(f'torch_ref: {len(ids)} inputs, {sum(map(len, ids))} tokens, '
          f'pooling={"+".join(m.pool_modes)} normalize={int(m.normalize)}, '
          f'{time.time() - t0:.1f}s', file=sys.stderr)


if __name__ == '__main__':
    main()
