// The client half of tests/serve.test: the official `openai` npm client and
// raw fetch against a running `batchml serve`. Every embedding must equal,
// float32 for float32, what `batchml embed` wrote for the same text (the
// .npy files the shell script made).
// usage: node serve_client.js URL API_KEY DIR [overload]   (DIR: texts.txt,
//        ref.npy, ref8.npy; prints PASS/FAIL lines)
'use strict';
const fs = require('fs');
const path = require('path');
const OpenAI = require(path.join(__dirname, 'oracle/node_modules/openai')).default;

const [url, key, dir] = process.argv.slice(2);
const texts = fs.readFileSync(path.join(dir, 'texts.txt'), 'utf8').split('\n').filter((l) => l.length);
let failed = 0;
function check(ok, name, msg) {
  if (ok) console.log(`PASS ${name}`);
  else { console.log(`FAIL ${name}: ${msg}`); failed++; }
}
function readNpy(file) {  // C-order float32 (n, h)
  const b = fs.readFileSync(file);
  const hl = b.readUInt16LE(8), header = b.slice(10, 10 + hl).toString('latin1');
  const shape = header.match(/\((\d+), (\d+)\)/);
  const n = +shape[1], h = +shape[2], data = new Float32Array(b.buffer.slice(b.byteOffset + 10 + hl, b.byteOffset + b.length));
  return Array.from({ length: n }, (_, i) => data.subarray(i * h, (i + 1) * h));
}
const ref = readNpy(path.join(dir, 'ref.npy')), ref8 = readNpy(path.join(dir, 'ref8.npy')), refq = readNpy(path.join(dir, 'refq.npy'));
const H = ref[0].length;
function same(a, b) {  // a: numbers (parsed JSON) or Float32Array, b: Float32Array
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (Math.fround(a[i]) !== b[i]) return false;
  return true;
}
function b64floats(s) {
  const buf = Buffer.from(s, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
}
const client = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0, timeout: 60000 });
async function raw(method, p, body, headers = {}) {
  const h = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', ...headers };
  const r = await fetch(url + p, { method, headers: h, body });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
  return { status: r.status, headers: r.headers, text, json };
}
async function healthy() {
  const r = await raw('GET', '/health');
  const e = await raw('POST', '/v1/embeddings', JSON.stringify({ input: texts[0], encoding_format: 'float' }));
  return r.status === 200 && e.status === 200 && same(e.json.data[0].embedding, ref[0]);
}

async function overload() {  // a server with a 4-input queue: 429s, never 5xx, right answers, healthy after
  const rs = await Promise.all(Array.from({ length: 200 }, (_, i) =>
    raw('POST', '/v1/embeddings', JSON.stringify({ input: texts[i % texts.length], encoding_format: 'float' }))
      .then((x) => ({ i, ...x }), (e) => ({ i, status: `error ${e.message}` }))));
  const n429 = rs.filter((x) => x.status === 429), n200 = rs.filter((x) => x.status === 200);
  const bad = rs.filter((x) => x.status !== 429 && x.status !== 200);
  check(n429.length > 0 && n429.every((x) => x.headers.get('retry-after') && x.json && x.json.error.code === 429),
        'serve_overload_429', `${n429.length} answers 429 (with Retry-After and a JSON error)`);
  check(bad.length === 0 && n200.every((x) => same(x.json.data[0].embedding, ref[x.i % texts.length])), 'serve_overload_no_5xx',
        `${bad.length} answers neither 200 nor 429 (${bad.slice(0, 3).map((x) => x.status)}); 200s exact`);
  check(await healthy(), 'serve_overload_healthy_after', 'not healthy after the overload');
  process.exit(failed ? 1 : 0);
}

(async () => {
  if (process.argv[5] === 'overload') return overload();
  // 1. the openai client
  let r = await client.embeddings.create({ model: 'anything', input: texts[0] });  // the client asks base64 and decodes
  check(r.data.length === 1 && same(r.data[0].embedding, ref[0]) && r.model === 'anything', 'serve_openai_string',
        `got ${r.data.length} rows, model ${r.model}`);
  r = await client.embeddings.create({ model: 'm', input: texts.slice(0, 5), encoding_format: 'float' });
  check(r.data.length === 5 && r.data.every((d, i) => d.index === i && same(d.embedding, ref[i])), 'serve_openai_array_float',
        'rows differ from batchml embed');
  r = await client.embeddings.create({ model: 'm', input: texts.slice(0, 3), encoding_format: 'base64' });
  check(r.data.every((d, i) => typeof d.embedding === 'string' && same(b64floats(d.embedding), ref[i])), 'serve_openai_base64',
        'base64 rows differ');
  r = await client.embeddings.create({ model: 'm', input: texts.slice(0, 4), dimensions: 8, encoding_format: 'float' });
  check(r.data.every((d, i) => same(d.embedding, ref8[i])), 'serve_openai_dimensions', 'rows differ from embed --dimensions 8');
  const pq = await raw('POST', '/v1/embeddings', JSON.stringify({ input: texts.slice(0, 3), prompt_name: 'query', encoding_format: 'float' }));
  check(pq.status === 200 && pq.json.data.every((d, i) => same(d.embedding, refq[i])), 'serve_prompt_name',
        `status ${pq.status}: rows differ from embed --prompt-name query`);
  // token ids: /tokenize's ids embed to the text's embedding; usage counts them
  const tk = await raw('POST', '/tokenize', JSON.stringify({ inputs: texts.slice(0, 4) }));
  r = await client.embeddings.create({ model: 'm', input: tk.json, encoding_format: 'float' });
  const ntok = tk.json.reduce((a, x) => a + x.length, 0);
  check(r.data.every((d, i) => same(d.embedding, ref[i])) && r.usage.prompt_tokens === ntok && r.usage.total_tokens === ntok,
        'serve_openai_token_ids', `usage ${JSON.stringify(r.usage)}, tokens ${ntok}`);
  // 2. 64 concurrent clients, one sentence each
  const many = await Promise.all(Array.from({ length: 64 }, (_, i) =>
    client.embeddings.create({ model: 'm', input: texts[i % texts.length], encoding_format: 'float' })));
  check(many.every((x, i) => same(x.data[0].embedding, ref[i % texts.length])), 'serve_concurrent_64', 'some answers differ');
  // 3. TEI /embed, /v1/models, /metrics
  const te = await raw('POST', '/embed', JSON.stringify({ inputs: [texts[1], texts[2]] }));
  check(te.status === 200 && same(te.json[0], ref[1]) && same(te.json[1], ref[2]), 'serve_tei_embed', `status ${te.status}`);
  const mo = await raw('GET', '/v1/models');
  check(mo.status === 200 && mo.json.data.length === 1 && mo.json.object === 'list', 'serve_models', mo.text);
  const me = await raw('GET', '/metrics');
  check(me.status === 200 && /batchml_requests_total\{endpoint="\/v1\/embeddings",status="200"\} \d+/.test(me.text) &&
        /batchml_batch_size_bucket\{le="\+Inf"\} \d+/.test(me.text) && /batchml_queue_depth \d+/.test(me.text),
        'serve_metrics', me.text.slice(0, 200));
  // gradient overlays over HTTP: the objects `batchml overlay --format jsonl` printed
  const ovWant = fs.readFileSync(path.join(dir, 'ov.jsonl'), 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l));
  const ov = await raw('POST', '/v1/overlays', JSON.stringify({ input: texts.slice(0, 3), method: 'grad_x_input', target: 'sim:a happy dog' }));
  check(ov.status === 200 && ov.json.data.length === 3 && JSON.stringify(ov.json.data) === JSON.stringify(ovWant),
        'serve_overlays_equal_cli', `status ${ov.status}: ${ov.text.slice(0, 200)}`);
  // 4. malformed and abusive requests: each a 4xx JSON error, the server fine after
  const long = 'word '.repeat(5000);
  const cases = [
    ['bad_json', 'POST', '/v1/embeddings', '{"input": ', 400],
    ['not_object', 'POST', '/v1/embeddings', '[1,2]', 400],
    ['input_number', 'POST', '/v1/embeddings', '{"input": 5}', 400],
    ['input_missing', 'POST', '/v1/embeddings', '{"model": "m"}', 400],
    ['empty_string', 'POST', '/v1/embeddings', '{"input": ""}', 400],
    ['empty_list', 'POST', '/v1/embeddings', '{"input": []}', 400],
    ['mixed_list', 'POST', '/v1/embeddings', '{"input": ["a", 3]}', 400],
    ['lone_surrogate', 'POST', '/v1/embeddings', '{"input": "a \\ud800 b"}', 400],
    ['invalid_utf8', 'POST', '/v1/embeddings', Buffer.from([0x7b, 0x22, 0x69, 0x6e, 0x70, 0x75, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 400],
    ['ids_out_of_range', 'POST', '/v1/embeddings', '{"input": [[101, 99999999, 102]]}', 400],
    ['ids_negative', 'POST', '/v1/embeddings', '{"input": [[101, -5, 102]]}', 400],
    ['ids_fraction', 'POST', '/v1/embeddings', '{"input": [[101, 1.5, 102]]}', 400],
    ['dimensions_zero', 'POST', '/v1/embeddings', '{"input": "a", "dimensions": 0}', 400],
    ['dimensions_over', 'POST', '/v1/embeddings', `{"input": "a", "dimensions": ${H + 1}}`, 400],
    ['dimensions_huge', 'POST', '/v1/embeddings', '{"input": "a", "dimensions": 1e999}', 400],
    ['format_unknown', 'POST', '/v1/embeddings', '{"input": "a", "encoding_format": "hex"}', 400],
    ['duplicate_key', 'POST', '/v1/embeddings', '{"input": "a", "input": "b"}', 400],
    ['deep_nesting', 'POST', '/v1/embeddings', '{"input": ' + '['.repeat(5000) + ']'.repeat(5000) + '}', 400],
    ['too_many_inputs', 'POST', '/v1/embeddings', JSON.stringify({ input: Array(17).fill('a') }), 422],
    ['body_too_big', 'POST', '/v1/embeddings', JSON.stringify({ input: 'x'.repeat(70000) }), 413],
    ['truncate_false_long', 'POST', '/embed', JSON.stringify({ inputs: long, truncate: false }), 422],
    ['overlay_bad_method', 'POST', '/v1/overlays', '{"input": "a", "method": "magic", "target": "sim:x"}', 400],
    ['overlay_file_target', 'POST', '/v1/overlays', '{"input": "a", "method": "grad", "target": "value:/etc/passwd"}', 400],
    ['overlay_bad_steps', 'POST', '/v1/overlays', '{"input": "a", "method": "integrated_gradients", "target": "sim:x", "steps": 0}', 400],
    ['prompt_name_unknown', 'POST', '/v1/embeddings', '{"input": "a", "prompt_name": "nope"}', 400],
    ['prompt_name_ids', 'POST', '/v1/embeddings', '{"input": [[101, 102]], "prompt_name": "query"}', 400],
    ['unknown_path', 'POST', '/v2/nothing', '{}', 404],
    ['wrong_method', 'GET', '/v1/embeddings', undefined, 405],
    ['no_key', 'POST', '/v1/embeddings', '{"input": "a"}', 401, { Authorization: '' }],
    ['wrong_key', 'POST', '/v1/embeddings', '{"input": "a"}', 401, { Authorization: 'Bearer nope' }],
  ];
  for (const [name, method, p, body, want, hdr] of cases) {
    let got;
    try { got = await raw(method, p, body, hdr || {}); } catch (e) { got = { status: `error ${e.message}` }; }
    const shaped = got.json && got.json.error && typeof got.json.error.message === 'string' && got.json.error.code === want;
    check(got.status === want && shaped, `serve_rejects_${name}`, `status ${got.status} (want ${want}): ${(got.text || '').slice(0, 160)}`);
  }
  const longOk = await raw('POST', '/embed', JSON.stringify({ inputs: long }));
  check(longOk.status === 200, 'serve_truncate_true_long', `status ${longOk.status}`);
  check(await healthy(), 'serve_alive_after_abuse', 'health or a plain request failed after the malformed ones');
  console.log(`# ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.log(`FAIL serve_client: ${e.stack}`); process.exit(1); });
