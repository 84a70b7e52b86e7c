#!/usr/bin/python3
"""export_onnx.py -- exports a batchml / Hugging Face sentence-transformers
BERT model directory to ONNX for the ONNX Runtime peer benchmark, and checks
the exported graph against the float64 reference.

Run:
  /usr/bin/python3 bench/peers/export_onnx.py --model DIR --out model.onnx
      [--check-ids FILE.jsonl] [--no-check]

Builds st_module.BertST (float32 torch.nn.Module with the model's weights:
HF BertModel encoder + the model's pooling + Normalize if configured; inputs
input_ids [B,L] and attention_mask [B,L] int64, output embeddings [B,D]) and
exports it with torch.onnx.export, opset 14, dynamic batch and length axes.
Debian's torch 1.13 exports without the `onnx` Python package (not
installed); no graph simplification is done -- ORT's own optimizer
(graphOptimizationLevel 'all') fuses LayerNorm/GELU/etc at session creation.

Check (unless --no-check): embeds a few inputs (the first 24 lines of
--check-ids, or 24 seeded random sequences of lengths 1..64 with
[CLS]/[SEP]) with tests/ref/bml_model (float64, unpadded, = torch_ref.py),
with the float32 torch module on padded length-sorted batches of 8, and with
ONNX Runtime through `node ort_bench.js --no-bench --batch 8 --out`; prints
the max abs differences and exits 1 if either exceeds 1e-4.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import st_module  # noqa: E402  (imports bml_model first: OPENBLAS_CORETYPE)
from st_module import bml_model  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--check-ids', default=None)
    ap.add_argument('--no-check', action='store_true')
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    warnings.filterwarnings('ignore', message='The shape inference of prim::Constant')
    m = st_module.BertST(a.model)
    ex_ids = torch.tensor([[101, 7592, 2088, 102], [101, 2088, 102, 0]], dtype=torch.long)
    ex_mask = (ex_ids != 0).long()
    with torch.no_grad():
        torch.onnx.export(
            m, (ex_ids, ex_mask), a.out, opset_version=14,
            input_names=['input_ids', 'attention_mask'], output_names=['embeddings'],
            dynamic_axes={'input_ids': {0: 'batch', 1: 'seq'},
                          'attention_mask': {0: 'batch', 1: 'seq'},
                          'embeddings': {0: 'batch'}},
            do_constant_folding=True)
    print(f'export_onnx: wrote {a.out} ({os.path.getsize(a.out) / 1e6:.1f} MB), '
          f'pooling={"+".join(m.pool_modes)} normalize={int(m.normalize)}')
    if a.no_check:
        return

    if a.check_ids:
        ids_list = bml_model.read_ids_jsonl(a.check_ids)[:24]
    else:
        r = random.Random(1234)
        ids_list = []
        for _ in range(24):
            L = r.randint(1, 64)
            ids_list.append([101] + [r.randint(1000, 29999) for _ in range(max(0, L - 2))] + [102] if L > 1
                            else [101])
    ref = bml_model.load_model(a.model, torch.float64).embed_ids(ids_list)

    got = np.zeros_like(ref)
    with torch.no_grad():
        for idx, t, msk in st_module.batches(ids_list, 8):
            got[idx] = m(t, msk).double().numpy()
    d_torch = float(np.max(np.abs(got - ref)))

    with tempfile.TemporaryDirectory() as td:
        idf = os.path.join(td, 'ids.jsonl')
        with open(idf, 'w') as f:
            for ids in ids_list:
                f.write(json.dumps(ids) + '\n')
        npy = os.path.join(td, 'ort.npy')
        subprocess.run(['node', os.path.join(HERE, 'ort_bench.js'), '--model', a.out, '--ids', idf,
                        '--batch', '8', '--threads', str(a.threads), '--no-bench', '--out', npy],
                       check=True)
        ort = np.load(npy).astype(np.float64)
    d_ort = float(np.max(np.abs(ort - ref)))
    print(json.dumps({'check_inputs': len(ids_list),
                      'max_abs_diff_torch_f32_vs_ref_f64': d_torch,
                      'max_abs_diff_ort_vs_ref_f64': d_ort,
                      'max_abs_diff_ort_vs_torch_f32': float(np.max(np.abs(ort - got)))}))
    if not (d_torch < 1e-4 and d_ort < 1e-4):
        print('export_onnx: CHECK FAILED', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
