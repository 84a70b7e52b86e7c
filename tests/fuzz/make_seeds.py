#!/usr/bin/python3
"""make_seeds.py -- writes the small seed corpora under tests/fuzz/corpus/NAME/
(committed; rerun to regenerate). Each seed is a valid or nearly valid input
of the kind the harness takes, a few hundred bytes to a few KiB, so that the
fuzzer starts from the real formats. Usage: make_seeds.py [ASSETS_DIR]"""
import json, os, struct, sys

here = os.path.dirname(os.path.abspath(__file__))
assets = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', '..', 'assets', 'minilm-l6-arch')
root = os.path.join(here, 'corpus')


def put(name, fname, data):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    open(os.path.join(d, fname), 'wb').write(data)


def js(o):
    return json.dumps(o, separators=(',', ':'), ensure_ascii=False)


# --- the real files, trimmed -------------------------------------------------
tok = json.load(open(os.path.join(assets, 'tokenizer.json')))
words = ['[PAD]', '[unused0]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'hello', 'world', ',', '!', '.', "'",
         '##s', '##ing', 'un', '##aff', '##able', 'a', '##a', 'b', 'e', 'i', '##stanbul', '你', '好', 'cafe',
         '##e', 'don', '##t', 'n', 'play', '##ed', 'guitar', 'man', 'is']
small_vocab = {w: i for i, w in enumerate(words)}


def small_tok(**over):
    t = json.loads(json.dumps(tok))
    t['model']['vocab'] = dict(small_vocab)
    t['added_tokens'] = [a for a in t['added_tokens'] if a['content'] in small_vocab]
    for a in t['added_tokens']:
        a['id'] = small_vocab[a['content']]
    for k in ('[CLS]', '[SEP]'):
        t['post_processor']['special_tokens'][k]['ids'] = [small_vocab[k]]
    t['truncation'] = None
    t['padding'] = None
    for k, v in over.items():
        if v is None:
            t.pop(k, None)
        else:
            t[k] = v
    return t


config = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64,
          "vocab_size": 30522, "max_position_embeddings": 512, "type_vocab_size": 2, "hidden_act": "gelu",
          "layer_norm_eps": 1e-12, "position_embedding_type": "absolute", "model_type": "bert",
          "architectures": ["BertModel"], "torch_dtype": "float32"}
modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
           {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
           {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]
pooling = {"word_embedding_dimension": 32, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
           "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False}
sbert = {"max_seq_length": 256, "do_lower_case": False}
tcfg = json.load(open(os.path.join(assets, 'tokenizer_config.json')))
smap = json.load(open(os.path.join(assets, 'special_tokens_map.json')))

# --- json ---------------------------------------------------------------------
put('json', 'config', js(config))
put('json', 'modules', json.dumps(modules, indent=2))
put('json', 'pooling', js(pooling))
put('json', 'head_value', js({"weight": [0.5, -1, 2e-3, 1e10, -0.0, 3, 4, 5], "bias": -1.5}))
put('json', 'escapes', '{"a\\u00e9\\ud83d\\ude00\\ud800x\\udc00":"\\b\\f\\n\\r\\t\\/\\\\\\"","k":[true,false,null]}')
put('json', 'numbers', '[0,-0,1.5e+300,-2E-5,12345678901234567890123456789012345678901234567890123456789012345678901234567890,0.1e1]')
put('json', 'bom', b'\xef\xbb\xbf {"x" : [ ] , "y" : { } }\n')
put('json', 'nested', '[' * 40 + '{"a":1}' + ']' * 40)
put('json', 'utf8', '{"k":"caf\u00e9 \u4f60\u597d \U0001f600"}')
put('json', 'tokenizer_small', js(small_tok()))

# --- safetensors -----------------------------------------------------------------


def st(tensors, meta=True, pad=8, raw=None):
    h, data = {}, b''
    if meta:
        h['__metadata__'] = {"format": "pt"}
    for name, dtype, shape, payload in tensors:
        h[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    hb = raw if raw is not None else js(h).encode()
    if pad:
        hb += b' ' * ((pad - len(hb) % pad) % pad)
    return struct.pack('<Q', len(hb)) + hb + data


f32 = lambda *v: struct.pack('<%df' % len(v), *v)
f16 = lambda *v: struct.pack('<%de' % len(v), *v)
bf16 = lambda *v: b''.join(struct.pack('<f', x)[2:] for x in v)
put('safetensors', 'f32', st([("embeddings.LayerNorm.weight", "F32", [4], f32(1, 2, 3, 4)),
                               ("encoder.layer.0.attention.self.query.weight", "F32", [2, 2], f32(.5, -.5, 1, 0))]))
put('safetensors', 'f16_bf16', st([("a", "F16", [2, 3], f16(1, 2, 3, -4, 65504, 6e-8)),
                                    ("bert.b", "BF16", [3], bf16(1.0, -2.0, 3.5)),
                                    ("c", "F32", [1, 1], f32(7))]))
put('safetensors', 'misaligned', st([("x", "F32", [3], f32(1, 2, 3))], pad=0))
put('safetensors', 'ints', st([("position_ids", "I64", [1, 4], struct.pack('<4q', 0, 1, 2, 3)),
                                ("m", "BOOL", [2], b'\x01\x00'), ("e", "F32", [0], b'')], meta=False))
put('safetensors', 'empty_header', st([], meta=False, raw=b'{}'))
put('safetensors', 'nan', st([("v", "F32", [2], f32(1, float('nan')))]))

# --- config (first byte: 0 config.json, 1 modules.json, 2 1_Pooling/config.json, 3 sentence_bert_config.json)
put('config', 'config', b'\x00' + js(config).encode())
put('config', 'config_min', b'\x00' + js({k: config[k] for k in ("hidden_size", "num_hidden_layers",
                                          "num_attention_heads", "intermediate_size", "vocab_size",
                                          "max_position_embeddings")}).encode())
put('config', 'modules', b'\x01' + js(modules).encode())
put('config', 'modules_other_pool', b'\x01' + js([{"type": "Pooling", "path": "."}]).encode())
put('config', 'pooling', b'\x02' + js(pooling).encode())
put('config', 'pooling_cls', b'\x02' + js(dict(pooling, pooling_mode_cls_token=True, pooling_mode_mean_tokens=False)).encode())
put('config', 'sbert', b'\x03' + js(sbert).encode())

t3 = small_tok()
t3['model']['continuing_subword_prefix'] = ''
t3['model']['vocab'] = {k[2:] if k.startswith('##') and k[2:] not in t3['model']['vocab'] else k: v
                        for k, v in t3['model']['vocab'].items()}
put('tokenizer_json', 'prefix_empty', js(t3))
t4 = small_tok()
t4['added_tokens'] += [{"id": 99, "content": "hello", "single_word": False, "lstrip": False, "rstrip": False,
                        "normalized": False, "special": False},
                       {"id": 6, "content": "<thx>", "single_word": False, "lstrip": False, "rstrip": False,
                        "normalized": False, "special": False},
                       {"id": 40, "content": "", "single_word": False, "lstrip": False, "rstrip": False,
                        "normalized": False, "special": False}]
put('tokenizer_json', 'added_in_vocab_and_colliding', js(t4))

# --- modules (first byte mod 4: 0 modules.json, 1 2_Dense/config.json, 2 2_Dense/model.safetensors,
#     3 3_Dense/config.json; bits 2-3: the overlay method)
ST = 'sentence_transformers.models.'
mods = [{"idx": 0, "name": "0", "path": "", "type": ST + "Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": ST + "Pooling"},
        {"idx": 2, "name": "2", "path": "2_Dense", "type": ST + "Dense"},
        {"idx": 3, "name": "3", "path": "3_Dense", "type": ST + "Dense"},
        {"idx": 4, "name": "4", "path": "4_Normalize", "type": ST + "Normalize"}]
put('modules', 'modules', b'\x00' + js(mods).encode())
put('modules', 'modules_one_dense', b'\x04' + js(mods[:3]).encode())
put('modules', 'modules_normalize_first', b'\x08' + js(mods[:2] + [dict(mods[4], idx=2)] + [dict(mods[2], idx=3)]).encode())
put('modules', 'modules_unknown', b'\x00' + js(mods[:2] + [{"idx": 2, "path": "2_X", "type": ST + "LayerNorm"}]).encode())
dense2 = {"in_features": 8, "out_features": 4, "bias": True, "activation_function": "torch.nn.modules.activation.Tanh"}
put('modules', 'dense2', b'\x01' + js(dense2).encode())
put('modules', 'dense2_relu', b'\x05' + js(dict(dense2, activation_function="torch.nn.modules.activation.ReLU")).encode())
put('modules', 'dense2_sigmoid_nobias', b'\x09' + js(dict(dense2, activation_function="torch.nn.modules.activation.Sigmoid",
                                                           bias=False)).encode())
put('modules', 'dense2_weights', b'\x02' + st([("linear.bias", "F32", [4], f32(*[0.1 * i for i in range(4)])),
                                               ("linear.weight", "F32", [4, 8], f32(*[0.05 * (i % 7 - 3) for i in range(32)]))],
                                              meta=False))
put('modules', 'dense2_weights_bf16', b'\x02' + st([("linear.bias", "BF16", [4], b'\x80\x3f' * 4),
                                                    ("linear.weight", "BF16", [4, 8], b'\x00\x3f' * 32)], meta=False))
put('modules', 'dense3', b'\x03' + js({"in_features": 4, "out_features": 6, "bias": False,
                                       "activation_function": "torch.nn.modules.linear.Identity"}).encode())

# --- merge (first byte mod 13: 0-4 p0.json/.npy/.ids/.texts/.lines, 5-9 the same of p1, 10-12 e0.npy/.jsonl/.tsv)
def npy(rows, cols):
    d = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, cols)
    pad = (64 - (10 + len(d) + 1) % 64) % 64
    return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(d) + pad + 1) + d.encode() + b' ' * pad + b'\n' + \
        struct.pack('<%df' % (rows * cols), *[0.25 * (i % 5) for i in range(rows * cols)])
ixj = {"format": "batchml-index", "version": 1, "model": "m", "model_name": "m", "fingerprint": "00", "dim": 4,
       "count": 3, "normalized": True, "with_ids": False, "skipped": 0, "shard": [0, 2]}
put('merge', 'p0_json', b'\x00' + js(ixj).encode() + b'\n')
put('merge', 'p0_json_skipped', b'\x00' + js(dict(ixj, skipped=2)).encode() + b'\n')
put('merge', 'p0_npy', b'\x01' + npy(3, 4))
put('merge', 'p0_ids', b'\x02' + b'1\n3\n5\n')
put('merge', 'p0_texts', b'\x03' + b'one\nthree\nfive\n')
put('merge', 'p0_lines', b'\x04' + b'1\n3\n5\n')
put('merge', 'p0_lines_far', b'\x04' + b'1\n3\n99999999999\n')
put('merge', 'p1_json', b'\x05' + js(dict(ixj, count=2, shard=[1, 2])).encode() + b'\n')
put('merge', 'p1_lines', b'\x09' + b'2\n4\n')
put('merge', 'e0_npy', b'\x0a' + npy(3, 4))
put('merge', 'e0_jsonl', b'\x0b' + b'[0.5,0.25,0,1]\nnull\n[1,2,3,4]\n')
put('merge', 'e0_jsonl_short_row', b'\x0b' + b'[0.5,0.25,0]\nnull\n[1,2,3,4]\n')
put('merge', 'e0_tsv', b'\x0c' + b'0.5\t0.25\t0\t1\n0\t0\t0\t0\n1\t2\t3\t4\n')

# --- tokenizer_json ----------------------------------------------------------------
put('tokenizer_json', 'small', js(small_tok()))
put('tokenizer_json', 'bert_processing', js(small_tok(post_processor={"type": "BertProcessing", "sep": ["[SEP]", 4],
                                                                      "cls": ["[CLS]", 3]})))
put('tokenizer_json', 'no_normalizer_no_post', js(small_tok(normalizer=None, post_processor=None, decoder=None)))
put('tokenizer_json', 'cased_accents', js(small_tok(normalizer={"type": "BertNormalizer", "clean_text": False,
                                                               "handle_chinese_chars": False, "strip_accents": True,
                                                               "lowercase": False})))
t2 = small_tok()
t2['model']['continuing_subword_prefix'] = '@@'
t2['model']['max_input_chars_per_word'] = 5
t2['decoder']['cleanup'] = False
t2['added_tokens'].append({"id": 36, "content": "<extra>", "single_word": False, "lstrip": False, "rstrip": False,
                           "normalized": False, "special": False})
put('tokenizer_json', 'prefix_added', js(t2))

# --- vocab (first byte mod 3: 0 vocab.txt, 1 tokenizer_config.json, 2 special_tokens_map.json; bit 7: max_len 10)
put('vocab', 'vocab', b'\x00' + ('\n'.join(words) + '\n').encode())
put('vocab', 'vocab_crlf_ws', b'\x80' + ('\r\n'.join(words) + '\u3000\n  \n').encode())
put('vocab', 'tokenizer_config', b'\x01' + js(tcfg).encode())
put('vocab', 'tokenizer_config_added', b'\x01' + js(dict(tcfg, do_lower_case=False, added_tokens_decoder={
    "0": {"content": "[PAD]", "special": True}, "40": {"content": "<new>", "special": False}})).encode())
put('vocab', 'special_map', b'\x02' + js(smap).encode())
put('vocab', 'special_map_objects', b'\x02' + js({k: {"content": v, "lstrip": False} for k, v in smap.items()}).encode())

# --- head (first byte: bit 7 policy, low 7 bits - 2 = class K) --------------------
put('head', 'value', b'\x00' + js({"weight": [0.1 * i for i in range(8)], "bias": 0.25}).encode())
put('head', 'policy', b'\x83' + js({"weight": [[0.1 * i - c for i in range(8)] for c in range(3)],
                                    "bias": [0, 1, -1]}).encode())
put('head', 'policy_one', b'\x82' + js({"weight": [[1, 0, 0, 0, 0, 0, 0, 0]], "bias": [0]}).encode())

# --- tokenize (first byte: bit 0 truncation 16, the rest the pair split) ------------
texts = ["A man is playing a guitar.", "Hello, world! [CLS] [SEP] [MASK] don't",
         "H\u00e9llo \u4f60\u597d \u0130stanbul unaffable e\u0301\u0323 \uff21\uff22", "\U0001f600 emoji \u200b zero\u00a0width",
         "tab\there\r\nnew line \x00 nul \x7f del", "a" * 120 + " " + "##ing " * 3,
         "\u0915\u094d\u0937 \u0e01\u0e34 \u05e9\u05b8\u05c1 \u0627\u064e", "caf\u00e9 CAF\u00c9 \u00df \u01c5 \u1e9e"]
for i, s in enumerate(texts):
    put('tokenize', 'text%d' % i, bytes([i * 37 & 0xFF]) + s.encode())
put('tokenize', 'invalid_utf8', b'\x05ab\xff\xfe c\xe2\x82 d\xf0\x9f\x98 \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 end')
put('tokenize', 'combining_run', b'\x00' + ('a' + '\u0323\u0301\u0300\u0327' * 20).encode())

# --- ids ---------------------------------------------------------------------------
for i, s in enumerate(['[101,7592,1010,2088,999,102]', '[]', ' [ 101 , 102 ] ', '[1.5]', '[-1,30522]',
                       '[2147483647,-2147483648,2147483648]', '[1e3,1E+2,0.0]', '{"ids":[1]}', '[101,"x"]',
                       '[' + ','.join(['7'] * 600) + ']']):
    put('ids', 'ids%d' % i, s)
print('seeds written under', root)
