#!/usr/bin/python3
"""torch_bench.py -- PyTorch eager float32 peer for the embedding benchmark
(Debian python3-torch 1.13, OpenBLAS), same protocol as ort_bench.js and
BENCHMARKS.md (project notes).

Run:
  /usr/bin/python3 bench/peers/torch_bench.py --model DIR --ids FILE.jsonl
      [--batch 32] [--threads 2] [--no-sort] [--repeat 1] [--out emb.npy]
  DIR: HF-layout model directory; FILE.jsonl from bench/peers/make_ids.js.

OPENBLAS_CORETYPE: this machine's environment sets OPENBLAS_CORETYPE=Haswell;
importing tests/ref/bml_model.py (done first, via st_module) switches it to
SkylakeX on AVX-512 CPUs before OpenBLAS loads (~2x on GEMMs; BENCHMARKS.md:
135-374 vs 564 sentences/s).  The setting used is reported in the output
("openblas_coretype"); force another with BML_OPENBLAS_CORETYPE=Haswell.

Protocol: st_module.BertST (HF BertModel + pooling + Normalize) in eval mode
under torch.inference_mode, torch.set_num_threads(--threads); sentences
ordered longest first, batches of --batch padded to their longest (tensors
built before timing); one warm-up pass over the corpus, then --repeat timed
passes; prints one JSON line {"system":"pytorch","batch":..,"threads":..,
"sentences_per_s":..,"tokens_per_s":..,"n":..} (median pass; real tokens).
--out writes the embeddings (float32, input order) as .npy.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import st_module  # noqa: E402  (imports bml_model first: OPENBLAS_CORETYPE)
from st_module import bml_model  # noqa: E402
if __name__ == '__main__':
    bml_model.tune_process()

import numpy as np  # noqa: E402
import torch  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--ids', required=True)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--sort', dest='sort', action='store_true', default=True)
    ap.add_argument('--no-sort', dest='sort', action='store_false')
    ap.add_argument('--repeat', type=int, default=1)
    ap.add_argument('--out', default=None)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    m = st_module.BertST(a.model)
    ids_list = bml_model.read_ids_jsonl(a.ids)
    ntok = sum(map(len, ids_list))
    batches = list(st_module.batches(ids_list, a.batch, a.sort))
    emb = None
    with torch.inference_mode():
        for idx, t, msk in batches:                 # warm-up pass
            e = m(t, msk)
            if a.out:
                if emb is None:
                    emb = np.zeros((len(ids_list), e.shape[1]), dtype=np.float32)
                emb[idx] = e.numpy()
        runs = []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            for idx, t, msk in batches:
                m(t, msk)
            runs.append(time.perf_counter() - t0)
    if a.out:
        np.save(a.out, emb)
    med = sorted(runs)[(len(runs) - 1) // 2]
    print(json.dumps({'system': 'pytorch', 'version': torch.__version__, 'batch': a.batch,
                      'threads': a.threads, 'sorted': a.sort,
                      'sentences_per_s': round(len(ids_list) / med, 1),
                      'tokens_per_s': round(ntok / med, 1), 'n': len(ids_list), 'tokens': ntok,
                      'runs_s': [round(x, 4) for x in runs],
                      'openblas_coretype': os.environ.get('OPENBLAS_CORETYPE')}))


if __name__ == '__main__':
    main()
