#!/usr/bin/env python3
"""Runs a reference oracle once per distinct input and replays its output after.

    /usr/bin/python3 tests/oracle_cache.py [--out FILE]... -- CMD ARG...

The oracles (PyTorch references, the Hugging Face `tokenizers` scripts) are
pure functions of their inputs, and the same inputs come back many times in
one CI run: the suite runs once plainly, then again under each sanitizer (in
copies of the tree, tests/fuzz/sanitize.sh), and tests/simd_sets.test reruns
the forward and overlay tests once per kernel set. Only our side of each
comparison changes between those runs, so the oracle's answer is computed
once and reused; nothing of ours is ever cached.

The key is the SHA-256 of: the command line; the bytes of every argument that
names an existing file (also each piece of an argument split at ':' or '=',
as in --target value:FILE), every file under an argument that names a
directory (a model directory: its weights, config, tokenizer); the sibling
.py/.js files of the oracle script (its helper modules); and stdin when it
is a regular file (`< FILE`; any other stdin is not read: /dev/null). The
--out FILEs are the oracle's outputs: not part of the key, restored on a hit.
Stdout is replayed; stderr passes through and is not kept. Only a run that
exits 0 is stored. A stale entry is impossible short of an oracle reading an
input not on its command line or stdin (none does: environment variables
only pick OpenBLAS kernels).

The cache is BML_ORACLE_CACHE (default build/oracle-cache; `make clean`
empties it); BML_ORACLE_CACHE=off runs the oracle every time.
"""
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile


def hash_file(h, path):
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)


def hash_path(h, path, seen):
    real = os.path.realpath(path)
    if real in seen:
        return
    seen.add(real)
    if os.path.isfile(path):
        h.update(b'F' + path.encode() + b'\0')
        hash_file(h, path)
    elif os.path.isdir(path):
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                p = os.path.join(root, name)
                h.update(b'D' + os.path.relpath(p, path).encode() + b'\0')
                hash_file(h, p)


def main(argv):
    outs = []
    while argv and argv[0] != '--':
        if argv[0] == '--out' and len(argv) > 1:
            outs.append(argv[1])
            argv = argv[2:]
        else:
            sys.exit(f'oracle_cache.py: unknown option {argv[0]!r} (usage: [--out FILE]... -- CMD ARG...)')
    cmd = argv[1:]
    if not cmd:
        sys.exit('oracle_cache.py: no command after --')
    # stdin is part of the input only when it is a file (`< FILE`); anything
    # else (a terminal, CI's pipe) is not read and the oracle gets /dev/null
    try:
        stdin = sys.stdin.buffer.read() if stat.S_ISREG(os.fstat(0).st_mode) else None
    except OSError:
        stdin = None
    cache = os.environ.get('BML_ORACLE_CACHE', 'build/oracle-cache')

    def run():
        if stdin is None:
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        else:
            p = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE)
        return p.returncode, p.stdout

    if cache == 'off':
        rc, out = run()
        sys.stdout.buffer.write(out)
        return rc

    h = hashlib.sha256()
    h.update(repr(cmd).encode() + b'\0' + repr(outs).encode() + b'\0')
    seen = set(os.path.realpath(o) for o in outs)
    for a in cmd:
        for piece in [a] + a.replace('=', ':').split(':'):
            if piece and os.path.exists(piece):
                hash_path(h, piece, seen)
                if os.path.isfile(piece) and piece.endswith(('.py', '.js')):
                    d = os.path.dirname(piece) or '.'
                    for s in sorted(os.listdir(d)):
                        if s.endswith(('.py', '.js')):
                            hash_path(h, os.path.join(d, s), seen)
    h.update(b'NOSTDIN' if stdin is None else b'STDIN' + stdin)
    entry = os.path.join(cache, h.hexdigest())

    if os.path.isdir(entry):
        try:
            for i, o in enumerate(outs):
                shutil.copyfile(os.path.join(entry, f'out{i}'), o)
            with open(os.path.join(entry, 'stdout'), 'rb') as f:
                sys.stdout.buffer.write(f.read())
            return 0
        except OSError:
            pass  # a damaged entry: run the oracle again

    rc, out = run()
    sys.stdout.buffer.write(out)
    if rc != 0:
        return rc
    try:
        os.makedirs(cache, exist_ok=True)
        tmp = tempfile.mkdtemp(dir=cache, prefix='.tmp-')
        with open(os.path.join(tmp, 'stdout'), 'wb') as f:
            f.write(out)
        for i, o in enumerate(outs):
            shutil.copyfile(o, os.path.join(tmp, f'out{i}'))
        shutil.rmtree(entry, ignore_errors=True)
        os.rename(tmp, entry)
    except OSError as e:
        print(f'oracle_cache.py: not cached ({e})', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
