#!/usr/bin/env bash
# The OpenCL path beside the CPU path, in one run, on the same model
# (random weights, all-MiniLM-L6-v2's shape) and the same STS texts (the
# first N of bench/sts_texts.sh: for N <= 1,000, the first sentences of
# tests/data/sts/sts-train.csv, the redistributable STS-train rows; above
# 3,500 they repeat):
# embeddings (batch 32, sorted by length) and grad overlays. Prints markdown
# (bench/run.sh puts it into bench/RESULTS.md). On a machine whose only
# OpenCL device is PoCL's CPU driver this compares two ways of using the
# same cores: expect the OpenCL path to be slower there.
#   BENCH_CL_N=1000 (texts)  BENCH_THREADS=2  BENCH_CL_DEVICE=opencl
set -u
cd "$(dirname "$0")/.."
N=${BENCH_CL_N:-1000}; NOV=${BENCH_CL_NOV:-64}; TH=${BENCH_THREADS:-2}; DEV=${BENCH_CL_DEVICE:-opencl}
O=build/bench-opencl; mkdir -p $O
M=build/bench-models/minilm
echo "## OpenCL path"
echo
if ! make -s batchml build/bench/opencl_bench >/dev/null 2>$O/make.err; then
    echo "Not built: $(tail -1 $O/make.err)"; exit 0
fi
[ -f $M/model.safetensors ] || ./batchml mkmodel $M --seed 1 >/dev/null 2>&1
bash bench/sts_texts.sh $N > $O/texts.txt
B=build/bench/opencl_bench
cpu=$($B embed $M $O/texts.txt $N cpu 32 $TH 2>/dev/null)
dev=$(env -u BATCHML_OPENCL_PROFILE $B embed $M $O/texts.txt $N $DEV 32 $TH 2>$O/embed.err)
if [ -z "$dev" ]; then
    echo "No OpenCL run: $(grep -v '^profile\|uploaded' $O/embed.err | tail -1)"; exit 0
fi
BATCHML_OPENCL_PROFILE=1 $B embed $M $O/texts.txt $((N < 400 ? N : 400)) $DEV 32 $TH > /dev/null 2> $O/profile.txt
ocpu=$($B overlay $M $O/texts.txt $NOV cpu $TH 2>/dev/null)
odev=$($B overlay $M $O/texts.txt $NOV $DEV $TH 2>/dev/null)
/usr/bin/python3 - "$cpu" "$dev" "$ocpu" "$odev" $O/profile.txt "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(nproc)" <<'PY'
import json, sys
cpu, dev = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ocpu = json.loads(sys.argv[3]) if sys.argv[3] else None
odev = json.loads(sys.argv[4]) if sys.argv[4] else None
prof, cpuname, ncpu = sys.argv[5], sys.argv[6], sys.argv[7]
print(f'Device: {dev["device_name"]}; CPU path: {cpu["threads"]} threads on {cpuname} ({ncpu} cores). '
      f'{cpu["sentences"]} STS sentences (tests/data/sts; {cpu["tokens"]} tokens), MiniLM-L6 shape, batch {cpu["batch"]}; '
      'one warm-up pass of 256 sentences first (OpenCL kernels are compiled there).\n')
print('| path | embeddings: sentences/s | tokens/s | vs CPU | model load s | warm-up s | grad overlays/s | vs CPU |')
print('|---|---:|---:|---:|---:|---:|---:|---:|')
for r, o in ((cpu, ocpu), (dev, odev)):
    name = 'CPU (OpenBLAS)' if r is cpu else f'OpenCL ({r["device"]})'
    ov = f'{o["overlays_per_s"]:.1f}' if o else '-'
    ovr = f'{o["overlays_per_s"] / ocpu["overlays_per_s"]:.2f}x' if o and ocpu else '-'
    print(f'| {name} | {r["sentences_per_s"]:.0f} | {r["tokens_per_s"]:.0f} | {r["sentences_per_s"] / cpu["sentences_per_s"]:.2f}x '
          f'| {r["load_s"]:.2f} | {r["warmup_s"]:.2f} | {ov} | {ovr} |')
rows = [l.split() for l in open(prof) if l.startswith('profile ')]
if rows:
    print('\nWhere the device time goes (BATCHML_OPENCL_PROFILE=1, each kernel timed alone):\n')
    print('| kernel | launches | ms | share |')
    print('|---|---:|---:|---:|')
    for r in rows:
        if r[1] == 'GEMMs':
            continue
        print(f'| {r[1]} | {r[2]} | {r[4]} | {r[6]} |')
    g = [r for r in rows if r[1] == 'GEMMs']
    if g:
        print(f'\nGEMM rate on the device: {g[0][2]} GFLOP/s.')
PY
