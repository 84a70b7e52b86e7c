#!/usr/bin/env bash
# make test-aarch64: the aarch64 build (NEON kernels) under qemu-aarch64.
#   - batchml info names the NEON kernels;
#   - forward pass vs the float64 PyTorch reference computed on this (x86)
#     machine, <= 1e-5 on normalized embeddings, and vs the x86 build, <= 1e-5;
#   - F16 and BF16 models bitwise their float32 twins (embed, grad overlay);
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
# 16-bit weights (NEON's widening loads): bitwise the float32 twin's
# (tests/weights16.test has the x86 side), embed and a grad overlay
[ -f $B/arm-w16/model.safetensors ] || ./batchml mkmodel $B/arm-w16 --seed 73 --layers 2 --hidden 36 --heads 4 --inter 60 2>/dev/null
/usr/bin/python3 tests/gen_ids.py 24 9 > $O/ids-w16.jsonl
head -6 $O/ids-w16.jsonl > $O/ids-w16-6.jsonl
for dt in F16 BF16; do
    rm -rf $O/w16-$dt $O/w16-$dt-twin
    /usr/bin/python3 tests/st_dtype.py $B/arm-w16 $O/w16-$dt $dt && /usr/bin/python3 tests/st_dtype.py $O/w16-$dt $O/w16-$dt-twin F32 \
        || { echo "FAIL aarch64_w16[$dt]: st_dtype.py failed" | tee -a $log; continue; }
    ./batchml embed --model $O/w16-$dt --input ids --format npy -o $O/w16-x86-$dt.npy < $O/ids-w16.jsonl
    for isa in neon generic; do
        for v in $dt $dt-twin; do
            BATCHML_ISA=$isa $Q build/aarch64/batchml embed --model $O/w16-$v --input ids --format npy -o $O/w16-$isa-$v.npy \
                < $O/ids-w16.jsonl || echo "FAIL aarch64_w16[$v/$isa]: batchml embed exited $?" | tee -a $log
        done
        if cmp -s $O/w16-$isa-$dt.npy $O/w16-$isa-$dt-twin.npy; then echo "PASS aarch64_w16_twin[$dt/$isa]"
        else echo "FAIL aarch64_w16_twin[$dt/$isa]: the $dt model and its float32 twin differ"; fi | tee -a $log
        /usr/bin/python3 tests/compare_npy.py "aarch64_w16_vs_x86[$dt/$isa]" $O/w16-$isa-$dt.npy $O/w16-x86-$dt.npy 1e-5 | tee -a $log
    done
    for v in $dt $dt-twin; do
        $Q build/aarch64/batchml overlay --model $O/w16-$v --input ids --method grad --target "sim:a dog runs" \
            --batch-size 8 < $O/ids-w16-6.jsonl > $O/w16-ov-$v.jsonl || echo "FAIL aarch64_w16_overlay[$v]: exited $?" | tee -a $log
    done
    if cmp -s $O/w16-ov-$dt.jsonl $O/w16-ov-$dt-twin.jsonl; then echo "PASS aarch64_w16_overlay[$dt]"
    else echo "FAIL aarch64_w16_overlay[$dt]: the $dt model's overlays and its twin's differ"; fi | tee -a $log
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
