#!/usr/bin/env node
// tokenize.js -- reference tokenization with the npm HF `tokenizers` package
// (0.23.2, from tests/oracle/node_modules), for the Python reference scripts
// and tests.
//
// Run:  node tests/ref/tokenize.js TOKENIZER.json [--max-len 256] < texts.txt > ids.jsonl
//   (or a model directory instead of TOKENIZER.json: uses DIR/tokenizer.json)
// Reads one text per input line (a line that is a JSON string literal, i.e.
// starts with '"', is JSON-decoded first, so texts with newlines/tabs can be
// passed), writes one JSON array of ids per line: padding disabled,
// truncation to --max-len (default 256), [CLS]/[SEP] added -- what
// sentence-transformers feeds all-MiniLM-L6-v2.
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require(path.join(__dirname, '../oracle/node_modules/tokenizers'));

async function main() {
  const argv = process.argv.slice(2);
  let file = null, maxLen = 256;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--max-len') maxLen = parseInt(argv[++i], 10);
    else if (!file) file = argv[i];
    else throw new Error('unexpected argument ' + argv[i]);
  }
  if (!file) throw new Error('usage: tokenize.js TOKENIZER.json|MODEL_DIR [--max-len N] < texts');
  if (fs.statSync(file).isDirectory()) file = path.join(file, 'tokenizer.json');
  const tok = Tokenizer.fromFile(file);
  tok.disablePadding();
  tok.setTruncation(maxLen);
  let text = fs.readFileSync(0, 'utf8');
  if (text.endsWith('\n')) text = text.slice(0, -1);
  const lines = text.length ? text.split('\n') : [];
  const out = [];
  for (let line of lines) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.startsWith('"')) line = JSON.parse(line);
    const enc = await tok.encode(line);
    out.push(JSON.stringify(Array.from(enc.getIds())));
  }
  process.stdout.write(out.length ? out.join('\n') + '\n' : '');
}
main().catch(e => { console.error(String(e && e.stack || e)); process.exit(1); });
