#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for building, testing and
# benchmarking batchml. Safe to run again. Needs root (or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
pkgs="build-essential clang libopenblas-dev python3-torch python3-numpy unicode-data parallel chromium ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo nodejs npm gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 wine64 python3-scipy tcc libmicrohttpd-dev pkg-config wrk python3-sentencepiece python3-yaml"
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
# node/npm may come from another source (nodesource): accept any working node
if command -v node >/dev/null && command -v npm >/dev/null; then missing=$(echo "$missing" | sed 's/ nodejs//; s/ npm//'); fi
if [ -n "${missing// /}" ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
# Test oracles: HF tokenizers (native) and ONNX Runtime (CPU) from npm.
# onnxruntime-node's install script only fetches optional CUDA parts: skip it.
if [ ! -d tests/oracle/node_modules/tokenizers ] || [ ! -d tests/oracle/node_modules/onnxruntime-node ] || [ ! -d tests/oracle/node_modules/openai ]; then
    (cd tests/oracle && ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install --no-audit --no-fund --ignore-scripts)
fi
