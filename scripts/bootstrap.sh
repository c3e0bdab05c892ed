#!/usr/bin/env bash
# The README's first command: installs what is missing, builds onnxfold into
# build/, and runs it on the example model that ships with the repository:
# `info`, then a lossless `convert` round trip checked byte for byte.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DONNXFOLD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
build/onnxfold info examples/tiny_cnn.onnx
build/onnxfold convert examples/tiny_cnn.onnx build/tiny_cnn.roundtrip.onnx
cmp examples/tiny_cnn.onnx build/tiny_cnn.roundtrip.onnx
echo "round trip: build/tiny_cnn.roundtrip.onnx is byte-identical to examples/tiny_cnn.onnx"
