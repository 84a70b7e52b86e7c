#!/usr/bin/env python3
"""bench/to_16bit.py SRC DST F16|BF16: a copy of the model directory SRC whose
model.safetensors holds every tensor in 16 bits (F16 rounded to nearest by
numpy; BF16 truncated, the top 16 bits of each float32), the layout a
half-precision download has. For bench/memory.sh."""
import json, os, shutil, struct, sys
import numpy as np

src, dst, dt = sys.argv[1], sys.argv[2], sys.argv[3]
if dt not in ('F16', 'BF16'):
    sys.exit('to_16bit.py: the dtype is F16 or BF16')
shutil.copytree(src, dst, dirs_exist_ok=True)
raw = open(os.path.join(src, 'model.safetensors'), 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
out, blobs, off = {}, [], 0
for name, t in header.items():
    if name == '__metadata__':
        out[name] = t
        continue
    if t['dtype'] != 'F32':
        sys.exit(f'to_16bit.py: {name} is {t["dtype"]}, not F32')
    a = np.frombuffer(data[t['data_offsets'][0]:t['data_offsets'][1]], dtype=np.float32)
    b = a.astype(np.float16).tobytes() if dt == 'F16' else (a.view(np.uint32) >> 16).astype(np.uint16).tobytes()
    out[name] = {'dtype': dt, 'shape': t['shape'], 'data_offsets': [off, off + len(b)]}
    blobs.append(b)
    off += len(b)
h = json.dumps(out).encode()
h += b' ' * (-len(h) % 8)
with open(os.path.join(dst, 'model.safetensors'), 'wb') as f:
    f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
