#!/usr/bin/env python3
"""Compare two JSON-lines tokenizations line by line.

    compare.py NAME REF.jsonl OURS.jsonl [INPUT.txt]

Prints 'PASS NAME: N lines identical (ids, tokens, offsets)' or
'FAIL NAME: M of N lines differ' followed by the first differences (with the
input line when given). Fields compared: every field of the reference."""
import json
import sys


def main():
    name, ref_path, ours_path = sys.argv[1:4]
    inputs = None
    if len(sys.argv) > 4:
        with open(sys.argv[4], 'rb') as f:
            data = f.read()
        inputs = data.split(b'\n')
        if data.endswith(b'\n'):
            inputs.pop()
    with open(ref_path, encoding='utf-8') as f:
        ref = f.read().splitlines()
    with open(ours_path, encoding='utf-8', errors='replace') as f:
        ours = f.read().splitlines()
    bad = []
    ntok = 0
    for i in range(max(len(ref), len(ours))):
        r = json.loads(ref[i]) if i < len(ref) else None
        o = json.loads(ours[i]) if i < len(ours) else None
        if r is not None and 'ids' in r:
            ntok += len(r['ids'])
        if r is None or o is None:
            bad.append((i, 'missing line', r, o))
            continue
        for k in r:
            if r[k] != o.get(k):
                bad.append((i, k, r, o))
                break
    if not bad:
        print('PASS %s: %d lines (%d tokens) identical' % (name, len(ref), ntok))
        return 0
    print('FAIL %s: %d of %d lines differ' % (name, len(bad), max(len(ref), len(ours))))
    for i, k, r, o in bad[:8]:
        print('  line %d: %s differs' % (i + 1, k))
        if inputs is not None and i < len(inputs):
            print('    input: %r' % inputs[i][:300])
        if r is not None and o is not None and isinstance(r, dict):
            for key in ('ids', 'tokens', 'offsets'):
                if r.get(key) != o.get(key):
                    rv, ov = r.get(key), o.get(key)
                    j = 0
                    while rv and ov and j < min(len(rv), len(ov)) and rv[j] == ov[j]:
                        j += 1
                    print('    %s from #%d: ref %s' % (key, j, json.dumps(rv[j:j + 6] if rv else rv, ensure_ascii=False)))
                    print('    %s from #%d: ours %s' % (key, j, json.dumps(ov[j:j + 6] if ov else ov, ensure_ascii=False)))
        else:
            print('    ref:  %s' % json.dumps(r, ensure_ascii=False)[:300])
            print('    ours: %s' % json.dumps(o, ensure_ascii=False)[:300])
    return 1


if __name__ == '__main__':
    sys.exit(main())
