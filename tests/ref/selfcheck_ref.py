#!/usr/bin/python3
"""selfcheck_ref.py -- checks the reference oracles themselves (no batchml
code involved), so a disagreement between batchml and the oracles can be
blamed on batchml.

Run:  /usr/bin/python3 tests/ref/selfcheck_ref.py [--keep DIR]
Prints "PASS name" / "FAIL name: why" lines (tests/run.sh format); exit 1 on
any failure.  Takes ~1-2 min on an idle 2-core machine.

Checks, on tiny random models written by make_test_model.py (2 layers,
hidden 32, 4 heads, FFN 64):
  * safetensors writer/reader round trip (F32 exact; F16/BF16 within rounding).
  * torch_ref.py (torch ops, packed unpadded batches) against an independent
    plain-numpy float64 BERT written here from the HF BertModel definition
    (math.erf GELU, explicit softmax/LayerNorm), for every pooling mode with
    and without Normalize, `bert.`-prefixed names, and F16/BF16 weights.
  * the padded+masked batch path (BertRef.encode_from_rows with a mask, as
    used by the ONNX export) against the unpadded path.
  * torch_overlay_ref.py: autograd gradients against central finite
    differences of f w.r.t. the word rows (grad: all coordinates;
    grad_x_input: along x_i; integrated gradients: along x_i at each
    alpha_k, 8 steps), and IG completeness (sum raw ~ f(x) - f(0 rows))
    with 2048 steps.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bml_model  # noqa: E402

import numpy as np  # noqa: E402

PY = sys.executable
fails = 0


def report(name, ok, why=''):
    global fails
    if ok:
        print(f'PASS {name}')
    else:
        fails += 1
        print(f'FAIL {name}: {why}')
    sys.stdout.flush()


# ------------------------------------------------ independent numpy BERT
def np_embed(model_dir, ids):
    with open(os.path.join(model_dir, 'config.json')) as f:
        cfg = json.load(f)
    raw, _ = bml_model.read_safetensors(os.path.join(model_dir, 'model.safetensors'))
    W = {(k[5:] if k.startswith('bert.') else k): np.asarray(v, np.float64) for k, v in raw.items()}
    H, A, eps = cfg['hidden_size'], cfg['num_attention_heads'], cfg['layer_norm_eps']
    dh = H // A
    erf = np.vectorize(math.erf)

    def ln(x, g, b):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * g + b

    def lin(x, p):
        return x @ W[p + '.weight'].T + W[p + '.bias']

    L = len(ids)
    h = W['embeddings.word_embeddings.weight'][ids] + W['embeddings.position_embeddings.weight'][:L] \
        + W['embeddings.token_type_embeddings.weight'][0]
    h = ln(h, W['embeddings.LayerNorm.weight'], W['embeddings.LayerNorm.bias'])
    for i in range(cfg['num_hidden_layers']):
        p = f'encoder.layer.{i}.'
        q, k, v = (lin(h, p + 'attention.self.' + n) for n in ('query', 'key', 'value'))
        ctx = np.zeros_like(h)
        for a in range(A):
            sl = slice(a * dh, (a + 1) * dh)
            s = q[:, sl] @ k[:, sl].T / math.sqrt(dh)
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            ctx[:, sl] = s @ v[:, sl]
        h = ln(lin(ctx, p + 'attention.output.dense') + h,
               W[p + 'attention.output.LayerNorm.weight'], W[p + 'attention.output.LayerNorm.bias'])
        m = lin(h, p + 'intermediate.dense')
        m = 0.5 * m * (1.0 + erf(m / math.sqrt(2.0)))
        h = ln(lin(m, p + 'output.dense') + h,
               W[p + 'output.LayerNorm.weight'], W[p + 'output.LayerNorm.bias'])
    with open(os.path.join(model_dir, '1_Pooling', 'config.json')) as f:
        pc = json.load(f)
    if pc['pooling_mode_mean_tokens']:
        e = h.mean(0)
    elif pc['pooling_mode_cls_token']:
        e = h[0]
    elif pc['pooling_mode_max_tokens']:
        e = h.max(0)
    else:
        e = h.sum(0) / math.sqrt(L)
    with open(os.path.join(model_dir, 'modules.json')) as f:
        if any(m['type'] == 'sentence_transformers.models.Normalize' for m in json.load(f)):
            e = e / np.linalg.norm(e)
    return e


def run(args, **kw):
    return subprocess.run([PY] + args, check=True, capture_output=True, text=True, **kw)


def mk(out, *extra):
    run([os.path.join(HERE, 'make_test_model.py'), out, '--layers', '2', '--hidden', '32',
         '--heads', '4', '--inter', '64'] + list(extra))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--keep', default=None)
    a = ap.parse_args()
    tmp = a.keep or tempfile.mkdtemp(prefix='bml_selfcheck_')
    os.makedirs(tmp, exist_ok=True)
    rng = np.random.default_rng(11)

    # safetensors round trip
    arrs = {'a': rng.normal(size=(3, 5)).astype(np.float32), 'b.c': rng.normal(size=(7,)).astype(np.float32)}
    for dt, tol in (('F32', 0), ('F16', 1e-3), ('BF16', 8e-3)):
        p = os.path.join(tmp, f'rt_{dt}.safetensors')
        bml_model.write_safetensors(p, arrs, metadata={'format': 'pt'}, dtype=dt)
        back, meta = bml_model.read_safetensors(p)
        err = max(float(np.max(np.abs(back[k] - arrs[k]) / (np.abs(arrs[k]) + 1e-30))) for k in arrs)
        report(f'safetensors_roundtrip_{dt}', err <= tol and meta == {'format': 'pt'} and
               all(back[k].shape == arrs[k].shape for k in arrs), f'rel err {err}')

    # ids: varied lengths, incl. length 1 and 2
    ids_list = [[101, 102], [101, 7592, 2088, 999, 102], [101]]
    for L in (3, 9, 17, 40):
        ids_list.append([101] + [int(t) for t in rng.integers(1000, 30000, L - 2)] + [102])
    idsf = os.path.join(tmp, 'ids.jsonl')
    with open(idsf, 'w') as f:
        for ids in ids_list:
            f.write(json.dumps(ids) + '\n')

    variants = [('mean', '1', []), ('mean', '0', []), ('cls', '1', []), ('max', '0', []),
                ('max', '1', []), ('mean_sqrt_len', '0', []), ('mean_sqrt_len', '1', []),
                ('mean', '1', ['--prefix-bert', '1', '--pooler', '0']),
                ('mean', '1', ['--dtype', 'F16']), ('cls', '0', ['--dtype', 'BF16'])]
    for vi, (pool, norm, extra) in enumerate(variants):
        d = os.path.join(tmp, f'm{vi}')
        mk(d, '--pooling', pool, '--normalize', norm, '--seed', str(100 + vi), *extra)
        outp = os.path.join(tmp, f'm{vi}.npy')
        run([os.path.join(HERE, 'torch_ref.py'), 'embed', '--model', d, '--ids', idsf, '--out', outp])
        got = np.load(outp)
        want = np.stack([np_embed(d, ids) for ids in ids_list])
        err = float(np.max(np.abs(got - want)))
        name = f'torch_ref_vs_numpy_{pool}_norm{norm}' + (('_' + '_'.join(extra[::2]).strip('-')) if extra else '')
        report(name.replace('--', ''), err < 1e-12, f'max abs diff {err:.3g}')
    # jsonl output equals npy output bit for bit
    d0 = os.path.join(tmp, 'm0')
    js = run([os.path.join(HERE, 'torch_ref.py'), 'embed', '--model', d0, '--ids', idsf]).stdout
    arr = np.array([json.loads(line) for line in js.strip().split('\n')])
    report('torch_ref_jsonl_exact', np.array_equal(arr, np.load(os.path.join(tmp, 'm0.npy'))), 'jsonl != npy')

    # padded + masked batch path vs unpadded
    import torch
    torch.set_num_threads(2)
    for vi in (0, 2, 4, 6):
        d = os.path.join(tmp, f'm{vi}')
        m = bml_model.load_model(d)
        Lmax = max(map(len, ids_list))
        t = torch.zeros(len(ids_list), Lmax, dtype=torch.long)
        mask = torch.zeros(len(ids_list), Lmax, dtype=torch.long)
        for i, ids in enumerate(ids_list):
            t[i, :len(ids)] = torch.tensor(ids)
            mask[i, :len(ids)] = 1
        with torch.no_grad():
            e = m.embed_rows(m.word_rows(t), mask).numpy()
        err = float(np.max(np.abs(e - np.load(os.path.join(tmp, f'm{vi}.npy')))))
        report(f'padded_masked_vs_unpadded_{m.pool_modes[0]}_norm{int(m.normalize)}', err < 1e-12,
               f'max abs diff {err:.3g}')

    # overlays vs finite differences
    D = 32
    heads = {
        'value': {'weight': [float(x) for x in rng.normal(size=D)], 'bias': 0.25},
        'policy': {'weight': [[float(x) for x in rng.normal(size=D)] for _ in range(4)],
                   'bias': [float(x) for x in rng.normal(0, 0.1, size=4)]},
    }
    for k, v in heads.items():
        with open(os.path.join(tmp, f'{k}.json'), 'w') as f:
            json.dump(v, f)
    ref_ids = [101, 1037, 4946, 2003, 102]
    targets = {'value': f'value:{tmp}/value.json', 'policy': f'policy:{tmp}/policy.json:2', 'sim': 'sim'}
    sys.path.insert(0, HERE)
    for vi in (0, 1, 3):    # mean+norm, mean, max
        d = os.path.join(tmp, f'm{vi}')
        m = bml_model.load_model(d)
        import torch_overlay_ref as tor
        for tn, spec in targets.items():
            tgt = tor.Target(spec, m, ref_ids, torch.float64)

            def fval(x):
                with torch.no_grad():
                    return float(tgt(m.embed_rows(x))[0])
            for method in ('grad', 'grad_x_input', 'integrated_gradients'):
                outp = os.path.join(tmp, f'ov_{vi}_{tn}_{method}.jsonl')
                run([os.path.join(HERE, 'torch_overlay_ref.py'), '--model', d, '--ids', idsf,
                     '--method', method, '--target', spec, '--ref-ids', json.dumps(ref_ids),
                     '--steps', '8', '--out', outp])
                res = [json.loads(line) for line in open(outp)]
                worst = 0.0
                for ids, r in zip(ids_list[:6], res):
                    if method == 'grad' and len(ids) > 5:
                        continue        # full-coordinate FD: short inputs only
                    x = m.word_rows(torch.tensor([ids])).detach()
                    L = len(ids)
                    f0 = fval(x)
                    worst = max(worst, abs(f0 - r['f']) / (abs(f0) + 1e-3) * 1e3)

                    hh = 1e-5

                    def dirderiv(xp, i, v):
                        # central difference of f along v placed on row i
                        a_, b_ = xp.clone(), xp.clone()
                        a_[0, i] += hh * v
                        b_[0, i] -= hh * v
                        return (fval(a_) - fval(b_)) / (2 * hh)
                    if method == 'grad':
                        eye = torch.eye(x.shape[2], dtype=torch.float64)
                        want = torch.tensor([
                            math.sqrt(sum(dirderiv(x, i, eye[j]) ** 2 for j in range(x.shape[2])))
                            for i in range(L)])
                    elif method == 'grad_x_input':
                        want = torch.tensor([dirderiv(x, i, x[0, i]) for i in range(L)])
                    else:
                        want = torch.tensor([sum(dirderiv(x * (k / 8), i, x[0, i]) for k in range(1, 9)) / 8
                                             for i in range(L)])
                    got = torch.tensor(r['raw'])
                    if got.shape != want.shape:
                        worst = float('inf')
                        break
                    scale = float(want.abs().max()) + 1e-6
                    worst = max(worst, float((got - want).abs().max()) / scale)
                report(f'overlay_fd_{m.pool_modes[0]}_norm{int(m.normalize)}_{tn}_{method}',
                       worst < 1e-6, f'rel err {worst:.3g}')
    # IG completeness with many steps
    d = os.path.join(tmp, 'm0')
    m = bml_model.load_model(d)
    outp = os.path.join(tmp, 'ig_complete.jsonl')
    run([os.path.join(HERE, 'torch_overlay_ref.py'), '--model', d, '--ids', idsf,
         '--method', 'integrated_gradients', '--target', targets['value'], '--steps', '2048',
         '--out', outp])
    tgt = tor.Target(targets['value'], m, None, torch.float64)
    worst = 0.0
    for ids, line in zip(ids_list, open(outp)):
        r = json.loads(line)
        with torch.no_grad():
            x = m.word_rows(torch.tensor([ids]))
            f1 = float(tgt(m.embed_rows(x))[0])
            f0 = float(tgt(m.embed_rows(torch.zeros_like(x)))[0])
        worst = max(worst, abs(sum(r['raw']) - (f1 - f0)) / (abs(f1 - f0) + 1e-3))
    report('ig_completeness_2048_steps', worst < 2e-3, f'rel err {worst:.3g}')

    print(f'selfcheck: {"all passed" if not fails else f"{fails} failed"} ({tmp})', file=sys.stderr)
    sys.exit(1 if fails else 0)


if __name__ == '__main__':
    main()
