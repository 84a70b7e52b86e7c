#!/usr/bin/python3
"""overlay_texts.py N -- N sentences from shared/corpora/sts/sts-dev.csv
(first column of sentences), then a 1-word text and a 254-word text, one a
line: the inputs of the overlay reference tests."""
import os, sys

n = int(sys.argv[1])
top = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')   # the repo; shared/ is beside it
rows = [l.rstrip('\n').split('\t') for l in open(os.path.join(top, '..', 'shared', 'corpora', 'sts', 'sts-dev.csv'), encoding='utf-8')]
sents = [r[5] for r in rows if len(r) > 6][:n]
words = ' '.join(r[6] for r in rows if len(r) > 6).split()
print('\n'.join(sents))
print('Wonderful')
print(' '.join(words[:254]))
