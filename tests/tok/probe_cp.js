#!/usr/bin/env node
// Dumps what HF tokenizers does with every Unicode scalar value on its own:
//   HEX;normalized code points (hex, space-separated);class
// class: P (the pre-tokenizer isolates it: punctuation), W (splits and drops
// it: whitespace), N (neither). Normalizer and pre-tokenizer come from the
// tokenizer.json given. tests/tokenizer_unicode.test compares this with
// build/tests/tokenizer_unit --dump-cp.
'use strict';
const path = require('path');
const { Tokenizer } = require(path.join(__dirname, '../oracle/node_modules/tokenizers'));
const tok = Tokenizer.fromFile(process.argv[2]);
const norm = tok.getNormalizer(), pre = tok.getPreTokenizer();
const out = [];
for (let cp = 0; cp < 0x110000; cp++) {
  if (cp >= 0xD800 && cp < 0xE000) continue;
  const s = String.fromCodePoint(cp);
  const n = norm.normalizeString(s);
  const p = pre.preTokenizeString('a' + s + 'b');
  const cls = p.length === 3 ? 'P' : (p.length === 2 ? 'W' : 'N');
  out.push(cp.toString(16) + ';' + [...n].map((c) => c.codePointAt(0).toString(16)).join(' ') + ';' + cls);
}
process.stdout.write(out.join('\n') + '\n');
