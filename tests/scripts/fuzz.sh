#!/usr/bin/env bash
# Builds the libFuzzer target with clang (ASan+UBSan) in its own build folder
# and runs it for FUZZ_SECONDS (default 60; FUZZ_SEED, default 1, makes CI runs
# repeatable: use another seed to explore) from a seed corpus of conformance
# and example models. Fails on any crash, leak, or property violation.
set -u
seconds=${FUZZ_SECONDS:-60}
build="$WORK/fuzz-build"
corpus="$WORK/fuzz-corpus"
command -v clang >/dev/null || { echo "clang is not installed (apt-get install clang)"; echo "0 passed, 1 failed"; exit 1; }
cmake -S "$SRC" -B "$build" -DCMAKE_C_COMPILER=clang -DONNXFOLD_FUZZ=ON -DONNXFOLD_SANITIZE=ON \
    -DONNXFOLD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$WORK/fuzz-cmake.log" 2>&1 ||
    { tail -20 "$WORK/fuzz-cmake.log"; exit 1; }
cmake --build "$build" --target fuzz_load -j2 >"$WORK/fuzz-build.log" 2>&1 ||
    { tail -30 "$WORK/fuzz-build.log"; exit 1; }
rm -rf "$corpus" && mkdir -p "$corpus"
i=0
for f in "$SRC"/examples/*.onnx "$SHARED"/onnx-node-tests/v1.22.0/test_{if,loop11,scan9_sum,conv_with_strides_padding,cast_FLOAT_to_STRING,ai_onnx_ml_label_encoder_tensor_mapping,sequence_map_add_2_sequences,optional_get_element_sequence}/model.onnx; do
    [ -f "$f" ] && cp "$f" "$corpus/seed_$i.onnx" && i=$((i + 1))
done
for f in "$SRC"/fuzz/regressions/* "$SRC"/tests/models/features.onnx; do
    [ -f "$f" ] && cp "$f" "$corpus/seed_$i.onnx" && i=$((i + 1))
done
echo "fuzzing for ${seconds}s from $i seeds"
"$build/fuzz_load" "$corpus" -max_total_time="$seconds" -seed="${FUZZ_SEED:-1}" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 >"$WORK/fuzz.log" 2>&1
status=$?
tail -n 15 "$WORK/fuzz.log"
[ $status -eq 0 ] || { echo "fuzzer found a problem (exit $status); see $WORK/fuzz.log"; exit 1; }
