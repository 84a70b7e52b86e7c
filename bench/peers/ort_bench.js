#!/usr/bin/env node
// ort_bench.js -- ONNX Runtime (npm onnxruntime-node 1.30, CPU) peer for the
// embedding benchmark, following BENCHMARKS.md (project notes).
//
// Run:
//   node bench/peers/ort_bench.js --model model.onnx --ids FILE.jsonl
//        [--batch 32] [--threads 2] [--sort | --no-sort] [--repeat 1]
//        [--out emb.npy] [--no-bench]
//   model.onnx from bench/peers/export_onnx.py (inputs input_ids,
//   attention_mask [B,L] int64; output embeddings [B,D]); FILE.jsonl from
//   bench/peers/make_ids.js (one JSON array of token ids per line).
//
// Protocol (as sentence-transformers encode): sentences ordered by token
// length, longest first (--sort, the default; --no-sort keeps file order),
// cut into batches of --batch, each padded to its longest with
// attention_mask 0 on the padding.  Session: graphOptimizationLevel 'all',
// intraOpNumThreads = --threads, interOpNumThreads 1, sequential.  One
// warm-up pass over the corpus, then --repeat timed passes over the whole
// corpus; prints one JSON line {"system":"onnxruntime","batch":..,
// "threads":..,"sentences_per_s":..,"tokens_per_s":..,"n":..} (median pass;
// tokens = real tokens, padding not counted; all passes in "runs_s").
// --out writes the embeddings (float32, input order) as .npy for correctness
// checks; --no-bench does only one pass (for --out) and prints no timing.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require(path.join(__dirname, '../../tests/oracle/node_modules/onnxruntime-node'));

function parseArgs(argv) {
  const a = { model: null, ids: null, batch: 32, threads: 2, sort: true, repeat: 1, out: null, bench: true };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--sort') a.sort = true;
    else if (k === '--no-sort') a.sort = false;
    else if (k === '--no-bench') a.bench = false;
    else if (k === '--model') a.model = argv[++i];
    else if (k === '--ids') a.ids = argv[++i];
    else if (k === '--out') a.out = argv[++i];
    else if (k === '--batch') a.batch = parseInt(argv[++i], 10);
    else if (k === '--threads') a.threads = parseInt(argv[++i], 10);
    else if (k === '--repeat') a.repeat = parseInt(argv[++i], 10);
    else throw new Error('unknown argument ' + k);
  }
  if (!a.model || !a.ids) throw new Error('usage: ort_bench.js --model M.onnx --ids F.jsonl [...]');
  if (!(a.batch >= 1 && a.threads >= 1 && a.repeat >= 1)) throw new Error('bad --batch/--threads/--repeat');
  return a;
}

function readIds(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter(l => l.trim()).map(l => JSON.parse(l));
}

// Precompute the padded batches (tensor construction is not timed, as the
// token ids are given to every system ready-made).
function makeBatches(ids, batch, sort) {
  const order = ids.map((_, i) => i);
  if (sort) order.sort((x, y) => (ids[y].length - ids[x].length) || (x - y));
  const out = [];
  for (let s = 0; s < order.length; s += batch) {
    const idx = order.slice(s, s + batch);
    const L = Math.max(...idx.map(i => ids[i].length));
    const t = new BigInt64Array(idx.length * L);
    const m = new BigInt64Array(idx.length * L);
    idx.forEach((i, j) => {
      ids[i].forEach((v, p) => { t[j * L + p] = BigInt(v); m[j * L + p] = 1n; });
    });
    out.push({ idx, feeds: {
      input_ids: new ort.Tensor('int64', t, [idx.length, L]),
      attention_mask: new ort.Tensor('int64', m, [idx.length, L]),
    } });
  }
  return out;
}

function writeNpy(file, data, n, d) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${d}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const ids = readIds(a.ids);
  const ntok = ids.reduce((s, x) => s + x.length, 0);
  const sess = await ort.InferenceSession.create(a.model, {
    graphOptimizationLevel: 'all', intraOpNumThreads: a.threads, interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const outName = sess.outputNames[0];
  const batches = makeBatches(ids, a.batch, a.sort);
  let emb = null, D = 0;
  async function pass(keep) {
    for (const b of batches) {
      const r = await sess.run(b.feeds);
      if (keep) {
        const o = r[outName];
        D = o.dims[1];
        if (!emb) emb = new Float32Array(ids.length * D);
        b.idx.forEach((i, j) => emb.set(o.data.subarray(j * D, (j + 1) * D), i * D));
      }
    }
  }
  await pass(!!a.out);                      // warm-up (and the --out pass)
  if (a.out) writeNpy(a.out, emb, ids.length, D);
  if (!a.bench) return;
  const runs = [];
  for (let r = 0; r < a.repeat; r++) {
    const t0 = process.hrtime.bigint();
    await pass(false);
    runs.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const sorted = runs.slice().sort((x, y) => x - y);
  const med = sorted[Math.floor((sorted.length - 1) / 2)];
  console.log(JSON.stringify({
    system: 'onnxruntime', version: ort.env.versions ? ort.env.versions.common : undefined,
    batch: a.batch, threads: a.threads, sorted: a.sort,
    sentences_per_s: +(ids.length / med).toFixed(1), tokens_per_s: +(ntok / med).toFixed(1),
    n: ids.length, tokens: ntok, runs_s: runs.map(x => +x.toFixed(4)),
  }));
}
main().catch(e => { console.error(String(e && e.stack || e)); process.exit(1); });
