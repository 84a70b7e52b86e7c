"""bml_model.py -- shared helpers for batchml's Python reference oracles.

Not run directly; imported by tests/ref/torch_ref.py, torch_overlay_ref.py,
make_test_model.py and bench/peers/*.py.  Needs only /usr/bin/python3 with
Debian's python3-torch (1.13) and python3-numpy (no safetensors/transformers).

What it provides:
  * read_safetensors / write_safetensors: the safetensors format by hand
    (u64 LE header length, JSON header, raw data buffer); F32/F16/BF16/F64
    read (all converted to float32 or float64 numpy arrays).
  * load_model(dir, dtype): a sentence-transformers BERT directory exactly as
    Hugging Face saves all-MiniLM-L6-v2 (config.json, model.safetensors,
    1_Pooling/config.json, modules.json) -> BertRef holding torch tensors;
    tensor names with or without a leading "bert." are accepted.
  * BertRef.encode / pool / embed: HF BertModel forward with torch's own
    math (F.embedding, F.layer_norm, F.linear, F.gelu exact erf, softmax),
    post-LN residuals, padding mask, then sentence-transformers pooling
    (mean / cls / max / mean_sqrt_len, concatenated in ST order if several are
    true) and optional L2 normalisation (F.normalize, eps 1e-12).

OPENBLAS_CORETYPE: torch's OpenBLAS uses Haswell kernels on this AMD CPU
unless OPENBLAS_CORETYPE=SkylakeX is set before OpenBLAS loads (about 2x
for GEMMs; this machine's environment sets OPENBLAS_CORETYPE=Haswell).
Importing this module sets OPENBLAS_CORETYPE=SkylakeX on AVX-512 CPUs
(override with BML_OPENBLAS_CORETYPE=...), so import it before numpy/torch.
"""
import json
import os
import struct
import sys


def setup_openblas():
    """Select OpenBLAS's SkylakeX kernels on AVX-512 CPUs (this machine's
    environment sets OPENBLAS_CORETYPE=Haswell globally; SkylakeX is ~2x
    faster for GEMMs).  BML_OPENBLAS_CORETYPE, if set, wins.  OpenBLAS reads
    the variable once, when it is loaded -- by `import numpy` or
    `import torch`, whichever comes first -- so this module calls it at import
    time, before importing numpy; import bml_model before numpy/torch."""
    want = os.environ.get('BML_OPENBLAS_CORETYPE')
    if not want:
        try:
            with open('/proc/cpuinfo') as f:
                if 'avx512f' in f.read():
                    want = 'SkylakeX'
        except OSError:
            pass
    if want:
        os.environ['OPENBLAS_CORETYPE'] = want


def tune_process():
    """For CLI scripts, called first thing: re-executes the script once with
    glibc malloc tuned to keep big freed blocks (torch allocates/frees tens of
    MB per op; with default glibc settings every one is a fresh mmap and
    page-faults -- measured 1.3-2x slower here).  No-op on the second pass
    or when BML_NO_REEXEC=1."""
    if os.environ.get('BML_TUNED') or os.environ.get('BML_NO_REEXEC'):
        return
    env = dict(os.environ)
    env['BML_TUNED'] = '1'
    env.setdefault('MALLOC_MMAP_THRESHOLD_', '33554432')  # glibc's maximum
    env.setdefault('MALLOC_TRIM_THRESHOLD_', '1073741824')
    env.setdefault('MALLOC_TOP_PAD_', '268435456')
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


if 'numpy' in sys.modules or 'torch' in sys.modules:
    print('bml_model: warning: numpy/torch imported before bml_model; '
          'OPENBLAS_CORETYPE not applied', file=sys.stderr)
setup_openblas()

import numpy as np  # noqa: E402  (after setup_openblas on purpose)


# ---------------------------------------------------------------- safetensors

_ST_DTYPES = {
    'F64': np.float64, 'F32': np.float32, 'F16': np.float16,
    'I64': np.int64, 'I32': np.int32, 'I16': np.int16, 'I8': np.int8,
    'U8': np.uint8, 'BOOL': np.bool_,
}


def read_safetensors(path):
    """Returns (dict name -> numpy array, metadata dict or None).
    F16 and BF16 tensors are converted to float32."""
    with open(path, 'rb') as f:
        buf = f.read()
    if len(buf) < 8:
        raise ValueError(f'{path}: too short for a safetensors file')
    (n,) = struct.unpack('<Q', buf[:8])
    if n > len(buf) - 8:
        raise ValueError(f'{path}: header length {n} past end of file')
    header = json.loads(buf[8:8 + n].decode('utf-8'))
    data = memoryview(buf)[8 + n:]
    meta = header.pop('__metadata__', None)
    out = {}
    for name, info in header.items():
        dt = info['dtype']
        shape = tuple(int(s) for s in info['shape'])
        b, e = (int(x) for x in info['data_offsets'])
        if not (0 <= b <= e <= len(data)):
            raise ValueError(f'{path}: tensor {name} offsets out of range')
        raw = bytes(data[b:e])
        count = int(np.prod(shape)) if shape else 1
        if dt == 'BF16':
            if e - b != 2 * count:
                raise ValueError(f'{path}: tensor {name} size mismatch')
            u16 = np.frombuffer(raw, dtype='<u2').astype(np.uint32)
            arr = (u16 << 16).view(np.float32)
        else:
            if dt not in _ST_DTYPES:
                raise ValueError(f'{path}: tensor {name}: unsupported dtype {dt}')
            npdt = np.dtype(_ST_DTYPES[dt]).newbyteorder('<')
            if e - b != npdt.itemsize * count:
                raise ValueError(f'{path}: tensor {name} size mismatch')
            arr = np.frombuffer(raw, dtype=npdt)
            if dt == 'F16':
                arr = arr.astype(np.float32)
        out[name] = arr.reshape(shape).copy()
    return out, meta


def write_safetensors(path, tensors, metadata=None, dtype='F32'):
    """tensors: dict name -> numpy array (floats written as `dtype`:
    F32, F16, BF16 or F64).  Tensors are laid out in sorted name order,
    8-byte aligned header, as the reference implementation does."""
    header = {}
    blobs = []
    off = 0
    for name in sorted(tensors):
        a = np.asarray(tensors[name])
        if dtype == 'BF16':
            u32 = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)
            # round to nearest even
            u32 = u32 + 0x7FFF + ((u32 >> 16) & 1)
            raw = (u32 >> 16).astype('<u2').tobytes()
        else:
            npdt = {'F32': '<f4', 'F16': '<f2', 'F64': '<f8'}[dtype]
            raw = np.ascontiguousarray(a, dtype=npdt).tobytes()
        header[name] = {'dtype': dtype, 'shape': list(a.shape),
                        'data_offsets': [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    if metadata is not None:
        header['__metadata__'] = metadata
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for raw in blobs:
            f.write(raw)


# ---------------------------------------------------------------- model

POOL_ORDER = ['pooling_mode_cls_token', 'pooling_mode_max_tokens',
              'pooling_mode_mean_tokens', 'pooling_mode_mean_sqrt_len_tokens']
POOL_NAMES = {'pooling_mode_cls_token': 'cls', 'pooling_mode_max_tokens': 'max',
              'pooling_mode_mean_tokens': 'mean',
              'pooling_mode_mean_sqrt_len_tokens': 'mean_sqrt_len'}


ST = 'sentence_transformers.models.'


def _load_json(path):
    """json.load that refuses duplicate keys (Python would keep the last;
    batchml refuses, so a reference that silently agreed with either would
    hide the difference)."""
    def pairs(kv):
        d = {}
        for k, v in kv:
            if k in d:
                raise ValueError(f'{path}: duplicate key {k!r}')
            d[k] = v
        return d
    with open(path, encoding='utf-8') as f:
        return json.load(f, object_pairs_hook=pairs)


def _import_dotted(name):
    """'torch.nn.modules.activation.Tanh' -> an instance of that class, as
    sentence-transformers' import_from_string + call does."""
    import importlib
    mod, _, cls = name.rpartition('.')
    if not mod:
        raise ValueError(f'activation_function {name!r} is not a dotted class name')
    return getattr(importlib.import_module(mod), cls)()


def read_dense(model_dir, path, width):
    """A sentence_transformers.models.Dense folder -> ('dense', W [out,in]
    float64 numpy, b [out] or None, activation callable, out_features)."""
    d = os.path.join(model_dir, path)
    cfg = _load_json(os.path.join(d, 'config.json'))
    fin, fout = int(cfg['in_features']), int(cfg['out_features'])
    if fin != width:
        raise ValueError(f'{d}: in_features {fin} but the vector entering it has {width}')
    act = _import_dotted(cfg.get('activation_function', 'torch.nn.modules.activation.Tanh'))
    bias = bool(cfg.get('bias', True))
    st = os.path.join(d, 'model.safetensors')
    if os.path.exists(st):
        w, _ = read_safetensors(st)
    else:
        import torch
        w = {k: v.numpy() for k, v in torch.load(os.path.join(d, 'pytorch_model.bin'),
                                                  map_location='cpu').items()}
    W = np.asarray(w['linear.weight'], dtype=np.float64)
    if W.shape != (fout, fin):
        raise ValueError(f'{d}: linear.weight shape {W.shape} != {(fout, fin)}')
    b = None
    if bias:
        b = np.asarray(w['linear.bias'], dtype=np.float64)
        if b.shape != (fout,):
            raise ValueError(f'{d}: linear.bias shape {b.shape} != {(fout,)}')
    return ('dense', W, b, act, fout)


def read_st_config(model_dir, H):
    """-> (pooling modes list in ST order, head steps, embedding size).
    The head is what follows Pooling in modules.json, in order:
    ('dense', W, b, act, out) and ('normalize',).  Module types other than
    Transformer, Pooling, Dense and Normalize are refused, as is a module
    order sentence-transformers would not run as an encoder."""
    mpath = os.path.join(model_dir, 'modules.json')
    modules = _load_json(mpath) if os.path.exists(mpath) else None
    pool_dir = '1_Pooling'
    head = []
    if modules:
        types = [m.get('type', '') for m in modules]
        if len(types) < 2 or types[0] != ST + 'Transformer' or types[1] != ST + 'Pooling':
            raise ValueError(f'{mpath}: want Transformer then Pooling first, got {types}')
        pool_dir = modules[1].get('path', '')
    ppath = os.path.join(model_dir, pool_dir, 'config.json')
    modes = ['mean']
    if os.path.exists(ppath):
        pc = _load_json(ppath)
        for k in ('pooling_mode_weightedmean_tokens', 'pooling_mode_lasttoken'):
            if pc.get(k):
                raise ValueError(f'{ppath}: {k} not supported')
        modes = [POOL_NAMES[k] for k in POOL_ORDER if pc.get(k)]
        if not modes:
            raise ValueError(f'{ppath}: no pooling mode set')
    elif modules:
        raise ValueError(f'{ppath}: missing (modules.json names it)')
    width = H * len(modes)
    for m in (modules or [])[2:]:
        t = m.get('type', '')
        if t == ST + 'Dense':
            step = read_dense(model_dir, m.get('path', ''), width)
            width = step[4]
            head.append(step)
        elif t == ST + 'Normalize':
            head.append(('normalize',))
        else:
            raise ValueError(f'{mpath}: module type {t!r} not supported by this reference')
    return modes, head, width


class BertRef:
    """HF BertModel + ST pooling/normalize with torch ops, in self.dtype."""

    def __init__(self, model_dir, dtype=None):
        import torch
        self.torch = torch
        dtype = dtype or torch.float64
        self.dtype = dtype
        cfg = _load_json(os.path.join(model_dir, 'config.json'))
        self.cfg = cfg
        self.H = int(cfg['hidden_size'])
        self.nl = int(cfg['num_hidden_layers'])
        self.A = int(cfg['num_attention_heads'])
        self.I = int(cfg['intermediate_size'])
        self.V = int(cfg['vocab_size'])
        self.P = int(cfg.get('max_position_embeddings', 512))
        self.eps = float(cfg.get('layer_norm_eps', 1e-12))
        self.act = cfg.get('hidden_act', 'gelu')
        if self.act not in ('gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu'):
            raise ValueError(f'hidden_act {self.act} not supported')
        if self.H % self.A:
            raise ValueError('hidden_size not divisible by num_attention_heads')
        raw, _ = read_safetensors(os.path.join(model_dir, 'model.safetensors'))
        w = {}
        for k, v in raw.items():
            kk = k[5:] if k.startswith('bert.') else k
            w[kk] = torch.from_numpy(np.asarray(v, dtype=np.float64)).to(dtype)
        self.w = w
        H, I = self.H, self.I

        def need(name, shape):
            if name not in w:
                raise ValueError(f'missing tensor {name}')
            if tuple(w[name].shape) != tuple(shape):
                raise ValueError(f'tensor {name}: shape {tuple(w[name].shape)} != {shape}')
            return w[name]
        self.word = need('embeddings.word_embeddings.weight', (self.V, H))
        self.pos = need('embeddings.position_embeddings.weight', (self.P, H))
        self.type = w['embeddings.token_type_embeddings.weight']
        if self.type.dim() != 2 or self.type.shape[1] != H:
            raise ValueError('bad token_type_embeddings shape')
        self.eln_w = need('embeddings.LayerNorm.weight', (H,))
        self.eln_b = need('embeddings.LayerNorm.bias', (H,))
        self.layers = []
        for i in range(self.nl):
            p = f'encoder.layer.{i}.'
            L = {}
            for nm, shp in [('attention.self.query', (H, H)), ('attention.self.key', (H, H)),
                            ('attention.self.value', (H, H)), ('attention.output.dense', (H, H)),
                            ('intermediate.dense', (I, H)), ('output.dense', (H, I))]:
                L[nm + '.weight'] = need(p + nm + '.weight', shp)
                L[nm + '.bias'] = need(p + nm + '.bias', (shp[0],))
            for nm in ('attention.output.LayerNorm', 'output.LayerNorm'):
                L[nm + '.weight'] = need(p + nm + '.weight', (H,))
                L[nm + '.bias'] = need(p + nm + '.bias', (H,))
            self.layers.append(L)
        self.model_dir = model_dir
        self.pool_modes, head, self.D = read_st_config(model_dir, H)
        self.normalize = any(st[0] == 'normalize' for st in head)
        self.head = []
        for st in head:
            if st[0] == 'dense':
                b = None if st[2] is None else torch.from_numpy(st[2]).to(dtype)
                self.head.append(('dense', torch.from_numpy(st[1]).to(dtype), b, st[3]))
            else:
                self.head.append(st)

    # -- pieces
    def _act(self, x):
        F = self.torch.nn.functional
        if self.act == 'gelu':
            if x.dtype == self.torch.float64:
                # Same formula as F.gelu (exact): x/2 (1 + erf(x/sqrt 2)).
                # Torch 1.13's F.gelu has no vectorized float64 kernel
                # (~30 M elem/s/core vs ~100 for torch.erf); this is 3x faster.
                return x * 0.5 * (1.0 + self.torch.erf(x * 0.7071067811865476))
            return F.gelu(x)
        if self.act == 'relu':
            return F.relu(x)
        return F.gelu(x, approximate='tanh')

    def word_rows(self, ids):
        """ids: LongTensor [B,L] -> word-embedding rows [B,L,H]."""
        return self.torch.nn.functional.embedding(ids, self.word)

    def encode_from_rows(self, x, mask=None):
        """x: word-embedding rows [B,L,H] (may require grad); mask: [B,L]
        0/1 or None (attend to everything).  Returns last hidden [B,L,H]."""
        torch = self.torch
        F = torch.nn.functional
        B, L, H = x.shape
        if L > self.P:
            raise ValueError(f'sequence length {L} > max_position_embeddings {self.P}')
        A = self.A
        dh = H // A
        h = x + self.pos[:L].unsqueeze(0) + self.type[0].view(1, 1, H)
        h = F.layer_norm(h, (H,), self.eln_w, self.eln_b, self.eps)
        if mask is not None:
            add = (1.0 - mask.to(h.dtype)).view(B, 1, 1, L) * torch.finfo(h.dtype).min
        scale = 1.0 / (dh ** 0.5)
        for Lw in self.layers:
            q = F.linear(h, Lw['attention.self.query.weight'], Lw['attention.self.query.bias'])
            k = F.linear(h, Lw['attention.self.key.weight'], Lw['attention.self.key.bias'])
            v = F.linear(h, Lw['attention.self.value.weight'], Lw['attention.self.value.bias'])
            q = q.view(B, L, A, dh).transpose(1, 2)
            k = k.view(B, L, A, dh).transpose(1, 2)
            v = v.view(B, L, A, dh).transpose(1, 2)
            s = torch.matmul(q, k.transpose(-1, -2)) * scale
            if mask is not None:
                s = s + add
            p = torch.softmax(s, dim=-1)
            c = torch.matmul(p, v).transpose(1, 2).reshape(B, L, H)
            a = F.linear(c, Lw['attention.output.dense.weight'], Lw['attention.output.dense.bias'])
            h = F.layer_norm(a + h, (H,), Lw['attention.output.LayerNorm.weight'],
                             Lw['attention.output.LayerNorm.bias'], self.eps)
            m = self._act(F.linear(h, Lw['intermediate.dense.weight'], Lw['intermediate.dense.bias']))
            o = F.linear(m, Lw['output.dense.weight'], Lw['output.dense.bias'])
            h = F.layer_norm(o + h, (H,), Lw['output.LayerNorm.weight'],
                             Lw['output.LayerNorm.bias'], self.eps)
        return h

    def pool(self, h, mask=None):
        """h [B,L,H], mask [B,L] or None -> pooled (and normalized) [B,H*k]."""
        torch = self.torch
        B, L, H = h.shape
        if mask is None:
            mf = torch.ones(B, L, 1, dtype=h.dtype)
        else:
            mf = mask.to(h.dtype).unsqueeze(-1)
        outs = []
        for mode in self.pool_modes:
            if mode == 'cls':
                outs.append(h[:, 0])
            elif mode == 'max':
                if mask is None:
                    outs.append(h.max(dim=1).values)
                else:
                    outs.append(torch.where(mf > 0, h, torch.full_like(h, -1e9)).max(dim=1).values)
            else:
                s = (h * mf).sum(dim=1)
                n = mf.sum(dim=1).clamp(min=1e-9)
                outs.append(s / n if mode == 'mean' else s / torch.sqrt(n))
        e = outs[0] if len(outs) == 1 else torch.cat(outs, dim=1)
        for st in self.head:   # modules.json after Pooling, in order
            if st[0] == 'dense':
                e = st[3](torch.nn.functional.linear(e, st[1], st[2]))
            else:
                e = torch.nn.functional.normalize(e, p=2, dim=1)
        return e

    def embed_rows(self, x, mask=None):
        return self.pool(self.encode_from_rows(x, mask), mask)

    def encode_packed(self, x, lens):
        """Unpadded ("packed") forward: x [T,H] word-embedding rows of several
        sequences laid end to end, lens their lengths (sum = T).  Dense layers
        run on all T rows at once (token-wise, so exact); attention runs per
        sequence over exactly its own tokens.  Returns last hidden [T,H]."""
        torch = self.torch
        F = torch.nn.functional
        T, H = x.shape
        A = self.A
        dh = H // A
        offs = [0]
        for L in lens:
            if L > self.P:
                raise ValueError(f'sequence length {L} > max_position_embeddings {self.P}')
            offs.append(offs[-1] + L)
        assert offs[-1] == T
        pos_ids = torch.cat([torch.arange(L) for L in lens])
        h = x + self.pos[pos_ids] + self.type[0].view(1, H)
        h = F.layer_norm(h, (H,), self.eln_w, self.eln_b, self.eps)
        scale = 1.0 / (dh ** 0.5)
        for Lw in self.layers:
            q = F.linear(h, Lw['attention.self.query.weight'], Lw['attention.self.query.bias'])
            k = F.linear(h, Lw['attention.self.key.weight'], Lw['attention.self.key.bias'])
            v = F.linear(h, Lw['attention.self.value.weight'], Lw['attention.self.value.bias'])
            ctx = []
            for j, L in enumerate(lens):
                b, e = offs[j], offs[j + 1]
                qj = q[b:e].view(L, A, dh).transpose(0, 1)
                kj = k[b:e].view(L, A, dh).transpose(0, 1)
                vj = v[b:e].view(L, A, dh).transpose(0, 1)
                p = torch.softmax(torch.matmul(qj, kj.transpose(-1, -2)) * scale, dim=-1)
                ctx.append(torch.matmul(p, vj).transpose(0, 1).reshape(L, H))
            c = torch.cat(ctx, dim=0)
            a = F.linear(c, Lw['attention.output.dense.weight'], Lw['attention.output.dense.bias'])
            h = F.layer_norm(a + h, (H,), Lw['attention.output.LayerNorm.weight'],
                             Lw['attention.output.LayerNorm.bias'], self.eps)
            m = self._act(F.linear(h, Lw['intermediate.dense.weight'], Lw['intermediate.dense.bias']))
            o = F.linear(m, Lw['output.dense.weight'], Lw['output.dense.bias'])
            h = F.layer_norm(o + h, (H,), Lw['output.LayerNorm.weight'],
                             Lw['output.LayerNorm.bias'], self.eps)
        return h

    def pool_packed(self, h, lens):
        res = []
        b = 0
        for L in lens:
            res.append(self.pool(h[b:b + L].unsqueeze(0))[0])
            b += L
        return self.torch.stack(res)

    def check_ids(self, ids_list):
        for i, ids in enumerate(ids_list):
            if len(ids) == 0:
                raise ValueError(f'input {i}: empty sequence')
            if len(ids) > self.P:
                raise ValueError(f'input {i}: length {len(ids)} > max_position_embeddings {self.P}')
            for t in ids:
                if not (0 <= t < self.V):
                    raise ValueError(f'input {i}: token id {t} out of range')

    def embed_ids(self, ids_list, chunk_tokens=2048):
        """List of id lists -> numpy float64 (N, D).  Sequences are run
        unpadded (packed, see encode_packed), about chunk_tokens at a time."""
        torch = self.torch
        self.check_ids(ids_list)
        out = []
        with torch.no_grad():
            i = 0
            while i < len(ids_list):
                j, T = i, 0
                while j < len(ids_list) and (j == i or T + len(ids_list[j]) <= chunk_tokens):
                    T += len(ids_list[j])
                    j += 1
                sub = ids_list[i:j]
                flat = torch.tensor([t for ids in sub for t in ids], dtype=torch.long)
                lens = [len(ids) for ids in sub]
                h = self.encode_packed(torch.nn.functional.embedding(flat, self.word), lens)
                out.append(self.pool_packed(h, lens).to(torch.float64).numpy())
                i = j
        return np.concatenate(out, axis=0)


def load_model(model_dir, dtype=None):
    return BertRef(model_dir, dtype)


def read_ids_jsonl(path):
    res = []
    with open(path) as f:
        for ln, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            v = json.loads(line)
            if not isinstance(v, list) or not all(isinstance(t, int) for t in v):
                raise ValueError(f'{path}:{ln}: expected a JSON array of ints')
            res.append(v)
    return res


def write_npy_or_jsonl(path, arr):
    """arr (N,D) float64 -> .npy if path ends with .npy, else one JSON array
    per line (repr floats: round-trip exact).  path None or '-' -> stdout."""
    arr = np.asarray(arr, dtype=np.float64)
    if path and path.endswith('.npy'):
        np.save(path, arr)
        return
    lines = ['[' + ','.join(repr(float(x)) for x in row) + ']' for row in arr]
    text = '\n'.join(lines) + '\n'
    if not path or path == '-':
        sys.stdout.write(text)
    else:
        with open(path, 'w') as f:
            f.write(text)
