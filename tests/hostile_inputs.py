#!/usr/bin/python3
"""hostile_inputs.py BATCHML MODEL OUTDIR -- hostile input lines through the
CLI (`batchml embed`, text and --input ids; `batchml overlay`): an empty
line, 10 MiB lines (with and without spaces), NUL bytes, invalid UTF-8, ids
outside the vocabulary, longer than max_position_embeddings, not integers, a
10 MiB ids line. Each bad line is a per-item error with its message on
stderr ("line N: ..."), a null row in the output; every other line of the
same batch embeds exactly as it does alone; the exit status is 2; and the
process stays within a memory budget (peak RSS, from /usr/bin/time).
Prints PASS/FAIL lines."""
import json, os, subprocess, sys

exe, model, out = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
cfg = json.load(open(os.path.join(model, 'config.json')))
H, V, P = cfg['hidden_size'], cfg['vocab_size'], cfg['max_position_embeddings']
MIB = 1 << 20
# Peak RSS allowed for a run holding two 10 MiB lines: the lines themselves
# (read buffer, the copy per item) and bounded working memory -- not memory
# growing many times over with the length of one line.
RSS_BUDGET_MB = int(os.environ.get('BML_HOSTILE_RSS_MB', '100'))
# sanitizer builds keep freed memory in quarantine and shadow it: no budget there
if os.environ.get('BML_SANITIZE'):
    RSS_BUDGET_MB = 0


def check(ok, name, why):
    print(('PASS %s' % name) if ok else ('FAIL %s: %s' % (name, why)), flush=True)
    return ok


def run(args, data, name):
    """Run batchml under /usr/bin/time; returns (rc, stdout lines, stderr text, peak RSS MiB)."""
    inp = os.path.join(out, name + '.in')
    open(inp, 'wb').write(data)
    with open(inp, 'rb') as f:
        p = subprocess.run(['/usr/bin/time', '-f', 'MAXRSS %M', exe] + args, stdin=f, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    err = p.stderr.decode('utf-8', 'replace')
    rss = 0
    for ln in err.splitlines():
        if ln.startswith('MAXRSS '):
            rss = int(ln.split()[1]) / 1024
    err = '\n'.join(l for l in err.splitlines() if not l.startswith('MAXRSS ') and 'exited with non-zero' not in l)
    return p.returncode, p.stdout.decode('utf-8', 'replace').splitlines(), err, rss


def embed_alone(args, line):
    rc, rows, err, _ = run(args, line + b'\n', 'alone')
    return json.loads(rows[0]) if rc == 0 and rows else None


def per_item(name, args, lines, bad, want_rss=None):
    """lines: list of bytes; bad: {index: text the stderr message must hold}."""
    rc, rows, err, rss = run(args, b'\n'.join(lines) + b'\n', name)
    want = 2 if bad else 0
    ok = check(rc == want, '%s_exit_%d' % (name, want), 'exit %d, stderr %r' % (rc, err[-400:]))
    ok &= check(len(rows) == len(lines), name + '_one_row_per_line', '%d rows for %d lines' % (len(rows), len(lines)))
    if len(rows) != len(lines):
        return
    for i, line in enumerate(lines):
        n = i + 1
        if i in bad:
            check(rows[i] == 'null', '%s_line%d_null' % (name, n), 'row %r' % rows[i][:80])
            msg = [l for l in err.splitlines() if ('line %d: ' % n) in l]
            check(len(msg) == 1 and bad[i] in msg[0], '%s_line%d_message' % (name, n),
                  'want one "line %d: ...%s..." on stderr, got %r' % (n, bad[i], msg[:2]))
        else:
            row = json.loads(rows[i]) if rows[i] != 'null' else None
            good = row is not None and len(row) == H
            if good and len(line) < 4096:
                alone = embed_alone(args, line)
                good = alone is not None and max(abs(a - b) for a, b in zip(row, alone)) <= 1e-6
            check(good, '%s_line%d_embeds' % (name, n), 'row %r (stderr %r)' % (rows[i][:60], err[-300:]))
    if want_rss:
        check(rss <= want_rss, name + '_peak_rss', 'peak RSS %.0f MiB, budget %d MiB' % (rss, want_rss))
    print('# %s: exit %d, peak RSS %.0f MiB' % (name, rc, rss))


# --- text ---------------------------------------------------------------------
text = [b'A man is playing a guitar.',
        b'',                                          # empty
        b'word ' * (2 * MIB),                         # 10 MiB with spaces: truncated, embeds
        b'nul\x00bytes\x00inside',                    # NUL: a control character, dropped by the normalizer
        b'bad \xff\xfe utf8',                         # invalid UTF-8
        b'\xc3\x28 truncated sequence',
        '\u4f60\u597d\u4e16\u754c'.encode() * (MIB * 10 // 12),   # 10 MiB of CJK: no ASCII space at all
        b'ab/' * (10 * MIB // 3),                     # 10 MiB of a URL-like run: punctuation, no space
        b'\r',                                        # only a CR: no tokens but [CLS] [SEP]
        b'The last line is fine.']
per_item('hostile_text', ['embed', '--model', model], text,
         {1: 'empty text', 4: 'invalid UTF-8 at byte 4', 5: 'invalid UTF-8 at byte 0'}, want_rss=RSS_BUDGET_MB)

# one 64 MiB word (no space, punctuation or ideograph anywhere): [UNK]. The
# README's bound: a line costs at most 3 bytes per input byte (the read
# buffer and the item's copy, ~2.2 measured) plus a constant -- the tokenizer
# counts such a run's characters one at a time instead of normalizing it
# whole (which took ~16 bytes a byte: 1.66 GB for 100 MiB)
per_item('hostile_text_long_word', ['embed', '--model', model], [b'before', b'y' * (64 * MIB), b'after'], {},
         want_rss=RSS_BUDGET_MB and 3 * 64 + RSS_BUDGET_MB // 2)
per_item('hostile_text_long_word_accents', ['embed', '--model', model],
         [b'before', 'é́'.encode() * (16 * MIB), b'after'], {},
         want_rss=RSS_BUDGET_MB and 3 * 64 + RSS_BUDGET_MB // 2)

# --on-invalid replace: the same lines, only the empty one fails
per_item('hostile_text_replace', ['embed', '--model', model, '--on-invalid', 'replace'],
         [l for l in text if len(l) < MIB], {1: 'empty text'})

# --- ids --------------------------------------------------------------------------
ids = [b'[101,7592,2088,102]',
       b'[]',
       b'[101,%d,102]' % V,
       b'[101,-1,102]',
       ('[' + ','.join(['101'] + ['7592'] * (P - 1) + ['102']) + ']').encode(),   # P + 1 tokens
       b'not json',
       b'[101,1.5,102]',
       b'[101,\x00102]',
       b'[101,\xff\xfe]',
       b'',
       b'[101,' + b'7592,' * (2 * MIB) + b'102]',                                   # 10 MiB: too long
       ('[' + ','.join(['101'] + ['7592'] * (P - 2) + ['102']) + ']').encode(),     # exactly P: fine
       b'[101,2023,2003,102]']
per_item('hostile_ids', ['embed', '--model', model, '--input', 'ids'], ids,
         {1: 'empty input', 2: 'outside the vocabulary', 3: 'outside the vocabulary',
          4: 'longer than max_position_embeddings', 5: 'JSON', 6: 'not an integer token id',
          7: 'invalid JSON', 8: 'invalid JSON', 9: 'invalid JSON', 10: 'longer than max_position_embeddings'},
         want_rss=RSS_BUDGET_MB)

# --- overlay: per-item errors as JSON lines, the rest computed --------------------
lines = [b'A man is playing a guitar.', b'', b'bad \xff utf8', b'The last line is fine.']
p = subprocess.run([exe, 'overlay', '--model', model, '--method', 'grad', '--target', 'sim:a guitar'],
                   input=b'\n'.join(lines) + b'\n', stdout=subprocess.PIPE, stderr=subprocess.PIPE)
rows = [json.loads(l) for l in p.stdout.decode().splitlines()]
ok = p.returncode == 2 and len(rows) == 4 and 'error' in rows[1] and 'error' in rows[2] and \
    'values' in rows[0] and 'values' in rows[3] and b'line 2: empty text' in p.stderr and b'line 3: invalid UTF-8' in p.stderr
check(ok, 'hostile_overlay_per_item', 'exit %d rows %r stderr %r' % (p.returncode, [list(r) for r in rows],
                                                                     p.stderr[-300:]))
