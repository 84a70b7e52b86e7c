#!/usr/bin/env bash
# `make run`: what batchml does, start to end, on one screen. Every step is a
# plain `./batchml` command you can copy. MODEL=DIR runs it on a real model.
set -euo pipefail
cd "$(dirname "$0")/.."
B=./batchml
OUT=${BATCHML_RUN_OUT:-build/run}
S=examples/sentences.txt
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; }

# 1. packages: a compiler and OpenBLAS (tools/deps.sh also installs what
#    `make test` needs; it does nothing when everything is there)
have_build_deps() { command -v cc >/dev/null && echo 'int main(void){return 0;}' | cc -x c - -lopenblas -o /dev/null 2>/dev/null; }
if [ -z "${BATCHML_NO_DEPS:-}" ]; then
    if ! bash tools/deps.sh; then
        have_build_deps || { echo "make run: tools/deps.sh failed and there is no C compiler with OpenBLAS; run: sudo make deps" >&2; exit 1; }
        echo "make run: tools/deps.sh failed (see above); going on: building and running need only cc and OpenBLAS" >&2
    fi
fi

step "build"
show "make batchml"
make -s batchml
mkdir -p "$OUT"

step "model"
if [ -n "${MODEL:-}" ]; then
    M=$MODEL
    echo "Using the model directory $M."
else
    M=build/minilm
    if [ -f $M/model.safetensors ]; then echo "$M exists (delete it to make it again)."
    else show "$B mkmodel $M --seed 42"; $B mkmodel $M --seed 42; fi
    printf '\033[1;33mNOTE:\033[0m %s has the all-MiniLM-L6-v2 architecture and tokenizer but RANDOM\n' "$M"
    echo "      weights (batchml mkmodel): every number below is real computation, but the"
    echo "      similarities mean nothing. For real results, download a model (see README.md):"
    echo "        huggingface-cli download sentence-transformers/all-MiniLM-L6-v2 --local-dir models/all-MiniLM-L6-v2"
    echo "        make run MODEL=models/all-MiniLM-L6-v2"
fi

step "info: what is in the model directory"
show "$B info $M"
$B info "$M"

step "embed: one vector per line"
show "head -2 $S | $B embed --model $M --format jsonl | cut -c1-90"
head -2 $S | $B embed --model "$M" --format jsonl | cut -c1-90
show "$B embed --model $M --format npy -o $OUT/sentences.npy < $S"
$B embed --model "$M" --format npy -o $OUT/sentences.npy < $S
echo "wrote $OUT/sentences.npy: $(wc -l < $S) rows, float32 (numpy.load reads it)"

step "index: embed the corpus into a searchable index"
show "$B index --model $M -o $OUT/sentences --progress < $S"
$B index --model "$M" -o $OUT/sentences --progress < $S

step "search: the best matches for two queries"
[ -z "${MODEL:-}" ] && echo "(random weights: the ranking is arbitrary here; a real model puts the pets and the food first)"
for q in "A pet is playing outside." "What should I cook for dinner?"; do
    show "$B search --index $OUT/sentences --model $M -k 3 \"$q\""
    $B search --index $OUT/sentences --model "$M" -k 3 "$q"
done

step "overlay: which words make a sentence close to a target"
if $B overlay --help >/dev/null 2>&1; then
    show "echo 'The soup was hot and tasty.' | $B overlay --model $M --method grad_x_input --target 'sim:a good meal' --format ansi"
    echo 'The soup was hot and tasty.' | $B overlay --model "$M" --method grad_x_input --target 'sim:a good meal' --format ansi
    echo "(background: red raises the similarity, blue lowers it)"
else
    echo "(this build has no 'batchml overlay' yet: skipped)"
fi

step "bench: throughput on this machine"
show "$B bench --model $M --batch-size 32 --repeat 5 $S"
$B bench --model "$M" --batch-size 32 --repeat 5 $S

printf '\nDone. Outputs are in %s/. Next: make test; README.md has the rest.\n' "$OUT"
