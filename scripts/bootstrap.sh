#!/usr/bin/env bash
# The README's first command: installs what is missing, builds onnxfold into
# build/, and runs its main job on the example model that ships with the
# repository: `optimize --verify` (BatchNormalization fused into the Convs,
# the result checked against the original with onnxfold's own executor),
# then `info` of the result.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DONNXFOLD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
build/onnxfold optimize examples/tiny_cnn.onnx build/tiny_cnn.opt.onnx --verify
build/onnxfold info build/tiny_cnn.opt.onnx
