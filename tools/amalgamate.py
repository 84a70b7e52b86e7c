#!/usr/bin/python3
"""amalgamate.py -- inline every `#include "parts/NAME.h"` of batchml.h
(recursively: parts may include other parts) so batchml.h is one file again.
Used once when work developed in parts/ is folded into the header."""
import os, re, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
pat = re.compile(r'^\s*#\s*include\s+"(parts/[^"]+)"\s*$')


def expand(path, depth=0):
    out = []
    for line in open(os.path.join(root, path), encoding='utf-8'):
        m = pat.match(line)
        if m and depth < 8:
            out.append(f'/* ---- {m.group(1)} ---- */\n')
            out.extend(expand(m.group(1), depth + 1))
        else:
            out.append(line)
    return out


text = ''.join(expand('batchml.h'))
if pat.search(text):
    sys.exit('amalgamate: unresolved parts include')
open(os.path.join(root, 'batchml.h'), 'w', encoding='utf-8').write(text)
print('batchml.h: %d lines' % text.count('\n'))
