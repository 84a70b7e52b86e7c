#!/usr/bin/env bash
# batchml serve under load, side by side with offline `batchml embed` of the
# same sentences on the same threads (issue 19). Standalone:
#   bash bench/serve.sh   (prints markdown; BENCH_SERVE_N sentences, default 2000)
# The load client is wrk (Debian's, with bench/peers/serve_load.lua: one
# connection per client, keep-alive, one sentence a request, BENCH_SERVE_S
# seconds, default 10), else bench/peers/serve_load.js (Node fetch: heavier,
# it takes more of the same 2 cores from the server). Either runs on the
# server's machine: the ratios include its CPU. Target: 64 clients >= 0.85x
# offline.
set -u
cd "$(dirname "$0")/.."
O=build/bench-out; mkdir -p $O
M=build/bench-models/minilm
N=${BENCH_SERVE_N:-2000}; TH=${BENCH_THREADS:-2}
[ -f $M/model.safetensors ] || ./batchml mkmodel $M --seed 1 2>/dev/null
{ cut -f6 tests/data/sts/sts-train.csv; cut -f7 tests/data/sts/sts-train.csv; } | head -$N > $O/serve-texts.txt
/usr/bin/python3 -c "import json,sys; [print(json.dumps({'input': l.rstrip('\n'), 'encoding_format': 'float'})) for l in open(sys.argv[1])]" \
    $O/serve-texts.txt > $O/serve-bodies.jsonl
SECS=${BENCH_SERVE_S:-10}
load() {  # load URL CLIENTS: one JSON line
    if command -v wrk >/dev/null; then
        BODIES=$O/serve-bodies.jsonl wrk -t 1 -c $2 -d ${SECS}s --timeout 30s -s bench/peers/serve_load.lua $1 | grep '^{'
    else node bench/peers/serve_load.js $1 $O/serve-texts.txt $2; fi
}
client=$(command -v wrk >/dev/null && echo "wrk, ${SECS} s a run" || echo "Node fetch, each sentence once")
if ./batchml serve 2>&1 | grep -q 'not built in'; then echo "batchml serve is not built in (libmicrohttpd-dev)" >&2; exit 1; fi
t0=$(date +%s.%N)
./batchml embed --model $M --threads $TH --format npy -o $O/serve-offline.npy < $O/serve-texts.txt 2>/dev/null
offline=$(echo "$N $t0 $(date +%s.%N)" | awk '{printf "%.1f", $1 / ($3 - $2)}')
run() {  # run LABEL CLIENTS SERVER-ARGS...: one server, one load
    local label=$1 c=$2; shift 2
    ./batchml serve --model $M --port 0 --threads $TH --queue 4096 "$@" 2>$O/serve-bench.log & local pid=$!
    local i url
    for i in $(seq 100); do grep -q '^listening on ' $O/serve-bench.log && break; sleep 0.1; done
    url=$(sed -n 's/^listening on \(http[^ ]*\)$/\1/p' $O/serve-bench.log)
    SECS=2 load $url 64 >/dev/null 2>&1 # warm-up
    local r; r=$(load $url $c)
    kill -TERM $pid; wait $pid
    echo "$r" | awk -v l="$label" -v c=$c -v off=$offline -F'[:,}]' '{
        for (i = 1; i < NF; i++) { gsub(/[" {]/, "", $i); v[$i] = $(i + 1) }
        printf "| %s | %s | %s | %.2fx | %s | %s | %s | %s |\n", l, c, v["sentences_per_s"], v["sentences_per_s"] / off, v["p50_ms"], v["p95_ms"], v["p99_ms"], v["failed"] }'
}
echo "### batchml serve under load (STS sentences, one a request, $TH threads, \`$(./batchml info --kernels | head -1)\` kernels; load: $client)"
echo
echo "Offline \`batchml embed\` of $N of the same sentences (whole process): $offline sentences/s."
echo
echo "| server | clients | sentences/s | vs offline | p50 ms | p95 ms | p99 ms | failed |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for c in 1 8 64; do run "batching (default)" $c; done
run "batching off (--max-batch-tokens 1)" 64 --max-batch-tokens 1
# the peer: llama.cpp's llama-server --embedding on the same weights as GGUF
# (bench/peers/to_gguf.py), built with cmake beside the project:
#   git clone https://github.com/ggerganov/llama.cpp ../llama.cpp && cd ../llama.cpp &&
#   cmake -B build -DGGML_NATIVE=ON -DLLAMA_CURL=OFF && cmake --build build -j --target llama-server
# Its settings: 4 slots (-np: continuous batching over them) and a batch and
# ubatch big enough for all of them at once. More slots would batch more, but
# this llama.cpp aborts (GGML_ASSERT "seq_id cannot be larger than n_tokens
# with pooling_type == MEAN", llama-context.cpp) as soon as a slot id is at
# least the tokens of its batch: with -np 64 a lone 9-token sentence on slot
# 37 kills it. 4 slots never meet a batch under 4 tokens. A small context
# (-c 512: 128 tokens a slot) because its attention spans the whole cache.
# Its clients open a connection per request (wrk with Connection: close):
# on a kept-alive connection each of its answers stalled ~40 ms here (14
# requests/s from one client, against 65/s with a connection each).
L=${LLAMA_CPP:-../llama.cpp}
if [ -x $L/build/bin/llama-server ] && command -v wrk >/dev/null; then
    [ -s $O/minilm.gguf ] && [ $O/minilm.gguf -nt $M/model.safetensors ] ||
        PYTHONPATH=$L/gguf-py /usr/bin/python3 bench/peers/to_gguf.py $M $O/minilm.gguf >&2
    lrun() {  # lrun CLIENTS
        local c=$1 port=$((20000 + RANDOM % 20000)) i r
        $L/build/bin/llama-server -m $O/minilm.gguf --embedding --pooling mean --port $port -t $TH -c 512 -b 512 \
            -ub 512 -np 4 > $O/llama-server.log 2>&1 & local pid=$!
        for i in $(seq 200); do curl -sf localhost:$port/health >/dev/null && break; sleep 0.1; done
        if [ $c = 1 ]; then  # agreement with batchml on the first sentences
            /usr/bin/python3 - $port $O/serve-texts.txt $O/serve-offline.npy <<'PY' >&2
import json, sys, urllib.request, numpy as np
port, texts, ref = sys.argv[1], open(sys.argv[2]).read().split('\n')[:20], np.load(sys.argv[3])
d = 0.0
for i, t in enumerate(texts):
    q = urllib.request.Request(f'http://127.0.0.1:{port}/v1/embeddings', json.dumps({'input': t}).encode(), {'Content-Type': 'application/json'})
    e = np.array(json.load(urllib.request.urlopen(q))['data'][0]['embedding'], dtype=np.float32)
    d = max(d, float(abs(e - ref[i]).max()))
open(sys.argv[3] + '.llama_diff', 'w').write('%.2g' % d)
PY
        fi
        SECS=2 CLOSE=1 load http://127.0.0.1:$port 4 >/dev/null 2>&1
        r=$(CLOSE=1 load http://127.0.0.1:$port $c)
        kill $pid; wait $pid 2>/dev/null
        echo "$r" | awk -v c=$c -v off=$offline -F'[:,}]' '{
            for (i = 1; i < NF; i++) { gsub(/[" {]/, "", $i); v[$i] = $(i + 1) }
            printf "| llama.cpp llama-server --embedding (-np 4) | %s | %s | %.2fx | %s | %s | %s | %s |\n", c, v["sentences_per_s"], v["sentences_per_s"] / off, v["p50_ms"], v["p95_ms"], v["p99_ms"], v["failed"] }'
    }
    for c in 1 8 64; do lrun $c; done
    echo
    echo "llama.cpp ($(git -C $L log -1 --format=%h 2>/dev/null || echo '?')) on the same weights (F32 GGUF): max abs diff"
    echo "$(cat $O/serve-offline.npy.llama_diff 2>/dev/null || echo '?') from batchml's embeddings over the first 20 sentences."
else
    echo
    echo "No peer in this run: llama.cpp's llama-server was not found at $L (LLAMA_CPP=DIR; build it as above)."
fi
echo
echo "Target (issue 19): 64 clients at >= 0.85x offline."
