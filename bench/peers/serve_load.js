// A load client for bench/serve.sh: C concurrent clients, each sending one
// sentence per request (POST /v1/embeddings, keep-alive: Node's fetch keeps
// connections), until every sentence of the file was sent once. Prints one
// JSON line: sentences/s over the whole run and the p50/p95/p99 latency of
// one request, in ms; any non-200 answer is counted and reported.
// usage: node serve_load.js URL TEXTS_FILE CLIENTS [PATH]
'use strict';
const fs = require('fs');
const [url, file, cstr, p] = process.argv.slice(2);
const texts = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length);
const C = +cstr, path = p || '/v1/embeddings';
let next = 0, bad = 0;
const lat = [];
async function client() {
  while (next < texts.length) {
    const t = texts[next++];
    const t0 = process.hrtime.bigint();
    const body = path === '/embed' ? { inputs: t } : { input: t, encoding_format: 'float' };
    const r = await fetch(url + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    await r.arrayBuffer();
    if (r.status !== 200) bad++;
    lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}
(async () => {
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: C }, client));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  lat.sort((a, b) => a - b);
  const q = (x) => lat[Math.min(lat.length - 1, Math.round(x * (lat.length - 1)))];
  console.log(JSON.stringify({ clients: C, requests: lat.length, failed: bad, seconds: +s.toFixed(3),
    sentences_per_s: +(lat.length / s).toFixed(1), p50_ms: +q(0.5).toFixed(2), p95_ms: +q(0.95).toFixed(2), p99_ms: +q(0.99).toFixed(2) }));
})().catch((e) => { console.error(e.stack); process.exit(1); });
