#!/usr/bin/python3
"""compare_npy.py NAME OURS.npy REF.npy TOL -- prints 'PASS NAME' or
'FAIL NAME: ...' with the max absolute difference (and the row it is in)."""
import sys
import numpy as np

name, a, b, tol = sys.argv[1], np.load(sys.argv[2]), np.load(sys.argv[3]), float(sys.argv[4])
if a.shape != b.shape:
    print(f'FAIL {name}: shape {a.shape} vs reference {b.shape}')
    sys.exit(0)
d = np.abs(a.astype(np.float64) - b.astype(np.float64))
m = float(d.max()) if d.size else 0.0
row = int(d.max(axis=1).argmax()) if d.size else -1
status = 'PASS' if m <= tol and np.isfinite(a).all() else 'FAIL'
print(f'{status} {name}' + ('' if status == 'PASS' else ':') + f' max abs diff {m:.3g} (row {row}, {a.shape[0]} inputs, limit {tol:g})')
