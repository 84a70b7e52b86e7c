#!/usr/bin/python3
"""overlay_texts.py N -- N sentences from tests/data/sts/sts-dev.csv
(first column of sentences), then a 1-word text and a 254-word text, one a
line: the inputs of the overlay reference tests.  (The repo's sts-dev holds
only the redistributable rows of the STS Benchmark's, 375: enough for the
100 the tests ask for.)  Exits 1 with a message when the file is missing or
has fewer than N sentences, so a caller never runs on fewer texts."""
import os, sys

n = int(sys.argv[1])
top = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')   # the repo
path = os.path.join(top, 'tests', 'data', 'sts', 'sts-dev.csv')
rows = [l.rstrip('\n').split('\t') for l in open(path, encoding='utf-8')]
sents = [r[5] for r in rows if len(r) > 6][:n]
words = ' '.join(r[6] for r in rows if len(r) > 6).split()
if len(sents) < n or len(words) < 254:
    sys.exit(f'overlay_texts.py: {path} has {len(sents)} sentences and {len(words)} second-sentence words; '
             f'{n} and 254 are needed')
print('\n'.join(sents))
print('Wonderful')
print(' '.join(words[:254]))
