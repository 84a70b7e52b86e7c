#!/usr/bin/env python3
"""tests/st_dtype.py SRC DST DTYPE [--only SUBSTR] [--odd]

A copy of the model directory SRC whose model.safetensors holds its tensors
in DTYPE, in the layout a download in that precision has:
  F16   rounded to nearest even (numpy astype), as torch's .half() does;
  BF16  rounded to nearest even from float32, as torch's .bfloat16() does;
  F32   widened exactly (from F16 or BF16: the float32 twin of a 16-bit
        model, which must give bitwise the same numbers).
--only SUBSTR converts only the tensors whose name contains SUBSTR (the rest
keep their dtype: a mixed file). --odd puts a 1-byte U8 tensor first, so
every tensor after it starts at an odd byte offset (2-byte alignment lost).
--poison NAME:INDEX:VALUE sets one element of tensor NAME (after the
conversion) to the 16-bit pattern VALUE (hex: 7c00 = +Inf in F16, 7e00 a
NaN), to test that the loader refuses it."""
import argparse, json, os, shutil, struct
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument('src')
ap.add_argument('dst')
ap.add_argument('dtype', choices=['F32', 'F16', 'BF16'])
ap.add_argument('--only')
ap.add_argument('--odd', action='store_true')
ap.add_argument('--poison')
a = ap.parse_args()


def load(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
    out = {}
    for name, t in header.items():
        if name == '__metadata__':
            continue
        b = data[t['data_offsets'][0]:t['data_offsets'][1]]
        if t['dtype'] == 'F32':
            v = np.frombuffer(b, '<f4').astype(np.float32)
        elif t['dtype'] == 'F16':
            v = np.frombuffer(b, '<f2').astype(np.float32)
        elif t['dtype'] == 'BF16':
            v = (np.frombuffer(b, '<u2').astype(np.uint32) << 16).view(np.float32)
        else:
            raise SystemExit(f'st_dtype.py: {name}: dtype {t["dtype"]} not handled')
        out[name] = (t['dtype'], t['shape'], v)
    return out, header.get('__metadata__')


def encode(v, dt):
    if dt == 'F32':
        return v.astype('<f4').tobytes()
    if dt == 'F16':
        return v.astype('<f2').tobytes()
    u = v.astype(np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7fff + ((u >> 16) & 1)) >> 16          # round to nearest even
    return u.astype('<u2').tobytes()


tensors, meta = load(os.path.join(a.src, 'model.safetensors'))
shutil.copytree(a.src, a.dst, dirs_exist_ok=True)
header, blobs, off = {}, [], 0
if meta is not None:
    header['__metadata__'] = meta
if a.odd:
    header['pad.byte'] = {'dtype': 'U8', 'shape': [1], 'data_offsets': [0, 1]}
    blobs.append(b'\0')
    off = 1
for name, (dt, shape, v) in tensors.items():
    want = a.dtype if a.only is None or a.only in name else dt
    b = bytearray(encode(v, want))
    if a.poison and a.poison.split(':')[0] == name:
        _, idx, val = a.poison.split(':')
        b[2 * int(idx):2 * int(idx) + 2] = struct.pack('<H', int(val, 16))
    header[name] = {'dtype': want, 'shape': shape, 'data_offsets': [off, off + len(b)]}
    blobs.append(bytes(b))
    off += len(b)
h = json.dumps(header).encode()
h += b' ' * (-len(h) % 8)
with open(os.path.join(a.dst, 'model.safetensors'), 'wb') as f:
    f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
