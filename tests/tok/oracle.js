#!/usr/bin/env node
// The reference: Hugging Face `tokenizers` (npm, the official native binding)
// on the same lines batchml tokenizes, written in batchml's CLI format.
//
//   node tests/tok/oracle.js --tokenizer PATH/tokenizer.json [--max-len 256]
//        [--mode encode|decode|pairs|bench] < input > output
//
// encode: one text a line (only '\n' ends a line; the bytes are decoded the
//         way batchml --on-invalid replace does: maximal invalid subparts ->
//         U+FFFD) -> {"ids":[...],"tokens":[...],"offsets":[[s,e],...]} with
//         HF's character offsets converted to byte offsets of the input line.
// decode: each line a JSON array of ids -> the text (skip special tokens).
// pairs:  each line "a\tb" -> the pair encoding, plus "type_ids"; offsets of
//         the second text index that text.
// bench:  prints one JSON object with HF's tokens/s on the lines, one at a
//         time (encode) and in batches (encodeBatch).
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require(path.join(__dirname, '../oracle/node_modules/tokenizers'));

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

// Decode UTF-8 bytes into code points with their byte spans; invalid
// sequences become U+FFFD over their maximal subpart (Unicode 3.9).
function decodeSpans(buf) {
  const cps = [], starts = [];
  let i = 0;
  const n = buf.length;
  while (i < n) {
    const c = buf[i];
    starts.push(i);
    if (c < 0x80) { cps.push(c); i++; continue; }
    let need, v, lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) { need = 1; v = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { need = 2; v = c & 0x0f; if (c === 0xe0) lo = 0xa0; else if (c === 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { need = 3; v = c & 0x07; if (c === 0xf0) lo = 0x90; else if (c === 0xf4) hi = 0x8f; }
    else { cps.push(0xfffd); i++; continue; }
    let k = 1, bad = false;
    for (; k <= need; k++) {
      if (i + k >= n) { bad = true; break; }
      const d = buf[i + k];
      if (d < lo || d > hi) { bad = true; break; }
      lo = 0x80; hi = 0xbf;
      v = (v << 6) | (d & 0x3f);
    }
    if (bad) { cps.push(0xfffd); i += k; } else { cps.push(v); i += need + 1; }
  }
  starts.push(n);
  let s = '';
  for (let j = 0; j < cps.length; j += 4096) s += String.fromCodePoint(...cps.slice(j, j + 4096));
  return { text: s, starts };
}

function readLines() {
  const data = fs.readFileSync(0);
  const lines = [];
  let p = 0;
  for (;;) {
    const q = data.indexOf(10, p);
    if (q < 0) { if (p < data.length) lines.push(data.subarray(p)); break; }
    lines.push(data.subarray(p, q));
    p = q + 1;
  }
  return lines;
}

function encJson(enc, starts, extra) {
  const offs = enc.getOffsets().map(([a, b]) => (a === 0 && b === 0) ? [0, 0] : [starts[a], starts[b]]);
  const o = { ids: enc.getIds(), tokens: enc.getTokens(), offsets: offs };
  if (extra) o.type_ids = enc.getTypeIds();
  return JSON.stringify(o);
}

async function main() {
  const tok = Tokenizer.fromFile(arg('--tokenizer'));
  const maxLen = parseInt(arg('--max-len', '256'), 10);
  const mode = arg('--mode', 'encode');
  tok.setPadding({ maxLength: 1 });
  tok.disablePadding();
  if (maxLen > 0) tok.setTruncation(maxLen); else tok.disableTruncation();
  const lines = readLines();
  const out = [];
  const B = 512;
  if (mode === 'encode') {
    for (let i = 0; i < lines.length; i += B) {
      const dec = lines.slice(i, i + B).map(decodeSpans);
      const encs = await tok.encodeBatch(dec.map((d) => d.text));
      encs.forEach((e, j) => {
        // special tokens from the template get (0,0); a special matched in the
        // text keeps its span. Tell them apart by the special-tokens mask
        // only for template positions: HF reports (0,0) for those already.
        out.push(encJson(e, dec[j].starts, false));
      });
    }
  } else if (mode === 'pairs') {
    for (let i = 0; i < lines.length; i += B) {
      const chunk = lines.slice(i, i + B).map((buf) => {
        const t = buf.indexOf(9);
        const a = t < 0 ? buf : buf.subarray(0, t), b = t < 0 ? Buffer.alloc(0) : buf.subarray(t + 1);
        return [decodeSpans(a), decodeSpans(b)];
      });
      const encs = await Promise.all(chunk.map(([a, b]) => tok.encode(a.text, b.text)));
      encs.forEach((e, j) => {
        const [a, b] = chunk[j];
        const seq = e.getSequenceIds();
        const offs = e.getOffsets().map(([x, y], k) => {
          if (seq[k] === null || seq[k] === undefined) return [0, 0];
          const st = seq[k] === 0 ? a.starts : b.starts;
          return [st[x], st[y]];
        });
        out.push(JSON.stringify({ ids: e.getIds(), tokens: e.getTokens(), offsets: offs, type_ids: e.getTypeIds() }));
      });
    }
  } else if (mode === 'decode') {
    for (const buf of lines) out.push(await tok.decode(JSON.parse(buf.toString('utf8')), true));
  } else if (mode === 'bench') {
    const texts = lines.map((b) => b.toString('utf8'));
    const reps = parseInt(arg('--reps', '3'), 10);
    let ntok = 0;
    for (const t of texts.slice(0, 200)) await tok.encode(t);    // warm-up
    let best1 = Infinity, bestB = Infinity;
    for (let r = 0; r < reps; r++) {
      let t0 = process.hrtime.bigint();
      ntok = 0;
      for (const t of texts) ntok += (await tok.encode(t)).getLength();
      best1 = Math.min(best1, Number(process.hrtime.bigint() - t0) / 1e9);
      t0 = process.hrtime.bigint();
      for (let i = 0; i < texts.length; i += 1000) await tok.encodeBatch(texts.slice(i, i + 1000));
      bestB = Math.min(bestB, Number(process.hrtime.bigint() - t0) / 1e9);
    }
    out.push(JSON.stringify({ texts: texts.length, tokens: ntok, one_s: best1, batch_s: bestB,
      one_tok_s: ntok / best1, batch_tok_s: ntok / bestB }));
  }
  process.stdout.write(out.length ? out.join('\n') + '\n' : '');
}

main().catch((e) => { console.error(e); process.exit(1); });
