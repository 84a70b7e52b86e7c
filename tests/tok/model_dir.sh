#!/usr/bin/env bash
# tests/tok/model_dir.sh OUT -- the all-MiniLM-L6-v2 tokenizer directory the
# tokenizer tests load, put together in OUT from what the repo holds: the
# tokenizer files from assets/minilm-l6-arch and config.json /
# sentence_bert_config.json from tests/data/minilm-l6-arch (all unmodified,
# from the same Hugging Face model). Prints nothing; exits non-zero when a
# file is missing.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$1
mkdir -p "$OUT"
for f in vocab.txt tokenizer.json tokenizer_config.json special_tokens_map.json; do
    cp "$ROOT/assets/minilm-l6-arch/$f" "$OUT/$f"
done
for f in config.json sentence_bert_config.json; do
    cp "$ROOT/tests/data/minilm-l6-arch/$f" "$OUT/$f"
done
