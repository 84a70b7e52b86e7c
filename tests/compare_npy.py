#!/usr/bin/python3
"""compare_npy.py NAME OURS.npy REF.npy TOL [--normalize] -- prints 'PASS NAME'
or 'FAIL NAME: ...' with the max absolute difference (and the row it is in).
--normalize compares L2-normalized rows (the issue's contract is on
normalized embeddings; models without a Normalize module output raw ones)."""
import sys
try:
    import numpy as np
except ImportError as e:  # a missing numpy is a FAIL of the check, not a traceback without one
    print(f'FAIL {sys.argv[1] if len(sys.argv) > 1 else "compare_npy"}: numpy is missing for {sys.executable} '
          f'(Debian python3-numpy; make deps): {e}')
    sys.exit(0)

name, a, b, tol = sys.argv[1], np.load(sys.argv[2]), np.load(sys.argv[3]), float(sys.argv[4])
if a.shape != b.shape:
    print(f'FAIL {name}: shape {a.shape} vs reference {b.shape}')
    sys.exit(0)
a, b = a.astype(np.float64), b.astype(np.float64)
raw = float(np.abs(a - b).max()) if a.size else 0.0
if '--normalize' in sys.argv[5:]:
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
d = np.abs(a - b)
m = float(d.max()) if d.size else 0.0
row = int(d.max(axis=1).argmax()) if d.size else -1
status = 'PASS' if m <= tol and np.isfinite(a).all() else 'FAIL'
print(f'{status} {name}' + ('' if status == 'PASS' else ':') + f' max abs diff {m:.3g} (row {row}, {a.shape[0]} inputs, limit {tol:g}; unnormalized {raw:.3g})')
