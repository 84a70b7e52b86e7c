-- wrk script for bench/serve.sh: every request one sentence, cycling
-- through the request bodies in $BODIES (one JSON body a line, made by
-- bench/serve.sh); done() prints one JSON line.
local bodies = {}
for line in io.lines(os.getenv("BODIES")) do bodies[#bodies + 1] = line end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if os.getenv("CLOSE") == "1" then wrk.headers["Connection"] = "close" end
request = function()
  i = i % #bodies + 1
  return wrk.format(nil, os.getenv("ENDPOINT") or "/v1/embeddings", nil, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"seconds":%.3f,"failed":%d,"sentences_per_s":%.1f,"p50_ms":%.2f,"p95_ms":%.2f,"p99_ms":%.2f}\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.status + e.timeout,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
end
