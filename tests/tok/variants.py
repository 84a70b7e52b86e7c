#!/usr/bin/env python3
"""Write normalizer variants of a tokenizer.json (for conformance runs of the
options the shipped model does not use).

    variants.py SRC/tokenizer.json OUTDIR   -> OUTDIR/NAME/tokenizer.json, prints the names"""
import json
import os
import sys

VARIANTS = {
    'cased': dict(lowercase=False, strip_accents=None),
    'lower-nostrip': dict(lowercase=True, strip_accents=False),
    'strip-only': dict(lowercase=False, strip_accents=True),
    'no-clean': dict(clean_text=False),
    'no-cjk': dict(handle_chinese_chars=False),
    'raw': dict(clean_text=False, handle_chinese_chars=False, lowercase=False, strip_accents=False),
}


def main():
    src, outdir = sys.argv[1:3]
    with open(src, encoding='utf-8') as f:
        base = json.load(f)
    for name, opts in VARIANTS.items():
        tj = json.loads(json.dumps(base))
        tj['normalizer'].update(opts)
        d = os.path.join(outdir, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, 'tokenizer.json'), 'w', encoding='utf-8') as f:
            json.dump(tj, f, ensure_ascii=False)
        print(name)


if __name__ == '__main__':
    main()
