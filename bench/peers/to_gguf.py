#!/usr/bin/env python3
"""Write a sentence-transformers BERT directory (config.json, vocab.txt,
model.safetensors, 1_Pooling/config.json) as a float32 GGUF file for
llama.cpp's `llama-server --embedding` (the peer in bench/serve.sh), with
gguf-py from a llama.cpp checkout beside the project (its own tensor and key
names; the same mapping llama.cpp's convert_hf_to_gguf.py BertModel makes,
written here because that script needs `transformers`).

usage: PYTHONPATH=LLAMA_CPP/gguf-py to_gguf.py MODEL_DIR OUT.gguf
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np
import gguf


def read_safetensors(path):
    data = Path(path).read_bytes()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    dt = {'F32': np.float32, 'F16': np.float16}
    for name, t in header.items():
        if name == '__metadata__':
            continue
        b, e = t['data_offsets']
        out[name] = np.frombuffer(data[8 + n + b:8 + n + e], dtype=dt[t['dtype']]).reshape(t['shape']).astype(np.float32)
    return out


def main():
    src, dst = Path(sys.argv[1]), sys.argv[2]
    cfg = json.loads((src / 'config.json').read_text())
    pool = json.loads((src / '1_Pooling' / 'config.json').read_text())
    w = read_safetensors(src / 'model.safetensors')
    w = {k[5:] if k.startswith('bert.') else k: v for k, v in w.items()}
    vocab = (src / 'vocab.txt').read_text(encoding='utf-8').split('\n')
    if vocab and vocab[-1] == '':
        vocab.pop()
    g = gguf.GGUFWriter(dst, 'bert')
    g.add_name(src.name)
    g.add_context_length(cfg['max_position_embeddings'])
    g.add_embedding_length(cfg['hidden_size'])
    g.add_feed_forward_length(cfg['intermediate_size'])
    g.add_block_count(cfg['num_hidden_layers'])
    g.add_head_count(cfg['num_attention_heads'])
    g.add_layer_norm_eps(cfg.get('layer_norm_eps', 1e-12))
    g.add_causal_attention(False)
    g.add_pooling_type(gguf.PoolingType.MEAN if pool.get('pooling_mode_mean_tokens') else gguf.PoolingType.CLS)
    g.add_file_type(gguf.LlamaFileType.ALL_F32)
    # vocabulary as llama.cpp's WPM tokenizer wants it: word starts get the
    # phantom space, '##' continuations lose their prefix, [X] stay
    toks = [t if (t.startswith('[') and t.endswith(']')) else t[2:] if t.startswith('##') else '\u2581' + t for t in vocab]
    types = [gguf.TokenType.CONTROL if (t.startswith('[') and t.endswith(']')) else gguf.TokenType.NORMAL for t in vocab]
    g.add_tokenizer_model('bert')
    g.add_tokenizer_pre('default')
    g.add_token_list(toks)
    g.add_token_types(types)
    g.add_token_type_count(cfg.get('type_vocab_size', 2))
    ids = {t: i for i, t in enumerate(vocab)}
    g.add_bos_token_id(ids['[CLS]'])  # llama.cpp's BERT: [CLS] is its BOS
    g.add_sep_token_id(ids['[SEP]'])
    g.add_eos_token_id(ids['[SEP]'])
    g.add_unk_token_id(ids['[UNK]'])
    g.add_pad_token_id(ids['[PAD]'])
    g.add_mask_token_id(ids['[MASK]'])
    g.add_add_bos_token(True)
    g.add_add_eos_token(True)
    names = {'embeddings.word_embeddings.weight': 'token_embd.weight',
             'embeddings.token_type_embeddings.weight': 'token_types.weight',
             'embeddings.position_embeddings.weight': 'position_embd.weight',
             'embeddings.LayerNorm.weight': 'token_embd_norm.weight',
             'embeddings.LayerNorm.bias': 'token_embd_norm.bias'}
    per = {'attention.self.query': 'attn_q', 'attention.self.key': 'attn_k', 'attention.self.value': 'attn_v',
           'attention.output.dense': 'attn_output', 'attention.output.LayerNorm': 'attn_output_norm',
           'intermediate.dense': 'ffn_up', 'output.dense': 'ffn_down', 'output.LayerNorm': 'layer_output_norm'}
    for l in range(cfg['num_hidden_layers']):
        for hf, gg in per.items():
            for s in ('weight', 'bias'):
                names[f'encoder.layer.{l}.{hf}.{s}'] = f'blk.{l}.{gg}.{s}'
    for hf, gg in names.items():
        g.add_tensor(gg, np.ascontiguousarray(w[hf]))
    g.write_header_to_file()
    g.write_kv_data_to_file()
    g.write_tensors_to_file()
    g.close()


if __name__ == '__main__':
    main()
