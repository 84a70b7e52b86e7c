#!/usr/bin/env bash
# make test-aarch64: the aarch64 build (NEON kernels) under qemu-aarch64.
#   - batchml info names the NEON kernels;
#   - forward pass vs the float64 PyTorch reference computed on this (x86)
#     machine, <= 1e-5 on normalized embeddings, and vs the x86 build, <= 1e-5;
#   - tests/isa.c (neon vs generic within 1e-6, batched == single bitwise,
#     deterministic across threads), batching, overlays, exporter and
#     tokenizer unit tests, under qemu.
# Ends with "N passed, N failed". Nothing here is timed.
set -u
cd "$(dirname "$0")/../.."
export BML_TEST_QUICK=1   # batch-size loops: every 5th (tests/bml_test.h)
export QEMU_LD_PREFIX=${QEMU_LD_PREFIX:-/usr/aarch64-linux-gnu}
Q=${QEMU_AARCH64:-qemu-aarch64}
B=build/test-models; O=build/test-aarch64; mkdir -p $B $O
PLATFORM=aarch64 EMULATOR=qemu
. tests/platform/check.sh
command -v $Q >/dev/null || { echo "FAIL aarch64: $Q not found (make deps installs qemu-user)" | tee -a $log; }
[ -f $B/arm-tiny/model.safetensors ] || ./batchml mkmodel $B/arm-tiny --seed 71 --layers 2 --hidden 32 --heads 4 --inter 64 2>/dev/null
[ -f $B/arm-full/model.safetensors ] || ./batchml mkmodel $B/arm-full --seed 72 2>/dev/null
k=$($Q build/aarch64/batchml info --kernels 2>&1 | head -1)
i=$($Q build/aarch64/batchml info $B/arm-tiny 2>&1 | grep '^kernels')
if [ "$k" = neon ] && echo "$i" | grep -q 'kernels *neon'; then echo "PASS aarch64_info_neon ($i)"; else echo "FAIL aarch64_info_neon: --kernels '$k', info '$i'"; fi | tee -a $log
for name in arm-tiny arm-full; do
    n=40; [ $name = arm-full ] && n=16
    /usr/bin/python3 tests/gen_ids.py $n 7 128 > $O/ids-$name.jsonl
    /usr/bin/python3 tests/oracle_cache.py --out $O/ref-$name.npy -- /usr/bin/python3 tests/ref/torch_ref.py embed --model $B/$name --ids $O/ids-$name.jsonl --out $O/ref-$name.npy 2>$O/ref.err \
        || { echo "FAIL aarch64_forward[$name]: torch_ref failed: $(tail -1 $O/ref.err)" | tee -a $log; continue; }
    ./batchml embed --model $B/$name --input ids --format npy -o $O/x86-$name.npy < $O/ids-$name.jsonl
    for isa in neon generic; do
        BATCHML_ISA=$isa $Q build/aarch64/batchml embed --model $B/$name --input ids --format npy -o $O/arm-$isa-$name.npy \
            < $O/ids-$name.jsonl || { echo "FAIL aarch64_forward[$name/$isa]: batchml embed exited $?" | tee -a $log; continue; }
        /usr/bin/python3 tests/compare_npy.py "aarch64_forward_vs_torch[$name/$isa]" $O/arm-$isa-$name.npy $O/ref-$name.npy 1e-5 --normalize | tee -a $log
        /usr/bin/python3 tests/compare_npy.py "aarch64_vs_x86[$name/$isa]" $O/arm-$isa-$name.npy $O/x86-$name.npy 1e-5 | tee -a $log
    done
done
check $Q build/aarch64/tests/isa $B/arm-tiny   # the full shape: the forward checks above (qemu is ~50x slower)
check $Q build/aarch64/tests/batch $B/arm-tiny
mkdir -p $O/overlay $O/exporter
check $Q build/aarch64/tests/overlay $B/arm-tiny $O/overlay
check $Q build/aarch64/tests/exporter $B/arm-tiny $O/exporter
bash tests/tok/model_dir.sh build/tok/minilm-l6-arch >/dev/null 2>&1
check $Q build/aarch64/tests/tokenizer_unit build/tok/minilm-l6-arch
p=$(grep -c '^PASS ' $log); f=$(grep -c '^FAIL ' $log)
rm -f $log
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
