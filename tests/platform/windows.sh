#!/usr/bin/env bash
# make test-windows: the MinGW-w64 build (build/windows/*.exe) under wine64.
#   - batchml.exe info --kernels lists what the Linux build lists here;
#   - batchml.exe embed (ids, and texts through its tokenizer) vs the float64
#     PyTorch reference, <= 1e-5 on normalized embeddings, and vs the Linux
#     build, <= 1e-5; .npy written to stdout and to a file (binary, no CRLF);
#   - the header compiles warning-free (-Wpedantic -Werror) as C and C++;
#   - an F16 model bitwise its float32 twin, and within 1e-5 of Linux;
#   - UTF-8 paths: a model directory and an output file with non-ASCII names;
#   - an existing output is replaced, an output that is an input refused;
#   - overlay --export says clearly that Windows has no exporter;
#   - tests/isa.c, batching, overlays and the tokenizer unit tests as .exe.
# Ends with "N passed, N failed". Nothing here is timed.
set -u
cd "$(dirname "$0")/../.."
export BML_TEST_QUICK=1   # batch-size loops: every 5th (tests/bml_test.h)
export WINEDEBUG=-all WINEPREFIX=${WINEPREFIX:-$PWD/build/wineprefix}
W=${WINE64:-$(command -v wine64 || echo /usr/lib/wine/wine64)}
X=build/windows/batchml.exe
B=build/test-models; O=build/test-windows; rm -rf $O; mkdir -p $B $O
PLATFORM=windows EMULATOR=wine
. tests/platform/check.sh
[ -x "$W" ] || { say "FAIL windows: wine64 not found (make deps installs wine64)"; }
[ -f $B/win-tiny/model.safetensors ] || ./batchml mkmodel $B/win-tiny --seed 81 --layers 2 --hidden 32 --heads 4 --inter 64 2>/dev/null
[ -f $B/win-full/model.safetensors ] || ./batchml mkmodel $B/win-full --seed 82 2>/dev/null
"$W" $X --help > /dev/null 2>&1   # the first run sets up the wine prefix
# the header alone, as a user's MinGW build compiles it: warning-free, C and C++
for lang in c c++; do
    if ${WIN_CC:-x86_64-w64-mingw32-gcc} -x $lang -O1 -Wall -Wextra -Wpedantic -Werror -DBATCHML_NO_BLAS -DBATCHML_IMPLEMENTATION \
        -c -o $O/hdr.o batchml.h 2>$O/hdr.err; then say "PASS windows_header_warning_free[$lang]"
    else say "FAIL windows_header_warning_free[$lang]: $(head -3 $O/hdr.err | tr '\n' ' ')"; fi
done
k=$("$W" $X info --kernels 2>&1 | tr -d '\r' | tr '\n' ' '); kl=$(./batchml info --kernels | tr '\n' ' ')
[ "$k" = "$kl" ] && say "PASS windows_info_kernels ($k)" || say "FAIL windows_info_kernels: '$k', the Linux build '$kl'"
for name in win-tiny win-full; do
    n=40; [ $name = win-full ] && n=24
    /usr/bin/python3 tests/gen_ids.py $n 9 128 > $O/ids-$name.jsonl
    /usr/bin/python3 tests/oracle_cache.py --out $O/ref-$name.npy -- /usr/bin/python3 tests/ref/torch_ref.py embed \
        --model $B/$name --ids $O/ids-$name.jsonl --out $O/ref-$name.npy 2>$O/ref.err \
        || { say "FAIL windows_forward[$name]: torch_ref failed: $(tail -1 $O/ref.err)"; continue; }
    ./batchml embed --model $B/$name --input ids --format npy -o $O/linux-$name.npy < $O/ids-$name.jsonl
    "$W" $X embed --model $B/$name --input ids --format npy -o $O/win-$name.npy < $O/ids-$name.jsonl \
        || { say "FAIL windows_forward[$name]: batchml.exe embed exited $?"; continue; }
    /usr/bin/python3 tests/compare_npy.py "windows_forward_vs_torch[$name]" $O/win-$name.npy $O/ref-$name.npy 1e-5 --normalize | tee -a $log
    /usr/bin/python3 tests/compare_npy.py "windows_vs_linux[$name]" $O/win-$name.npy $O/linux-$name.npy 1e-5 | tee -a $log
done
# a 16-bit model (kept 16-bit, widened in the kernels): bitwise its float32 twin's, and vs Linux
[ -f $B/win-w16/model.safetensors ] || ./batchml mkmodel $B/win-w16 --seed 83 --layers 2 --hidden 36 --heads 4 --inter 60 2>/dev/null
/usr/bin/python3 tests/gen_ids.py 24 11 > $O/ids-w16.jsonl
if /usr/bin/python3 tests/st_dtype.py $B/win-w16 $O/w16 F16 && /usr/bin/python3 tests/st_dtype.py $O/w16 $O/w16-twin F32; then
    ./batchml embed --model $O/w16 --input ids --format npy -o $O/linux-w16.npy < $O/ids-w16.jsonl
    "$W" $X embed --model $O/w16 --input ids --format npy -o $O/win-w16.npy < $O/ids-w16.jsonl
    "$W" $X embed --model $O/w16-twin --input ids --format npy -o $O/win-w16-twin.npy < $O/ids-w16.jsonl
    [ -s $O/win-w16.npy ] && cmp -s $O/win-w16.npy $O/win-w16-twin.npy && say "PASS windows_f16_twin" \
        || say "FAIL windows_f16_twin: the F16 model and its float32 twin differ (or embed failed)"
    /usr/bin/python3 tests/compare_npy.py "windows_f16_vs_linux" $O/win-w16.npy $O/linux-w16.npy 1e-5 | tee -a $log
else
    say "FAIL windows_f16: st_dtype.py failed"
fi
# texts (the tokenizer) with CRLF and non-ASCII lines, .npy to stdout
printf 'A man is playing a guitar.\r\nUne femme coupe un oignon à la cuisine\nÜbermäßig 中文 ﬁ\n\n' > $O/texts.txt
./batchml embed --model $B/win-tiny --format npy < $O/texts.txt > $O/linux-texts.npy 2>/dev/null
"$W" $X embed --model $B/win-tiny --format npy < $O/texts.txt > $O/win-texts.npy 2>/dev/null
/usr/bin/python3 tests/compare_npy.py "windows_texts_stdout_vs_linux" $O/win-texts.npy $O/linux-texts.npy 1e-5 | tee -a $log
./batchml tokenize --model $B/win-tiny < $O/texts.txt > $O/linux-tok.jsonl
"$W" $X tokenize --model $B/win-tiny < $O/texts.txt > $O/win-tok.jsonl
cmp -s $O/linux-tok.jsonl $O/win-tok.jsonl && say "PASS windows_tokenize_same_bytes" \
    || say "FAIL windows_tokenize_same_bytes: $(diff $O/linux-tok.jsonl $O/win-tok.jsonl | head -4 | tr '\n' ' ')"
# UTF-8 paths
U="$O/modèle ü 中"; mkdir -p "$U"; cp -r $B/win-tiny/. "$U/"
"$W" $X embed --model "$U" --input ids --format npy -o "$O/sortie-é.npy" < $O/ids-win-tiny.jsonl 2>$O/utf8.err
if [ -s "$O/sortie-é.npy" ] && cmp -s "$O/sortie-é.npy" $O/win-win-tiny.npy; then say "PASS windows_utf8_paths"
else say "FAIL windows_utf8_paths: $(head -c 300 $O/utf8.err)"; fi
# an existing output is replaced whole (rename onto it); an output that is an input is refused
echo junk > $O/exists.npy
"$W" $X embed --model $B/win-tiny --input ids --format npy -o $O/exists.npy < $O/ids-win-tiny.jsonl 2>$O/exists.err
cmp -s $O/exists.npy $O/win-win-tiny.npy && say "PASS windows_output_replaced" || say "FAIL windows_output_replaced: $(head -c 300 $O/exists.err)"
cp $B/win-tiny/vocab.txt $O/vocab.keep
"$W" $X embed --model "$U" --input ids -o "$U/vocab.txt" < $O/ids-win-tiny.jsonl > /dev/null 2>$O/same.err; st=$?
[ $st -ne 0 ] && grep -q 'is the input' $O/same.err && cmp -s "$U/vocab.txt" $O/vocab.keep && say "PASS windows_output_is_input_refused" \
    || say "FAIL windows_output_is_input_refused: exit $st, $(head -c 300 $O/same.err)"
# the exporter: a clear refusal, exit 1
"$W" $X overlay --model $B/win-tiny --method grad --target "sim:x" --export $O/exp < $O/texts.txt > /dev/null 2>$O/exp.err; st=$?
[ $st -eq 1 ] && grep -q 'no exporter' $O/exp.err && say "PASS windows_export_refused" \
    || say "FAIL windows_export_refused: exit $st, $(head -c 200 $O/exp.err)"
check "$W" build/windows/tests/isa.exe $B/win-tiny
check "$W" build/windows/tests/batch.exe $B/win-tiny
mkdir -p $O/overlay
check "$W" build/windows/tests/overlay.exe $B/win-tiny $O/overlay
bash tests/tok/model_dir.sh build/tok/minilm-l6-arch >/dev/null 2>&1
check "$W" build/windows/tests/tokenizer_unit.exe build/tok/minilm-l6-arch
p=$(grep -c '^PASS ' $log); f=$(grep -c '^FAIL ' $log)
rm -f $log
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
