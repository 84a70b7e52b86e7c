#!/usr/bin/python3
"""dense_model.py BASE OUT --seed N STEP... -- a copy of the model directory
BASE with sentence-transformers modules after its Pooling, written exactly as
sentence-transformers saves them (modules.json entries "k_Dense" /
"k_Normalize", a Dense folder with config.json and model.safetensors holding
linear.weight [out, in] and linear.bias [out]).

STEP is one of
  dense:OUT[:ACT[:nobias]]   ACT = tanh (default, ST's), identity, relu, sigmoid
  normalize
e.g.  dense:16:tanh normalize   (a LaBSE / distiluse-style head).

Weights are random normal * 0.3 (seeded), so the activations are neither
saturated nor linear.  The base model's own modules after Pooling are
dropped; its files are hard-linked (copied where links fail)."""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'ref'))
import bml_model  # noqa: E402
import numpy as np  # noqa: E402

ACTS = {'tanh': 'torch.nn.modules.activation.Tanh', 'identity': 'torch.nn.modules.linear.Identity',
        'relu': 'torch.nn.modules.activation.ReLU', 'sigmoid': 'torch.nn.modules.activation.Sigmoid'}


def main():
    a = sys.argv[1:]
    if len(a) < 4 or a[2] != '--seed':
        raise SystemExit(__doc__)
    base, out, seed, steps = a[0], a[1], int(a[3]), a[4:]
    rng = np.random.default_rng(seed)
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(base):
        src = os.path.join(base, f)
        if os.path.isfile(src) and f != 'modules.json':
            dst = os.path.join(out, f)
            if os.path.exists(dst):
                os.remove(dst)
            try:
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)
    mods = json.load(open(os.path.join(base, 'modules.json')))[:2]
    pool_dir = mods[1]['path']
    shutil.copytree(os.path.join(base, pool_dir), os.path.join(out, pool_dir), dirs_exist_ok=True)
    pc = json.load(open(os.path.join(base, pool_dir, 'config.json')))
    width = pc['word_embedding_dimension']
    for s in steps:
        k = len(mods)
        f = s.split(':')
        if f[0] == 'normalize':
            mods.append({'idx': k, 'name': str(k), 'path': f'{k}_Normalize',
                         'type': 'sentence_transformers.models.Normalize'})
            os.makedirs(os.path.join(out, f'{k}_Normalize'), exist_ok=True)
            continue
        if f[0] != 'dense':
            raise SystemExit(f'unknown step {s!r}')
        n_out = int(f[1])
        act = ACTS[f[2] if len(f) > 2 else 'tanh']
        bias = not (len(f) > 3 and f[3] == 'nobias')
        d = os.path.join(out, f'{k}_Dense')
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, 'config.json'), 'w') as fh:
            json.dump({'in_features': width, 'out_features': n_out, 'bias': bias,
                       'activation_function': act}, fh, indent=2)
        t = {'linear.weight': (rng.standard_normal((n_out, width)) * 0.3).astype(np.float32)}
        if bias:
            t['linear.bias'] = (rng.standard_normal(n_out) * 0.3).astype(np.float32)
        bml_model.write_safetensors(os.path.join(d, 'model.safetensors'), t)
        mods.append({'idx': k, 'name': str(k), 'path': f'{k}_Dense',
                     'type': 'sentence_transformers.models.Dense'})
        width = n_out
    with open(os.path.join(out, 'modules.json'), 'w') as fh:
        json.dump(mods, fh, indent=2)


if __name__ == '__main__':
    main()
