#!/usr/bin/python3
"""make_test_model.py -- writes a random-weight BERT sentence-transformers
model directory in exactly the layout Hugging Face saves
sentence-transformers/all-MiniLM-L6-v2 (test-only; the C side has its own
`batchml mkmodel`).  Used to exercise the reference oracles and to build
variant/hostile models.

Run:
  /usr/bin/python3 tests/ref/make_test_model.py OUT [--layers 6 --hidden 384
      --heads 12 --inter 1536 --vocab 30522 --max-pos 512 --type-vocab 2
      --pooling mean|cls|max|mean_sqrt_len --normalize 1|0 --seed 0
      --dtype F32|F16|BF16 --prefix-bert 0|1 --pooler 0|1 --eps 1e-12
      --act gelu]

Weights: normal(0, 0.05) for matrices and embeddings, LayerNorm weights
1 + normal(0, 0.1), biases normal(0, 0.02); deterministic from --seed
(numpy default_rng).  Files: config.json, model.safetensors,
1_Pooling/config.json, modules.json (Normalize entry iff --normalize 1),
sentence_bert_config.json, and the tokenizer files (vocab.txt,
tokenizer.json, tokenizer_config.json, special_tokens_map.json) copied from
<repo>/assets/minilm-l6-arch; config.json starts from, and
sentence_bert_config.json is copied from, <repo>/tests/data/minilm-l6-arch
(the model's own two files).  With --vocab != 30522, vocab.txt is
truncated / extended with [unusedX] entries and tokenizer.json is not
written (it would not match).  --vocab must be > 103 ([MASK]).
"""
import argparse
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bml_model import write_safetensors  # noqa: E402  (first: sets OPENBLAS_CORETYPE)

import numpy as np  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '../..'))
ARCH = os.path.join(REPO, 'assets', 'minilm-l6-arch')               # the tokenizer files
ARCH_CFG = os.path.join(REPO, 'tests', 'data', 'minilm-l6-arch')    # config.json, sentence_bert_config.json


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--layers', type=int, default=6)
    ap.add_argument('--hidden', type=int, default=384)
    ap.add_argument('--heads', type=int, default=12)
    ap.add_argument('--inter', type=int, default=1536)
    ap.add_argument('--vocab', type=int, default=30522)
    ap.add_argument('--max-pos', type=int, default=512)
    ap.add_argument('--type-vocab', type=int, default=2)
    ap.add_argument('--pooling', default='mean', choices=['mean', 'cls', 'max', 'mean_sqrt_len'])
    ap.add_argument('--normalize', type=int, default=1)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--dtype', default='F32', choices=['F32', 'F16', 'BF16'])
    ap.add_argument('--prefix-bert', type=int, default=0)
    ap.add_argument('--pooler', type=int, default=1)
    ap.add_argument('--eps', type=float, default=1e-12)
    ap.add_argument('--act', default='gelu')
    a = ap.parse_args()
    if a.hidden % a.heads:
        sys.exit('hidden must be divisible by heads')
    if a.vocab <= 103:
        sys.exit('vocab must be > 103')

    rng = np.random.default_rng(a.seed)
    H, I, V = a.hidden, a.inter, a.vocab

    def mat(*shape):
        return rng.normal(0.0, 0.05, size=shape).astype(np.float32)

    def bias(n):
        return rng.normal(0.0, 0.02, size=(n,)).astype(np.float32)

    def lnw(n):
        return (1.0 + rng.normal(0.0, 0.1, size=(n,))).astype(np.float32)

    t = {}
    t['embeddings.word_embeddings.weight'] = mat(V, H)
    t['embeddings.position_embeddings.weight'] = mat(a.max_pos, H)
    t['embeddings.token_type_embeddings.weight'] = mat(a.type_vocab, H)
    t['embeddings.LayerNorm.weight'] = lnw(H)
    t['embeddings.LayerNorm.bias'] = bias(H)
    for i in range(a.layers):
        p = f'encoder.layer.{i}.'
        for nm in ('query', 'key', 'value'):
            t[p + f'attention.self.{nm}.weight'] = mat(H, H)
            t[p + f'attention.self.{nm}.bias'] = bias(H)
        t[p + 'attention.output.dense.weight'] = mat(H, H)
        t[p + 'attention.output.dense.bias'] = bias(H)
        t[p + 'attention.output.LayerNorm.weight'] = lnw(H)
        t[p + 'attention.output.LayerNorm.bias'] = bias(H)
        t[p + 'intermediate.dense.weight'] = mat(I, H)
        t[p + 'intermediate.dense.bias'] = bias(I)
        t[p + 'output.dense.weight'] = mat(H, I)
        t[p + 'output.dense.bias'] = bias(H)
        t[p + 'output.LayerNorm.weight'] = lnw(H)
        t[p + 'output.LayerNorm.bias'] = bias(H)
    if a.pooler:
        t['pooler.dense.weight'] = mat(H, H)
        t['pooler.dense.bias'] = bias(H)
    if a.prefix_bert:
        t = {'bert.' + k: v for k, v in t.items()}

    os.makedirs(os.path.join(a.out, '1_Pooling'), exist_ok=True)
    write_safetensors(os.path.join(a.out, 'model.safetensors'), t,
                      metadata={'format': 'pt'}, dtype=a.dtype)

    with open(os.path.join(ARCH_CFG, 'config.json')) as f:
        cfg = json.load(f)
    cfg.update({'_name_or_path': f'batchml-test-model-seed{a.seed}',
                'hidden_size': H, 'num_hidden_layers': a.layers,
                'num_attention_heads': a.heads, 'intermediate_size': I,
                'vocab_size': V, 'max_position_embeddings': a.max_pos,
                'type_vocab_size': a.type_vocab, 'layer_norm_eps': a.eps,
                'hidden_act': a.act,
                'torch_dtype': {'F32': 'float32', 'F16': 'float16', 'BF16': 'bfloat16'}[a.dtype]})
    with open(os.path.join(a.out, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)
    pc = {'word_embedding_dimension': H,
          'pooling_mode_cls_token': a.pooling == 'cls',
          'pooling_mode_mean_tokens': a.pooling == 'mean',
          'pooling_mode_max_tokens': a.pooling == 'max',
          'pooling_mode_mean_sqrt_len_tokens': a.pooling == 'mean_sqrt_len'}
    with open(os.path.join(a.out, '1_Pooling', 'config.json'), 'w') as f:
        json.dump(pc, f, indent=2)
    mods = [{'idx': 0, 'name': '0', 'path': '', 'type': 'sentence_transformers.models.Transformer'},
            {'idx': 1, 'name': '1', 'path': '1_Pooling', 'type': 'sentence_transformers.models.Pooling'}]
    if a.normalize:
        mods.append({'idx': 2, 'name': '2', 'path': '2_Normalize',
                     'type': 'sentence_transformers.models.Normalize'})
    with open(os.path.join(a.out, 'modules.json'), 'w') as f:
        json.dump(mods, f, indent=2)
    shutil.copyfile(os.path.join(ARCH_CFG, 'sentence_bert_config.json'),
                    os.path.join(a.out, 'sentence_bert_config.json'))
    for fn in ('tokenizer_config.json', 'special_tokens_map.json'):
        shutil.copyfile(os.path.join(ARCH, fn), os.path.join(a.out, fn))
    if V == 30522:
        for fn in ('vocab.txt', 'tokenizer.json'):
            shutil.copyfile(os.path.join(ARCH, fn), os.path.join(a.out, fn))
    else:
        with open(os.path.join(ARCH, 'vocab.txt'), encoding='utf-8') as f:
            vocab = f.read().split('\n')
        if vocab and vocab[-1] == '':
            vocab.pop()
        vocab = vocab[:V] + [f'[unused_extra{i}]' for i in range(max(0, V - len(vocab)))]
        with open(os.path.join(a.out, 'vocab.txt'), 'w', encoding='utf-8') as f:
            f.write('\n'.join(vocab) + '\n')
        tj = os.path.join(a.out, 'tokenizer.json')
        if os.path.exists(tj):
            os.remove(tj)


if __name__ == '__main__':
    main()
