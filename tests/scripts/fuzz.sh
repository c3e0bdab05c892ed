#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan, library and generated
# protobuf code instrumented for coverage) in their own build folder and runs
# them for FUZZ_SECONDS in all (default 60: fuzz_load gets half, fuzz_external
# the rest). FUZZ_SEED (default 1) makes CI runs repeatable: use another seed
# to explore. Seeds: conformance and example models, fuzz/seeds/ (made by
# fuzz/make_seeds.py: functions, sparse tensors, typed and large payloads,
# external data) and every input the fuzzers once broke (fuzz/regressions/).
# Prints each run's coverage (edges, features, inputs run); fails on any
# crash, leak, or property violation, and when a target sees fewer than
# MIN_EDGES (500) edges: the library must be instrumented, not only the
# harness (uninstrumented, libFuzzer saw about 5).
set -u
seconds=${FUZZ_SECONDS:-60}
seed=${FUZZ_SEED:-1}
min_edges=${MIN_EDGES:-500}
build="$WORK/fuzz-build"
command -v clang >/dev/null || { echo "clang is not installed (apt-get install clang)"; echo "0 passed, 1 failed"; exit 1; }
cmake -S "$SRC" -B "$build" -DCMAKE_C_COMPILER=clang -DONNXFOLD_FUZZ=ON -DONNXFOLD_SANITIZE=ON \
    -DONNXFOLD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$WORK/fuzz-cmake.log" 2>&1 ||
    { tail -20 "$WORK/fuzz-cmake.log"; exit 1; }
cmake --build "$build" --target fuzz_load fuzz_external -j2 >"$WORK/fuzz-build.log" 2>&1 ||
    { tail -30 "$WORK/fuzz-build.log"; exit 1; }

# corpus DIR FILES...: a fresh corpus folder holding copies of FILES.
corpus() {
    local dir=$1 i=0 f
    shift
    rm -rf "$dir" && mkdir -p "$dir"
    for f in "$@"; do
        [ -f "$f" ] && cp "$f" "$dir/seed_$i" && i=$((i + 1))
    done
    echo "$i"
}

# run NAME SECONDS CORPUS: fuzzes, prints the coverage summary, returns the status.
run() {
    local name=$1 secs=$2 dir=$3 log="$WORK/$1.log" status
    (cd "$WORK" && "$build/$name" "$dir" -max_total_time="$secs" -seed="$seed" -max_len=131072 \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1)
    status=$?
    local done_line inputs edges
    done_line=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED).*cov:' "$log" | tail -n 1)
    inputs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    edges=$(echo "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    echo "$name: ${inputs:-?} inputs in ${secs}s; $(echo "$done_line" | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' |
        sed 's/cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\)/\1 edges (cov), \2 features (ft), corpus \3/')"
    if [ $status -ne 0 ]; then
        tail -n 30 "$log"
        echo "$name found a problem (exit $status); see $log"
        return $status
    fi
    if [ "${edges:-0}" -lt "$min_edges" ]; then
        echo "$name saw only ${edges:-0} edges (< $min_edges): is the library instrumented?"
        return 1
    fi
}

shared_seeds=("$SRC"/examples/*.onnx
    "$SHARED"/onnx-node-tests/v1.22.0/test_{if,loop11,scan9_sum,conv_with_strides_padding,cast_FLOAT_to_STRING,ai_onnx_ml_label_encoder_tensor_mapping,sequence_map_add_2_sequences,optional_get_element_sequence}/model.onnx
    "$SRC"/tests/models/features.onnx)
n_load=$(corpus "$WORK/fuzz-corpus" "${shared_seeds[@]}" "$SRC"/fuzz/seeds/load/* "$SRC"/fuzz/regressions/*.onnx)
n_ext=$(corpus "$WORK/fuzz-corpus-external" "$SRC"/fuzz/seeds/external/* "$SRC"/fuzz/regressions/external/*)
half=$((seconds / 2))
echo "fuzzing for ${seconds}s (seed $seed): fuzz_load from $n_load seeds, fuzz_external from $n_ext"
fail=0
run fuzz_load "$half" "$WORK/fuzz-corpus" || fail=1
run fuzz_external "$((seconds - half))" "$WORK/fuzz-corpus-external" || fail=1
[ $fail -eq 0 ]
