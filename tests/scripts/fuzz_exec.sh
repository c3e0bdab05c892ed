#!/usr/bin/env bash
# Builds the executor's libFuzzer target (fuzz/fuzz_exec.c) with clang
# (ASan+UBSan; the library instrumented for coverage, as for fuzz_load) in its
# own build folder and runs it for FUZZ_SECONDS (default 60) from FUZZ_SEED
# (default 1) and an empty corpus: the input bytes choose the graph, so
# libFuzzer grows its own corpus. Prints the coverage (edges, features, inputs
# run); fails on any crash, leak, undefined behaviour, a failure without a
# message, a value whose inferred static shape or dtype the executor does not
# produce, or fewer than MIN_EDGES (default 2000) edges seen. Crash inputs are
# left in $WORK/fuzz-exec (replay one: fuzz_exec FILE; FUZZ_EXEC_SAVE=m.onnx
# fuzz_exec FILE saves its model).
set -u
seconds=${FUZZ_SECONDS:-60}
seed=${FUZZ_SEED:-1}
min_edges=${MIN_EDGES:-2000}
build="$WORK/fuzz-exec-build"
out="$WORK/fuzz-exec"
command -v clang >/dev/null || { echo "clang is not installed (apt-get install clang)"; echo "0 passed, 1 failed"; exit 1; }
cmake -S "$SRC" -B "$build" -DCMAKE_C_COMPILER=clang -DONNXFOLD_FUZZ=ON -DONNXFOLD_SANITIZE=ON \
    -DONNXFOLD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$WORK/fuzz-exec-cmake.log" 2>&1 ||
    { tail -20 "$WORK/fuzz-exec-cmake.log"; exit 1; }
cmake --build "$build" --target fuzz_exec -j2 >"$WORK/fuzz-exec-build.log" 2>&1 ||
    { tail -30 "$WORK/fuzz-exec-build.log"; exit 1; }
rm -rf "$out" && mkdir -p "$out/corpus" || exit 1
# the inputs of earlier findings first: each must now run clean
for f in "$SRC"/tests/fuzz/findings/exec/*.bin; do
    if ! "$build/fuzz_exec" "$f" >"$out/replay.log" 2>&1; then
        grep -E 'runtime error|ERROR: |fuzz_exec: ' "$out/replay.log" | head -n 3
        echo "fuzz_exec: the finding $(basename "$f") is back"
        exit 1
    fi
done
echo "fuzzing the executor for ${seconds}s (seed $seed)"
start=$SECONDS
(cd "$out" && "$build/fuzz_exec" corpus -max_total_time="$seconds" -seed="$seed" -max_len=4096 \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$out/fuzz.log" 2>&1)
status=$?
line=$(grep -E '^#[0-9]+.*cov:' "$out/fuzz.log" | tail -n 1)
edges=$(echo "$line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
inputs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz.log")
echo "fuzz_exec: ${inputs:-?} inputs in $((SECONDS - start))s; $(echo "$line" | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' |
    sed 's/cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\)/\1 edges (cov), \2 features (ft), corpus \3/')"
if [ $status -ne 0 ]; then
    grep -E 'runtime error|ERROR: |fuzz_exec: |SUMMARY' "$out/fuzz.log" | head -n 5
    tail -n 8 "$out/fuzz.log"
    echo "fuzz_exec found a problem (exit $status); see $out"
    exit 1
fi
if [ "${edges:-0}" -lt "$min_edges" ]; then
    echo "fuzz_exec saw only ${edges:-0} edges (< $min_edges): is the library instrumented?"
    exit 1
fi
