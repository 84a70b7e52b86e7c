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

with open(os.path.join(out, 'expect.tsv'), 'w') as f:
    for c in cases:
        f.write('\t'.join(c) + '\n')
print(f'{len(cases)} cases in {out}', file=sys.stderr)
