#!/usr/bin/env node
// make_ids.js — writes the benchmark corpus as token ids, shared by every
// system in the embedding benchmark (batchml, ONNX Runtime, PyTorch).
//
// Run:  node bench/peers/make_ids.js [--n 4000] [--out FILE.jsonl]
//         [--corpus /work/shared/corpora/sts/sts-train.csv]
//         [--tokenizer /work/shared/models/minilm-l6-arch/tokenizer.json]
//         [--texts FILE.txt]   (also write the sentences, one per line)
//
// The corpus is STS-train (tab-separated; the two sentences are columns 6 and
// 7).  The benchmark sentences are the first sentences (column 6) of the
// first --n rows, in file order (then the second sentences, for --n above
// the 5,749 rows) -- this reproduces the corpus described in
// /work/shared/BENCHMARKS.md (n=4000: mean 15.89 tokens, max 70).  Each is tokenized with the npm HF
// `tokenizers` package from the all-MiniLM-L6-v2 tokenizer.json, padding
// disabled, truncation 256, [CLS]/[SEP] added.  Output: one JSON array of ids
// per line.  Prints a summary (n, mean and max length) to stderr.
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require(path.join(__dirname, '../../tests/oracle/node_modules/tokenizers'));

function parseArgs(argv, defs) {
  const a = Object.assign({}, defs);
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (!k.startsWith('--')) throw new Error('unexpected argument ' + k);
    const name = k.slice(2);
    if (!(name in a)) throw new Error('unknown option ' + k);
    a[name] = argv[++i];
  }
  return a;
}

async function main() {
  const repo = path.join(__dirname, '../..');
  const args = parseArgs(process.argv.slice(2), {
    n: '4000', out: '-', texts: '',
    corpus: path.join(repo, '../shared/corpora/sts/sts-train.csv'),
    tokenizer: path.join(repo, '../shared/models/minilm-l6-arch/tokenizer.json'),
  });
  const n = parseInt(args.n, 10);
  const lines = fs.readFileSync(args.corpus, 'utf8').split('\n');
  const sents = [];
  // first sentences in file order; past them (n > rows: the 10,000-sentence
  // memory run), the second sentences in file order
  for (const col of [5, 6]) {
    for (const line of lines) {
      if (sents.length >= n) break;
      const f = line.split('\t');
      if (f.length < 7) continue;
      sents.push(f[col]);
    }
  }
  if (sents.length < n) throw new Error(`corpus has only ${sents.length} sentences`);
  const tok = Tokenizer.fromFile(args.tokenizer);
  tok.disablePadding();
  tok.setTruncation(256);
  const out = [];
  let tot = 0, mx = 0;
  for (const s of sents) {
    const enc = await tok.encode(s);
    const ids = Array.from(enc.getIds());
    tot += ids.length; mx = Math.max(mx, ids.length);
    out.push(JSON.stringify(ids));
  }
  const text = out.join('\n') + '\n';
  if (args.out === '-') process.stdout.write(text); else fs.writeFileSync(args.out, text);
  if (args.texts) fs.writeFileSync(args.texts, sents.join('\n') + '\n');
  process.stderr.write(`make_ids: n=${n} mean_len=${(tot / n).toFixed(2)} max_len=${mx} tokens=${tot}\n`);
}
main().catch(e => { console.error(e); process.exit(1); });
