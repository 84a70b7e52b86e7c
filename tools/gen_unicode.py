#!/usr/bin/env python3
"""Generate parts/unicode_tables.h: the Unicode tables of batchml's BERT tokenizer.

    python3 tools/gen_unicode.py [UCD_DIR] > parts/unicode_tables.h

UCD_DIR defaults to /usr/share/unicode (Debian's `unicode-data`, UCD 15.0).

The tables reproduce what Hugging Face `tokenizers` (0.23.x) actually does,
which mixes three Unicode versions because of the Rust crates it uses:

  * `unicode_categories` 0.1 (general categories: is_other, Mn, P*) is
    Unicode 8.0. Characters assigned after 8.0 have no category there: they
    are neither removed (Cc/Cf/Co), nor stripped (Mn), nor punctuation.
    Unassigned code points (Cn) are NOT treated as "other".
    A few characters changed category between 8.0 and 15.0; 8.0's value is
    kept through CATEGORY_8_0 below.
  * `unicode-normalization-alignments` 0.1.12 (NFD) is Unicode 9.0:
    decompositions and canonical combining classes of characters assigned
    after 9.0 are absent (they are starters without decomposition).
  * Rust std (`char::to_lowercase`, `char::is_whitespace`) of the compiler
    that built the binding is Unicode 17.0: UCD 15.0 plus LOWER_16_17 below.

Every rule was checked code point by code point against the oracle
(tests/tok/probe_cp.js dumps the oracle's behaviour for all 1,112,064 scalar
values; tests/tokenizer_unicode.test compares).

Output: two-level tables (stage1[cp >> SHIFT] -> block, stage2[block << SHIFT
| (cp & mask)] -> value) with identical blocks shared:
  bml__tok_prop_*    uint8 index into bml__tok_prop_rec (flags | ccc << 8)
  bml__tok_lower_*   uint8 index into bml__tok_lower_delta (lower - cp)
  bml__tok_decomp_*  uint16 index into bml__tok_decomp_pool ([len, cp...])
"""
import os
import re
import sys

UCD = sys.argv[1] if len(sys.argv) > 1 else '/usr/share/unicode'
NCP = 0x110000

CAT_VERSION = (8, 0)     # unicode_categories
NFD_VERSION = (9, 0)     # unicode-normalization-alignments

# General category in Unicode 8.0 where it differs from UCD 15.0 in a way that
# matters (other / Mn / punctuation).
CATEGORY_8_0 = {
    0x166D: 'Po',   # CANADIAN SYLLABICS CHI SIGN: So since 12.0
    0x1734: 'Mn',   # HANUNOO SIGN PAMUDPOD: Mc since 14.0
    0x1885: 'Lo',   # MONGOLIAN LETTER ALI GALI BALUDA: Mn since 9.0
    0x1886: 'Lo',   # MONGOLIAN LETTER ALI GALI THREE BALUDA: Mn since 9.0
    0xA9BD: 'Mc',   # JAVANESE CONSONANT SIGN KERET: Mn since 12.0
    0x111C9: 'Po',  # SHARADA SANDHI MARK: Mn since 13.0
}

# Simple lowercase mappings added in Unicode 16.0 and 17.0 (Rust std follows
# 17.0; Debian's UCD here is 15.0).
LOWER_16_17 = {0x1C89: 0x1C8A, 0xA7CB: 0x0264, 0xA7CC: 0xA7CD, 0xA7CE: 0xA7CF,
               0xA7D2: 0xA7D3, 0xA7D4: 0xA7D5, 0xA7DA: 0xA7DB, 0xA7DC: 0x019B}
LOWER_16_17.update({c: c + 0x20 for c in range(0x10D50, 0x10D66)})   # Garay
LOWER_16_17.update({c: c + 0x1B for c in range(0x16EA0, 0x16EB9)})   # Beria Erfe

# HF BertNormalizer's "chinese character" ranges (CJK Unified Ideographs,
# extensions A-F, compatibility ideographs).
CJK_RANGES = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
              (0x2B740, 0x2B81F), (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]

F_DROP, F_WS, F_PUNCT, F_MN, F_CJK, F_DECOMP, F_LOWER = 1, 2, 4, 8, 16, 32, 64


def path(name):
    return os.path.join(UCD, name)


def parse_ranges(name):
    """(first, last, [fields...]) for each data line of a UCD range file."""
    out = []
    with open(path(name), encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            fields = [x.strip() for x in line.split(';')]
            r = fields[0]
            if '..' in r:
                a, b = r.split('..')
                out.append((int(a, 16), int(b, 16), fields[1:]))
            else:
                out.append((int(r, 16), int(r, 16), fields[1:]))
    return out


def main():
    age = [None] * NCP
    for a, b, f in parse_ranges('DerivedAge.txt'):
        v = tuple(int(x) for x in f[0].split('.'))
        for c in range(a, b + 1):
            age[c] = v
    white = [False] * NCP
    for a, b, f in parse_ranges('PropList.txt'):
        if f[0] == 'White_Space':
            for c in range(a, b + 1):
                white[c] = True

    gc = ['Cn'] * NCP
    ccc = [0] * NCP
    decomp = {}
    lower = {}
    with open(path('UnicodeData.txt'), encoding='utf-8') as f:
        first = None
        for line in f:
            p = line.rstrip('\n').split(';')
            c = int(p[0], 16)
            if p[1].endswith(', First>'):
                first = c
                continue
            lo = first if p[1].endswith(', Last>') else c
            first = None
            for x in range(lo, c + 1):
                gc[x] = p[2]
                ccc[x] = int(p[3])
            if p[5] and not p[5].startswith('<'):
                decomp[c] = [int(x, 16) for x in p[5].split()]
            if p[13]:
                lower[c] = int(p[13], 16)
    version = '?'
    with open(path('ReadMe.txt'), encoding='utf-8', errors='replace') as f:
        m = re.search(r'Version (\d+\.\d+\.\d+)', f.read())
        if m:
            version = 'UCD ' + m.group(1)
    for c, v in LOWER_16_17.items():
        assert c not in lower, hex(c)
        lower[c] = v

    def cat8(c):
        if c in CATEGORY_8_0:
            return CATEGORY_8_0[c]
        if age[c] is None or age[c] > CAT_VERSION:
            return 'Cn'
        return gc[c]

    def nfd_known(c):
        return age[c] is not None and age[c] <= NFD_VERSION

    def full_decomp(c):
        if nfd_known(c) and c in decomp:
            return [y for x in decomp[c] for y in full_decomp(x)]
        return [c]

    # ---- per-code-point values
    prop = [0] * NCP
    lowv = [0] * NCP
    decv = [None] * NCP
    for c in range(NCP):
        g = cat8(c)
        fl = 0
        if c == 0 or c == 0xFFFD or (g in ('Cc', 'Cf', 'Co', 'Cs') and c not in (9, 10, 13)):
            fl |= F_DROP
        if white[c]:
            fl |= F_WS
        if (0x21 <= c <= 0x2F or 0x3A <= c <= 0x40 or 0x5B <= c <= 0x60 or 0x7B <= c <= 0x7E
                or g.startswith('P')):
            fl |= F_PUNCT
        if g == 'Mn':
            fl |= F_MN
        if any(a <= c <= b for a, b in CJK_RANGES):
            fl |= F_CJK
        if 0xAC00 <= c <= 0xD7A3:
            fl |= F_DECOMP          # Hangul syllables: algorithmic
        elif nfd_known(c) and c in decomp:
            fl |= F_DECOMP
            decv[c] = full_decomp(c)
        if c in lower or c == 0x130:
            fl |= F_LOWER
            lowv[c] = lower.get(c, c) - c
        k = ccc[c] if nfd_known(c) else 0
        prop[c] = fl | (k << 8)

    # the tokenizer keeps a character's whitespace/punctuation flags through
    # lowercasing: check that lowercasing never changes them
    for c in range(NCP):
        if lowv[c]:
            assert (prop[c] ^ prop[c + lowv[c]]) & (F_WS | F_PUNCT) == 0, hex(c)

    # ---- value tables
    recs = sorted(set(prop))
    assert len(recs) <= 256, len(recs)
    rec_idx = {r: i for i, r in enumerate(recs)}
    deltas = [0] + sorted(set(lowv) - {0})
    assert len(deltas) <= 256
    delta_idx = {d: i for i, d in enumerate(deltas)}
    pool = [0]          # index 0: no decomposition
    dec_idx = [0] * NCP
    for c in range(NCP):
        if decv[c] is not None:
            dec_idx[c] = len(pool)
            pool.append(len(decv[c]))
            pool.extend(decv[c])
    assert len(pool) < 65536
    assert max(len(v) for v in decv if v) <= 4
    # the tokenizer sizes its buffers at 2 normalized characters per input
    # byte: check that the decompositions (and the CJK spaces) fit
    for c in range(NCP):
        n = len(decv[c]) if decv[c] else (3 if 0xAC00 <= c <= 0xD7A3 else 1)
        if prop[c] & F_CJK:
            n += 2
        assert n <= 2 * len(chr(c).encode('utf-8', 'surrogatepass')), hex(c)

    def two_level(values, limit):
        """Best (shift, stage1, stage2) for values[0:limit]."""
        best = None
        for shift in range(4, 10):
            bs = 1 << shift
            blocks, stage1, stage2 = {}, [], []
            for start in range(0, limit, bs):
                blk = tuple(values[start:start + bs])
                if blk not in blocks:
                    blocks[blk] = len(blocks)
                    stage2.extend(blk)
                stage1.append(blocks[blk])
            s1w = 1 if len(blocks) <= 256 else 2
            s2w = 1 if max(values[:limit]) < 256 else 2
            size = len(stage1) * s1w + len(stage2) * s2w
            if best is None or size < best[0]:
                best = (size, shift, stage1, stage2)
        return best[1:]

    prop_vals = [rec_idx[p] for p in prop]
    low_vals = [delta_idx[d] for d in lowv]
    lower_limit = (max(c for c in range(NCP) if lowv[c]) | 0x3FF) + 1
    decomp_limit = (max(c for c in range(NCP) if dec_idx[c]) | 0x3FF) + 1

    out = []
    w = out.append
    w('/* parts/unicode_tables.h: GENERATED by tools/gen_unicode.py (do not edit).')
    w('   Source: %s (%s); categories as of Unicode 8.0, NFD as of 9.0,' % (UCD, version))
    w('   lowercase as of 17.0: the versions HF tokenizers\' Rust crates use.')
    w('   Two-level tables: stage1[cp >> SHIFT] is a block, stage2[(block << SHIFT) | (cp & MASK)]')
    w('   the value. */')
    w('#define BML__TOK_F_DROP   %d  /* removed by clean_text: NUL, U+FFFD, Cc (not \\t\\n\\r), Cf, Co */' % F_DROP)
    w('#define BML__TOK_F_WS     %d  /* White_Space (Rust char::is_whitespace)            */' % F_WS)
    w('#define BML__TOK_F_PUNCT  %d  /* ASCII punctuation or Unicode P* (8.0)              */' % F_PUNCT)
    w('#define BML__TOK_F_MN     %d  /* nonspacing mark Mn (8.0): removed by strip_accents  */' % F_MN)
    w('#define BML__TOK_F_CJK    %d /* HF "chinese character" ranges                     */' % F_CJK)
    w('#define BML__TOK_F_DECOMP %d /* has a canonical decomposition (9.0; Hangul too)   */' % F_DECOMP)
    w('#define BML__TOK_F_LOWER  %d /* has a lowercase mapping (17.0)                    */' % F_LOWER)
    w('')

    def emit_array(ctype, name, vals, per_line=24):
        w('static const %s %s[%d] = {' % (ctype, name, len(vals)))
        for i in range(0, len(vals), per_line):
            w('    ' + ','.join(str(v) for v in vals[i:i + per_line]) + ',')
        w('};')

    def emit_two_level(prefix, vals, limit, comment):
        shift, s1, s2 = two_level(vals, limit)
        s1t = 'uint8_t' if max(s1) < 256 else 'uint16_t'
        s2t = 'uint8_t' if max(s2) < 256 else 'uint16_t'
        w('/* %s: %d code points, shift %d, %d blocks, %d bytes */' % (
            comment, limit, shift, len(s2) >> shift,
            len(s1) * (1 if s1t == 'uint8_t' else 2) + len(s2) * (1 if s2t == 'uint8_t' else 2)))
        w('#define %s_LIMIT 0x%X' % (prefix.upper(), limit))
        w('#define %s_SHIFT %d' % (prefix.upper(), shift))
        emit_array(s1t, prefix + '_stage1', s1)
        emit_array(s2t, prefix + '_stage2', s2)
        w('')

    w('/* property records: flags | canonical combining class << 8 */')
    emit_array('uint16_t', 'bml__tok_prop_rec', recs, 16)
    emit_two_level('bml__tok_prop', prop_vals, NCP, 'properties')
    w('/* lowercase: cp + bml__tok_lower_delta[i]; U+0130 lowercases to U+0069 U+0307 */')
    emit_array('int32_t', 'bml__tok_lower_delta', deltas, 12)
    emit_two_level('bml__tok_lower', low_vals, lower_limit, 'lowercase')
    w('/* full canonical decompositions: pool[i] = length, then the code points */')
    emit_array('uint32_t', 'bml__tok_decomp_pool', pool, 12)
    emit_two_level('bml__tok_decomp', dec_idx, decomp_limit, 'decompositions')
    sys.stdout.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main()
