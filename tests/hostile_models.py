#!/usr/bin/python3
"""hostile_models.py SRC OUT -- from a valid (tiny) model directory SRC,
writes broken and variant copies under OUT/<name>/ and OUT/expect.tsv with
one line per case:  name <TAB> expected status <TAB> text the error must contain
(status OK: must load; text then names a sibling whose embeddings it must
equal, with a tolerance: 'same:NAME:TOL').

Each case is one thing wrong with a real file: the loader must answer with a
specific error naming the file and the problem, never crash, never allocate
without bound."""
import json, os, shutil, struct, sys
import numpy as np

src, out = sys.argv[1], sys.argv[2]
cases = []


def read_st(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    return json.loads(b[8:8 + n]), b[8 + n:]


def write_st(path, header, data, pad_to=8, raw_header=None):
    h = raw_header if raw_header is not None else json.dumps(header, separators=(',', ':')).encode()
    if pad_to:
        h += b' ' * ((pad_to - len(h) % pad_to) % pad_to)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + data)


def case(name, status, text):
    d = os.path.join(out, name)
    if os.path.exists(d):
        shutil.rmtree(d)
    shutil.copytree(src, d)
    cases.append((name, status, text))
    return d


def edit_json(d, rel, fn):
    p = os.path.join(d, rel)
    j = json.load(open(p))
    fn(j)
    json.dump(j, open(p, 'w'))


def edit_st(d, fn, **kw):
    p = os.path.join(d, 'model.safetensors')
    h, data = read_st(p)
    r = fn(h, data)
    if r is not None:
        h, data = r
    write_st(p, h, data, **kw)


def tensors(h):
    return sorted([k for k in h if k != '__metadata__'], key=lambda k: h[k]['data_offsets'][0])


os.makedirs(out, exist_ok=True)
H0, _ = read_st(os.path.join(src, 'model.safetensors'))
q0 = 'encoder.layer.0.attention.self.query.weight'
hid = H0[q0]['shape'][0]

# --- directory and config.json ---
cases.append(('no_such_dir', 'BML_ERR_IO', 'not a model directory'))
d = case('no_config', 'BML_ERR_IO', 'config.json: cannot open'); os.remove(os.path.join(d, 'config.json'))
d = case('config_truncated_json', 'BML_ERR_FORMAT', 'config.json: invalid JSON at byte')
open(os.path.join(d, 'config.json'), 'w').write('{"hidden_size": 32, "num_hidden_layers"')
d = case('config_heads_not_divisor', 'BML_ERR_FORMAT', 'not divisible by num_attention_heads')
edit_json(d, 'config.json', lambda j: j.update(num_attention_heads=5))
d = case('config_zero_heads', 'BML_ERR_FORMAT', "'num_attention_heads' must be an integer")
edit_json(d, 'config.json', lambda j: j.update(num_attention_heads=0))
d = case('config_missing_hidden', 'BML_ERR_FORMAT', "field 'hidden_size' is missing")
edit_json(d, 'config.json', lambda j: j.pop('hidden_size'))
d = case('config_string_layers', 'BML_ERR_FORMAT', "'num_hidden_layers' must be an integer")
edit_json(d, 'config.json', lambda j: j.update(num_hidden_layers="6"))
d = case('config_gelu_new', 'BML_ERR_UNSUPPORTED', "hidden_act 'gelu_new' is not supported")
edit_json(d, 'config.json', lambda j: j.update(hidden_act='gelu_new'))
d = case('config_deep_nesting', 'BML_ERR_FORMAT', 'nesting deeper than 256')
open(os.path.join(d, 'config.json'), 'w').write('[' * 100000 + ']' * 100000)
d = case('config_not_object', 'BML_ERR_FORMAT', 'config.json: not a JSON object')
open(os.path.join(d, 'config.json'), 'w').write('[1,2,3]')
# --- pooling / modules ---
d = case('pooling_two_modes', 'BML_ERR_UNSUPPORTED', 'exactly one pooling mode must be true')
edit_json(d, '1_Pooling/config.json', lambda j: j.update(pooling_mode_cls_token=True, pooling_mode_mean_tokens=True))
d = case('pooling_dim_mismatch', 'BML_ERR_FORMAT', 'word_embedding_dimension does not match')
edit_json(d, '1_Pooling/config.json', lambda j: j.update(word_embedding_dimension=hid + 1))
d = case('modules_not_array', 'BML_ERR_FORMAT', 'modules.json: not a JSON array')
open(os.path.join(d, 'modules.json'), 'w').write('{}')
# modules.json is read as sentence-transformers reads it: every module runs,
# so one batchml does not run is an error naming it, never skipped
ST = 'sentence_transformers.models.'
MODS = json.load(open(os.path.join(src, 'modules.json')))[:2]


def set_modules(d, mods):
    json.dump(mods, open(os.path.join(d, 'modules.json'), 'w'), indent=2)


def add_dense(d, k, n_in, n_out, act='torch.nn.modules.activation.Tanh', bias=True, weights=True, cfg=None):
    """A k_Dense folder as sentence-transformers saves it; returns its path."""
    dd = os.path.join(d, f'{k}_Dense')
    os.makedirs(dd, exist_ok=True)
    c = {'in_features': n_in, 'out_features': n_out, 'bias': bias, 'activation_function': act}
    c.update(cfg or {})
    json.dump(c, open(os.path.join(dd, 'config.json'), 'w'))
    if weights:
        rng = np.random.default_rng(k)
        t = {'linear.weight': rng.standard_normal((n_out, n_in)).astype(np.float32) * 0.3}
        if bias:
            t['linear.bias'] = rng.standard_normal(n_out).astype(np.float32) * 0.3
        hdr, off, blob = {}, 0, b''
        for name in sorted(t):
            raw = t[name].astype('<f4').tobytes()
            hdr[name] = {'dtype': 'F32', 'shape': list(t[name].shape), 'data_offsets': [off, off + len(raw)]}
            off += len(raw)
            blob += raw
        write_st(os.path.join(dd, 'model.safetensors'), hdr, blob)
    return dd


def dense_case(name, status, text, n_in=None, n_out=16, then_normalize=True, **kw):
    d = case(name, status, text)
    mods = MODS + [{'idx': 2, 'name': '2', 'path': '2_Dense', 'type': ST + 'Dense'}]
    if then_normalize:
        mods.append({'idx': 3, 'name': '3', 'path': '3_Normalize', 'type': ST + 'Normalize'})
    set_modules(d, mods)
    return d, add_dense(d, 2, hid if n_in is None else n_in, n_out, **kw)


d = case('modules_unknown_type', 'BML_ERR_UNSUPPORTED', "module 2 is 'sentence_transformers.models.LayerNorm'")
set_modules(d, MODS + [{'idx': 2, 'name': '2', 'path': '2_LayerNorm', 'type': ST + 'LayerNorm'}])
d = case('modules_custom_type', 'BML_ERR_UNSUPPORTED', "module 2 is 'my_package.MyHead'")
set_modules(d, MODS + [{'idx': 2, 'name': '2', 'path': '2_MyHead', 'type': 'my_package.MyHead'},
                       {'idx': 3, 'name': '3', 'path': '3_Normalize', 'type': ST + 'Normalize'}])
d = case('modules_pooling_folder_missing', 'BML_ERR_IO', "1_Pooling/config.json: missing (modules.json names the Pooling")
shutil.rmtree(os.path.join(d, '1_Pooling'))
d = case('modules_pooling_renamed', 'OK', 'same:modules_plain:0')
os.rename(os.path.join(d, '1_Pooling'), os.path.join(d, 'pool'))
set_modules(d, [MODS[0], dict(MODS[1], path='pool')])
d = case('modules_plain', 'OK', 'load')
set_modules(d, MODS)
d = case('modules_transformer_path_dot', 'OK', 'same:modules_plain:0')
set_modules(d, [dict(MODS[0], path='.'), MODS[1]])
d = case('modules_pooling_first', 'BML_ERR_UNSUPPORTED', 'the Transformer must be module 0')
set_modules(d, [MODS[1], MODS[0]])
d = case('modules_no_pooling', 'BML_ERR_UNSUPPORTED', 'no Pooling module')
set_modules(d, MODS[:1])
d = case('modules_transformer_subfolder', 'BML_ERR_UNSUPPORTED', "the Transformer module's files are in '0_Transformer'")
set_modules(d, [dict(MODS[0], path='0_Transformer'), MODS[1]])
d = case('modules_pooling_path_escapes', 'BML_ERR_FORMAT', "module 1: bad path '../x'")
set_modules(d, [MODS[0], dict(MODS[1], path='../x')])
d = case('modules_no_type', 'BML_ERR_FORMAT', 'module 2 has no "type" string')
set_modules(d, MODS + [{'idx': 2, 'path': '2_Normalize'}])
d = case('modules_normalize_twice', 'BML_ERR_UNSUPPORTED', 'a second Normalize right after one')
set_modules(d, MODS + [{'idx': 2, 'name': '2', 'path': '2_Normalize', 'type': ST + 'Normalize'},
                       {'idx': 3, 'name': '3', 'path': '3_Normalize', 'type': ST + 'Normalize'}])
# Dense modules (weights in the module's folder)
dense_case('dense_ok', 'OK', 'load')
dense_case('dense_no_bias', 'OK', 'load', bias=False)
dense_case('dense_default_activation', 'OK', 'same:dense_ok:0', cfg={'activation_function': None})
p = os.path.join(out, 'dense_default_activation', '2_Dense', 'config.json')
c = json.load(open(p)); c.pop('activation_function'); json.dump(c, open(p, 'w'))
dense_case('dense_gelu', 'BML_ERR_UNSUPPORTED', 'activation_function "torch.nn.modules.activation.GELU" is not supported',
           act='torch.nn.modules.activation.GELU')
dense_case('dense_activation_number', 'BML_ERR_FORMAT', "field 'activation_function' must be a string", act=3)
dense_case('dense_in_features_mismatch', 'BML_ERR_SHAPE',
           'in_features is %d, but the vector reaching this module has %d values' % (hid - 1, hid), n_in=hid - 1)
dense_case('dense_out_zero', 'BML_ERR_FORMAT', "'out_features' must be an integer", n_out=0)
dense_case('dense_bias_string', 'BML_ERR_FORMAT', "field 'bias' must be true or false", bias='yes', weights=False)
d, dd = dense_case('dense_no_weights', 'BML_ERR_IO', "2_Dense/model.safetensors: missing (the Dense module's weights)",
                   weights=False)
d, dd = dense_case('dense_pytorch_bin_only', 'BML_ERR_UNSUPPORTED', 'pytorch_model.bin: only safetensors weights are read',
                   weights=False)
open(os.path.join(dd, 'pytorch_model.bin'), 'wb').write(b'PK\x03\x04')
d, dd = dense_case('dense_config_missing', 'BML_ERR_IO', '2_Dense/config.json: cannot open')
os.remove(os.path.join(dd, 'config.json'))
d, dd = dense_case('dense_weight_transposed', 'BML_ERR_SHAPE', "tensor 'linear.weight': expected shape [16, %d]" % hid)
h, x = read_st(os.path.join(dd, 'model.safetensors')); h['linear.weight']['shape'] = [hid, 16]
write_st(os.path.join(dd, 'model.safetensors'), h, x)
d, dd = dense_case('dense_bias_missing', 'BML_ERR_FORMAT', "tensor 'linear.bias' is missing")
h, x = read_st(os.path.join(dd, 'model.safetensors')); h.pop('linear.bias')
write_st(os.path.join(dd, 'model.safetensors'), h, x)
d, dd = dense_case('dense_bias_unexpected', 'BML_ERR_FORMAT', "has 'linear.bias' but the module's config.json says bias: false")
p = os.path.join(dd, 'config.json'); c = json.load(open(p)); c['bias'] = False; json.dump(c, open(p, 'w'))
d, dd = dense_case('dense_nan_weight', 'BML_ERR_FORMAT', 'linear.weight')
p = os.path.join(dd, 'model.safetensors'); h, x = read_st(p)
o = h['linear.weight']['data_offsets'][0]
write_st(p, h, x[:o + 8] + struct.pack('<f', float('nan')) + x[o + 12:])
d = case('dense_chain_bad_second', 'BML_ERR_SHAPE', 'in_features is 17, but the vector reaching this module has 16 values')
set_modules(d, MODS + [{'idx': 2, 'name': '2', 'path': '2_Dense', 'type': ST + 'Dense'},
                       {'idx': 3, 'name': '3', 'path': '3_Dense', 'type': ST + 'Dense'}])
add_dense(d, 2, hid, 16); add_dense(d, 3, 17, 8)
# duplicate keys: Python keeps the last, batchml refuses, naming key and offset
d = case('dup_key_config', 'BML_ERR_FORMAT', 'config.json: invalid JSON at byte')
p = os.path.join(d, 'config.json'); t = open(p).read().rstrip().rstrip('}')
open(p, 'w').write(t + ', "hidden_size": %d}' % (hid * 2))
cases[-1] = (cases[-1][0], cases[-1][1], 'duplicate key "hidden_size"')
d = case('dup_key_pooling', 'BML_ERR_FORMAT', 'duplicate key "pooling_mode_cls_token"')
p = os.path.join(d, '1_Pooling', 'config.json'); t = open(p).read().rstrip().rstrip('}')
open(p, 'w').write(t + ', "pooling_mode_cls_token": true}')
d = case('dup_key_modules', 'BML_ERR_FORMAT', 'modules.json: invalid JSON at byte')
open(os.path.join(d, 'modules.json'), 'w').write(
    json.dumps(MODS)[:-1] + ', {"idx": 2, "type": "%sNormalize", "path": "2_Normalize", "type": "x.Y"}]' % ST)
d = case('dup_key_sbert', 'BML_ERR_FORMAT', 'duplicate key "max_seq_length"')
open(os.path.join(d, 'sentence_bert_config.json'), 'w').write('{"max_seq_length": 16, "max_seq_length": 512}')
d = case('dup_key_safetensors_tensor', 'BML_ERR_FORMAT', 'duplicate key "%s"' % q0)
p = os.path.join(d, 'model.safetensors'); h, x = read_st(p)
raw = json.dumps(h, separators=(',', ':'))
entry = '"%s":%s' % (q0, json.dumps(h[q0], separators=(',', ':')))
write_st(p, None, x, raw_header=(raw[:-1] + ',' + entry + '}').encode())
# --- safetensors ---
d = case('st_missing', 'BML_ERR_IO', 'model.safetensors: missing'); os.remove(os.path.join(d, 'model.safetensors'))
d = case('st_5_bytes', 'BML_ERR_FORMAT', 'truncated: 5 bytes')
open(os.path.join(d, 'model.safetensors'), 'wb').write(b'\x10\x00\x00\x00\x00')
d = case('st_header_len_2p63', 'BML_ERR_FORMAT', 'runs past the end of the file')
p = os.path.join(d, 'model.safetensors'); b = open(p, 'rb').read(); open(p, 'wb').write(struct.pack('<Q', 1 << 63) + b[8:])
d = case('st_truncated_half', 'BML_ERR_FORMAT', 'out of range')
p = os.path.join(d, 'model.safetensors'); b = open(p, 'rb').read(); open(p, 'wb').write(b[:len(b) // 2])
d = case('st_header_garbage', 'BML_ERR_FORMAT', 'invalid JSON at byte')
edit_st(d, lambda h, x: None, raw_header=b'{"a":{"dtype":"F32",,}}')
d = case('st_header_not_object', 'BML_ERR_FORMAT', 'header is not a JSON object')
edit_st(d, lambda h, x: None, raw_header=b'[]')


def overlap(h, x):
    ks = tensors(h)
    a, b = h[ks[3]], h[ks[4]]
    n = b['data_offsets'][1] - b['data_offsets'][0]
    b['data_offsets'] = [a['data_offsets'][0], a['data_offsets'][0] + n] if a['data_offsets'][1] - a['data_offsets'][0] >= n else b['data_offsets']
    a['data_offsets'] = [a['data_offsets'][0], a['data_offsets'][0] + n] if b['data_offsets'][0] == a['data_offsets'][0] else a['data_offsets']


d = case('st_overlapping_offsets', 'BML_ERR_FORMAT', 'overlap')


def overlap2(h, x):
    ks = tensors(h)
    # two 1-D tensors of the same size: point the second into the first's bytes
    vec = [k for k in ks if len(h[k]['shape']) == 1]
    a, b = h[vec[0]], h[vec[1]]
    n = b['data_offsets'][1] - b['data_offsets'][0]
    s = a['data_offsets'][0] + 4
    b['data_offsets'] = [s, s + n]


edit_st(d, overlap2)


def overlap_hidden_by_empty(h, x):
    # a overlaps b, with an empty tensor sitting between their starts: a
    # check of neighbours only in begin order would compare a-empty and
    # empty-b and miss a-b
    vec = [k for k in tensors(h) if len(h[k]['shape']) == 1]
    a, b = h[vec[0]], h[vec[1]]
    n = b['data_offsets'][1] - b['data_offsets'][0]
    s = a['data_offsets'][0] + 8
    b['data_offsets'] = [s, s + n]
    h['zz.empty'] = {'dtype': 'F32', 'shape': [0], 'data_offsets': [s - 4, s - 4]}


def empty_inside(h, x):
    a = h[q0]['data_offsets']
    h['zz.empty'] = {'dtype': 'F32', 'shape': [0], 'data_offsets': [a[0] + 8, a[0] + 8]}


d = case('st_overlap_hidden_by_empty_tensor', 'BML_ERR_FORMAT', 'overlap')
edit_st(d, overlap_hidden_by_empty)
d = case('st_empty_tensor_inside_another', 'BML_ERR_FORMAT', 'overlap')
edit_st(d, empty_inside)
d = case('st_empty_tensor_at_boundary', 'OK', 'same:self:0')
edit_st(d, lambda h, x: h.update({'zz.empty': {'dtype': 'F32', 'shape': [0], 'data_offsets': list(h[q0]['data_offsets'][1:]) * 2}}))
d = case('st_offsets_past_end', 'BML_ERR_FORMAT', 'out of range (data buffer is')
edit_st(d, lambda h, x: h[q0].update(data_offsets=[len(x) - 4, len(x) - 4 + 4 * hid * hid]))
d = case('st_offsets_reversed', 'BML_ERR_FORMAT', 'out of range')
edit_st(d, lambda h, x: h[q0].update(data_offsets=[h[q0]['data_offsets'][1], h[q0]['data_offsets'][0]]))
d = case('st_shape_overflow', 'BML_ERR_FORMAT', 'overflow')
edit_st(d, lambda h, x: h[q0].update(shape=[1 << 40, 1 << 40, 1 << 40]))
d = case('st_shape_negative', 'BML_ERR_FORMAT', 'is not a non-negative integer')
edit_st(d, lambda h, x: h[q0].update(shape=[-1, hid]))
d = case('st_bytes_mismatch', 'BML_ERR_FORMAT', 'bytes of data for a F32 tensor')
edit_st(d, lambda h, x: h[q0].update(shape=[hid, hid - 1]))
d = case('st_wrong_shape', 'BML_ERR_SHAPE', "tensor '%s': expected shape [%d, %d], found [%d, %d]" % (q0, hid, hid, hid // 2, hid * 2))
edit_st(d, lambda h, x: h[q0].update(shape=[hid // 2, hid * 2]))
d = case('st_missing_tensor', 'BML_ERR_FORMAT', "tensor 'encoder.layer.1.output.dense.bias' is missing")
edit_st(d, lambda h, x: h.__setitem__('unused.bias', h.pop('encoder.layer.1.output.dense.bias')))
d = case('st_unknown_dtype', 'BML_ERR_FORMAT', "unknown dtype 'F99'")
edit_st(d, lambda h, x: h[q0].update(dtype='F99'))
d = case('st_int_dtype', 'BML_ERR_UNSUPPORTED', 'dtype I32 is not supported')
edit_st(d, lambda h, x: h[q0].update(dtype='I32'))


def poke(value):
    def fn(h, x):
        x = bytearray(x)
        o = h[q0]['data_offsets'][0] + 4 * 7
        x[o:o + 4] = struct.pack('<f', value)
        return h, bytes(x)
    return fn


d = case('st_nan_weight', 'BML_ERR_FORMAT', "'%s': element 7 is NaN" % q0); edit_st(d, poke(float('nan')))
d = case('st_inf_weight', 'BML_ERR_FORMAT', "'%s': element 7 is infinite" % q0); edit_st(d, poke(float('inf')))


# --- variants that must load and give the same embeddings ---
def convert(dtype):
    def fn(h, x):
        parts, off, nh = [], 0, {'__metadata__': h.get('__metadata__', {})}
        for k in tensors(h):
            t = h[k]
            a = np.frombuffer(x[t['data_offsets'][0]:t['data_offsets'][1]], dtype='<f4')
            if dtype == 'F16':
                b = a.astype('<f2').tobytes()
            elif dtype == 'BF16':
                b = (a.view('<u4') >> 16).astype('<u2').tobytes()   # truncation: what the reader must undo exactly
            else:
                b = a.tobytes()
            nh[k] = {'dtype': dtype, 'shape': t['shape'], 'data_offsets': [off, off + len(b)]}
            parts.append(b)
            off += len(b)
        return nh, b''.join(parts)
    return fn


def rounded(dtype):
    def fn(h, x):
        x = bytearray(x)
        for k in tensors(h):
            t = h[k]
            s, e = t['data_offsets']
            a = np.frombuffer(bytes(x[s:e]), dtype='<f4')
            if dtype == 'F16':
                a = a.astype('<f2').astype('<f4')
            else:
                a = ((a.view('<u4') >> 16) << 16).view('<f4')
            x[s:e] = a.astype('<f4').tobytes()
        return h, bytes(x)
    return fn


for dt in ('F16', 'BF16'):
    d = case('ref_f32_as_' + dt.lower(), 'OK', 'load'); edit_st(d, rounded(dt))
    d = case('variant_' + dt.lower(), 'OK', 'same:ref_f32_as_%s:1e-6' % dt.lower()); edit_st(d, convert(dt))
d = case('variant_bert_prefix', 'OK', 'same:self:0')
edit_st(d, lambda h, x: ({('bert.' + k if k != '__metadata__' else k): v for k, v in h.items()}, x))
d = case('variant_position_ids_i64', 'OK', 'same:self:0')


def add_i64(h, x):
    n = 512
    h['embeddings.position_ids'] = {'dtype': 'I64', 'shape': [1, n], 'data_offsets': [len(x), len(x) + 8 * n]}
    return h, x + np.arange(n, dtype='<i8').tobytes()


edit_st(d, add_i64)
d = case('variant_misaligned_data', 'OK', 'same:self:0')
edit_st(d, lambda h, x: None, pad_to=0)   # header length not a multiple of 4: data must be copied, not cast


# --- sizes far over the limits, written sparse (no disk, no time): the
# loader must refuse them by size before reading or allocating them ---
GIB = 1 << 30
d = case('st_header_1gib', 'BML_ERR_FORMAT', 'is over the 104857600-byte limit')
with open(os.path.join(d, 'model.safetensors'), 'wb') as f:
    f.write(struct.pack('<Q', GIB) + b'{"a":"')
    f.truncate(8 + GIB + 16)
d = case('config_1gib_string', 'BML_ERR_NOMEM', 'larger than the 1048576-byte limit')
with open(os.path.join(d, 'config.json'), 'wb') as f:
    f.write(b'{"hidden_size":"')
    f.truncate(GIB + 1)
d = case('st_truncated_in_header', 'BML_ERR_FORMAT', 'runs past the end of the file')
p = os.path.join(d, 'model.safetensors'); b = open(p, 'rb').read(); open(p, 'wb').write(b[:8 + 100])

# ======================================================================
# Tokenizer files (OUT/files/NAME: just the tokenizer files of SRC, one
# thing broken), a few more safetensors headers, and overlay head files
# (OUT/head/NAME.json), checked by tests/hostile_loader.c with an allocator
# that records every request and refuses any that would take the process
# over 192 MiB live (so a case that needs more shows up, cheaply):
#   expect_files.tsv: name  how(tok|model|st)  status  text
#   expect_head.tsv:  name  kind(value|policy:K)  status  text
# 'tok' loads the directory with bml_tokenizer_load; 'model' copies SRC
# whole and loads it with its tokenizer (the error must come through);
# 'st' opens NAME/model.safetensors alone (bml__st_open).
# ======================================================================
tok_cases, head_cases = [], []
TOKFILES = ('vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json')


def tcase(name, status, text, how='tok', keep_json=True):
    d = os.path.join(out, 'files', name)
    if os.path.exists(d):
        shutil.rmtree(d)
    if how == 'st':
        os.makedirs(d)
    elif how == 'model':
        shutil.copytree(src, d)
    else:
        os.makedirs(d)
        for fn in TOKFILES:
            if os.path.exists(os.path.join(src, fn)):
                shutil.copy(os.path.join(src, fn), d)
    if not keep_json and how != 'st':
        os.remove(os.path.join(d, 'tokenizer.json'))
    tok_cases.append((name, how, status, text))
    return d


vocab = open(os.path.join(src, 'vocab.txt'), encoding='utf-8').read().split('\n')
if vocab and vocab[-1] == '':
    vocab.pop()
tj = json.load(open(os.path.join(src, 'tokenizer.json')))


def write_vocab(d, lines, tail='\n'):
    open(os.path.join(d, 'vocab.txt'), 'w', encoding='utf-8', newline='').write('\n'.join(lines) + tail)


def edit_tok(d, fn):
    t = json.loads(json.dumps(tj))
    r = fn(t)
    json.dump(r if r is not None else t, open(os.path.join(d, 'tokenizer.json'), 'w'))


# vocab.txt (no tokenizer.json: the directory falls back to vocab.txt)
i_the = vocab.index('the')
d = tcase('vocab_duplicate_line', 'BML_ERR_FORMAT', "vocab.txt line 2001: duplicate token 'the' (first at line %d)" % (i_the + 1), keep_json=False)
write_vocab(d, vocab[:2000] + ['the'] + vocab[2001:])
d = tcase('vocab_duplicate_via_trailing_space', 'BML_ERR_FORMAT', "vocab.txt line 3001: duplicate token 'the'", keep_json=False)
write_vocab(d, vocab[:3000] + ['the \t'] + vocab[3001:])
d = tcase('vocab_empty_line', 'BML_ERR_FORMAT', 'vocab.txt line 1001: empty token', keep_json=False)
write_vocab(d, vocab[:1000] + [''] + vocab[1001:])
d = tcase('vocab_blank_line', 'BML_ERR_FORMAT', 'vocab.txt line 1001: empty token', keep_json=False)
write_vocab(d, vocab[:1000] + ['  \u3000'] + vocab[1001:])
d = tcase('vocab_two_empty_lines', 'BML_ERR_FORMAT', 'vocab.txt line 501: empty token', keep_json=False)
write_vocab(d, vocab[:500] + ['', ''] + vocab[502:])
d = tcase('vocab_crlf', 'OK', 'same:vocab_ok', keep_json=False)
open(os.path.join(d, 'vocab.txt'), 'w', encoding='utf-8', newline='').write('\r\n'.join(vocab) + '\r\n')
d = tcase('vocab_ok', 'OK', 'load', keep_json=False)
d = tcase('vocab_no_trailing_newline', 'OK', 'same:vocab_ok', keep_json=False)
write_vocab(d, vocab, tail='')
d = tcase('vocab_invalid_utf8', 'BML_ERR_FORMAT', 'vocab.txt line 5001: invalid UTF-8 at byte 2', keep_json=False)
p = os.path.join(d, 'vocab.txt')
bl = open(p, 'rb').read().split(b'\n')
bl[5000] = b'ab\xff\xfe'
open(p, 'wb').write(b'\n'.join(bl))
d = tcase('vocab_no_unk', 'BML_ERR_FORMAT', "unk_token '[UNK]' is not in the vocabulary", keep_json=False)
write_vocab(d, [w if w != '[UNK]' else '[UNKNOWN]' for w in vocab])
d = tcase('vocab_empty_file', 'BML_ERR_FORMAT', 'vocab.txt', keep_json=False)
open(os.path.join(d, 'vocab.txt'), 'w').write('')
d = tcase('vocab_1gib', 'BML_ERR_NOMEM', 'larger than the', keep_json=False)
with open(os.path.join(d, 'vocab.txt'), 'wb') as f:
    f.write('\n'.join(vocab[:200]).encode() + b'\nx')
    f.truncate(GIB + 1)
d = tcase('special_map_cls_missing', 'BML_ERR_FORMAT', "cls_token '[NOPE]' is not in the vocabulary", keep_json=False)
json.dump({"cls_token": "[NOPE]"}, open(os.path.join(d, 'special_tokens_map.json'), 'w'))
d = tcase('tokenizer_config_truncated', 'BML_ERR_FORMAT', 'tokenizer_config.json: invalid JSON at byte', keep_json=False)
p = os.path.join(d, 'tokenizer_config.json'); b = open(p, 'rb').read(); open(p, 'wb').write(b[:len(b) // 2])
d = tcase('tokenizer_config_added_bad_key', 'BML_ERR_FORMAT', "added_tokens_decoder['abc'] is malformed", keep_json=False)
json.dump({"do_lower_case": True, "added_tokens_decoder": {"abc": {"content": "[X]"}}},
          open(os.path.join(d, 'tokenizer_config.json'), 'w'))
d = tcase('model_vocab_duplicate', 'BML_ERR_FORMAT', "vocab.txt line 2001: duplicate token 'the'", how='model', keep_json=False)
write_vocab(d, vocab[:2000] + ['the'] + vocab[2001:])

# tokenizer.json
d = tcase('tokjson_ok', 'OK', 'load')
d = tcase('tokjson_dup_key_vocab', 'BML_ERR_FORMAT', 'duplicate key "the"')
p = os.path.join(d, 'tokenizer.json'); t = open(p, encoding='utf-8').read()
i = t.index('"the":')
open(p, 'w', encoding='utf-8').write(t[:i] + '"the":7,' + t[i:])
d = tcase('tokjson_dup_key_model', 'BML_ERR_FORMAT', 'duplicate key "unk_token"')
edit_tok(d, lambda t: None)
p = os.path.join(d, 'tokenizer.json'); t = open(p, encoding='utf-8').read()
i = t.index('"unk_token":')
open(p, 'w', encoding='utf-8').write(t[:i] + '"unk_token":"[SEP]",' + t[i:])
d = tcase('tokenizer_config_dup_key', 'BML_ERR_FORMAT', 'duplicate key "do_lower_case"', keep_json=False)
open(os.path.join(d, 'tokenizer_config.json'), 'w').write('{"do_lower_case": true, "do_lower_case": false}')
d = tcase('tokjson_truncated', 'BML_ERR_FORMAT', 'tokenizer.json: invalid JSON at byte')
p = os.path.join(d, 'tokenizer.json'); b = open(p, 'rb').read(); open(p, 'wb').write(b[:len(b) // 3])
d = tcase('tokjson_deep_nesting', 'BML_ERR_FORMAT', 'nesting deeper than 256')
open(os.path.join(d, 'tokenizer.json'), 'w').write('{"model":' + '[' * 100000 + ']' * 100000 + '}')
d = tcase('tokjson_1gib_string', 'BML_ERR_NOMEM', 'larger than the')
with open(os.path.join(d, 'tokenizer.json'), 'wb') as f:
    f.write(b'{"model":{"type":"WordPiece","vocab":{"')
    f.truncate(GIB + 1)
d = tcase('tokjson_bpe', 'BML_ERR_UNSUPPORTED', "model.type 'BPE' is not supported")
edit_tok(d, lambda t: t['model'].update(type='BPE'))
d = tcase('tokjson_vocab_array', 'BML_ERR_FORMAT', 'model.vocab must be an object')
edit_tok(d, lambda t: t['model'].update(vocab=list(t['model']['vocab'])))
d = tcase('tokjson_negative_id', 'BML_ERR_FORMAT', "model.vocab['the'] is not an id")
edit_tok(d, lambda t: t['model']['vocab'].update({'the': -1}))
d = tcase('tokjson_fractional_id', 'BML_ERR_FORMAT', "model.vocab['the'] is not an id")
edit_tok(d, lambda t: t['model']['vocab'].update({'the': 1996.5}))
d = tcase('tokjson_id_twice', 'BML_ERR_FORMAT', 'is given to two tokens')
edit_tok(d, lambda t: t['model']['vocab'].update({'the': t['model']['vocab']['a']}))
d = tcase('tokjson_no_unk', 'BML_ERR_FORMAT', "model.unk_token '[NOPE]' is not in the vocabulary")
edit_tok(d, lambda t: t['model'].update(unk_token='[NOPE]'))
d = tcase('tokjson_pre_tokenizer', 'BML_ERR_UNSUPPORTED', 'pre_tokenizer must be BertPreTokenizer')
edit_tok(d, lambda t: t.update(pre_tokenizer={"type": "Whitespace"}))
d = tcase('tokjson_normalizer', 'BML_ERR_UNSUPPORTED', "normalizer 'NFKC' is not supported")
edit_tok(d, lambda t: t.update(normalizer={"type": "NFKC"}))
d = tcase('tokjson_added_normalized', 'BML_ERR_UNSUPPORTED', 'added tokens are not supported')
edit_tok(d, lambda t: t['added_tokens'][0].update(normalized=True))
d = tcase('tokjson_added_fractional_id', 'BML_ERR_FORMAT', 'added_tokens[0] needs a content string and an id')
edit_tok(d, lambda t: t['added_tokens'][0].update(id=0.5))
d = tcase('tokjson_template_undefined', 'BML_ERR_FORMAT', "special token '[FOO]' not defined")
edit_tok(d, lambda t: t['post_processor']['single'][0]['SpecialToken'].update(id='[FOO]'))
d = tcase('tokjson_template_unknown_id', 'BML_ERR_FORMAT', 'post_processor uses id 999999, which no token has')
edit_tok(d, lambda t: t['post_processor']['special_tokens']['[CLS]'].update(ids=[999999]))
d = tcase('tokjson_template_17_items', 'BML_ERR_UNSUPPORTED', 'has more than 16 items')
edit_tok(d, lambda t: t['post_processor'].update(single=t['post_processor']['single'] * 6))
d = tcase('tokjson_bertprocessing_huge_id', 'BML_ERR_FORMAT', 'post_processor')
edit_tok(d, lambda t: t.update(post_processor={"type": "BertProcessing", "sep": ["[SEP]", 1e300], "cls": ["[CLS]", 101]}))
d = tcase('tokjson_bertprocessing_negative_id', 'BML_ERR_FORMAT', 'post_processor')
edit_tok(d, lambda t: t.update(post_processor={"type": "BertProcessing", "sep": ["[SEP]", 102], "cls": ["[CLS]", -5]}))
d = tcase('tokjson_decoder', 'BML_ERR_UNSUPPORTED', "decoder 'ByteLevel' is not supported")
edit_tok(d, lambda t: t.update(decoder={"type": "ByteLevel"}))
# millions of tiny values: the reader's DOM costs ~64 bytes per value, so a
# few MB of "0," must be refused by a value budget, not parsed into GBs
d = tcase('tokjson_3m_values', 'BML_ERR_FORMAT', 'values')
open(os.path.join(d, 'tokenizer.json'), 'w').write('{"truncation":[' + '0,' * 3000000 + '0],' + json.dumps(tj)[1:])
d = tcase('st_header_3m_values', 'BML_ERR_FORMAT', 'values', how='st')
hb = b'{"a":{"dtype":"F32","shape":[' + b'0,' * 3000000 + b'0],"data_offsets":[0,0]}}'
open(os.path.join(d, 'model.safetensors'), 'wb').write(struct.pack('<Q', len(hb)) + hb)
d = tcase('st_ok', 'OK', 'load', how='st')
shutil.copy(os.path.join(src, 'model.safetensors'), d)
d = tcase('model_tokjson_bpe', 'BML_ERR_UNSUPPORTED', "model.type 'BPE' is not supported", how='model')
edit_tok(d, lambda t: t['model'].update(type='BPE'))

# overlay head files (the model is SRC: hidden = hid)
os.makedirs(os.path.join(out, 'head'), exist_ok=True)


def hcase(name, kind, status, text, content):
    p = os.path.join(out, 'head', name + '.json')
    if content is not None:
        open(p, 'w').write(content)
    head_cases.append((name, kind, status, text))


w = [round(0.01 * i, 3) for i in range(hid)]
hcase('value_ok', 'value', 'OK', 'load', json.dumps({"weight": w, "bias": 0.5}))
hcase('policy_ok', 'policy:2', 'OK', 'load', json.dumps({"weight": [w, w[::-1], w], "bias": [0, 1, 2]}))
hcase('value_short', 'value', 'BML_ERR_SHAPE', "weight has %d values, the model's embedding size is %d" % (hid - 1, hid),
      json.dumps({"weight": w[1:], "bias": 0}))
hcase('value_inf', 'value', 'BML_ERR_FORMAT', 'weight[3] is not a finite number',
      '{"weight": [' + ', '.join('1e999' if i == 3 else json.dumps(x) for i, x in enumerate(w)) + '], "bias": 0}')
hcase('value_string', 'value', 'BML_ERR_FORMAT', 'weight[0] is not a finite number', json.dumps({"weight": ["0"] + w[1:], "bias": 0}))
hcase('value_no_bias', 'value', 'BML_ERR_FORMAT', 'bias must be a finite number', json.dumps({"weight": w}))
hcase('value_not_object', 'value', 'BML_ERR_FORMAT', 'weight must be an array', '[1, 2, 3]')
hcase('value_truncated', 'value', 'BML_ERR_FORMAT', 'invalid JSON at byte', json.dumps({"weight": w, "bias": 0})[:40])
hcase('value_deep_nesting', 'value', 'BML_ERR_FORMAT', 'nesting deeper than 256', '[' * 5000 + ']' * 5000)
hcase('value_empty_file', 'value', 'BML_ERR_FORMAT', 'invalid JSON at byte 0', '')
hcase('policy_k_out_of_range', 'policy:3', 'BML_ERR_OUT_OF_RANGE', 'class K must be an integer in 0..2',
      json.dumps({"weight": [w, w, w], "bias": [0, 0, 0]}))
hcase('policy_k_negative', 'policy:-1', 'BML_ERR_OUT_OF_RANGE', 'class K must be an integer in 0..2',
      json.dumps({"weight": [w, w, w], "bias": [0, 0, 0]}))
hcase('policy_bias_short', 'policy:0', 'BML_ERR_SHAPE', 'bias must be an array of 3 numbers',
      json.dumps({"weight": [w, w, w], "bias": [0, 0]}))
hcase('policy_row_short', 'policy:0', 'BML_ERR_SHAPE', 'weight[1] has %d values' % (hid - 2),
      json.dumps({"weight": [w, w[2:], w], "bias": [0, 0, 0]}))
hcase('policy_bias_nan', 'policy:0', 'BML_ERR_FORMAT', 'bias[2] is not a finite number',
      json.dumps({"weight": [w, w, w], "bias": [0, 0, "x"]}))
hcase('policy_empty_weight', 'policy:0', 'BML_ERR_FORMAT', 'weight must be an array of C arrays',
      json.dumps({"weight": [], "bias": []}))
# 200000 empty rows (1 MB of file): the rows must be checked before
# C x hidden doubles are allocated for them (the reader's own DOM is ~13 MB)
hcase('policy_many_empty_rows', 'policy:0', 'BML_ERR_SHAPE', 'weight[0] has 0 values',
      '{"weight":[' + ','.join(['[]'] * 200000) + '],"bias":[' + ','.join(['0'] * 200000) + ']}')
hcase('head_1gib_string', 'value', 'BML_ERR_NOMEM', 'larger than the', None)
p = os.path.join(out, 'head', 'head_1gib_string.json')
with open(p, 'wb') as f:
    f.write(b'{"weight":"')
    f.truncate(GIB + 1)

with open(os.path.join(out, 'expect_files.tsv'), 'w') as f:
    for c in tok_cases:
        f.write('\t'.join(c) + '\n')
with open(os.path.join(out, 'expect_head.tsv'), 'w') as f:
    for c in head_cases:
        f.write('\t'.join(c) + '\n')
print(f'{len(tok_cases)} file cases, {len(head_cases)} head cases', file=sys.stderr)

with open(os.path.join(out, 'expect.tsv'), 'w') as f:
    for c in cases:
        f.write('\t'.join(c) + '\n')
print(f'{len(cases)} cases in {out}', file=sys.stderr)
