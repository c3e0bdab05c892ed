#!/usr/bin/env bash
# Self-test of the onnxruntime reference harness in tests/interop, end to end:
#  * committed models (calibrated resnet18, whose output must change with the
#    input, and mobilenet_v3_small; the transformer block with batch 2 and
#    seq 7; the If/Loop model on both branches; the shared-weight Conv model;
#    the model whose initializers are also inputs): gen_inputs.py,
#    then ort_run.js with graph optimizations off and at "all"; compare_npy.py
#    must find the two in agreement; the If/Loop outputs must also equal a
#    numpy evaluation of the same computation;
#  * .npy and TensorProto .pb reading and writing for every supported dtype
#    (byte-identical through an Identity model, NaN/inf/extremes included);
#  * compare_npy.py must fail on spoiled outputs (a large error, NaN, shape,
#    dtype, an integer off by one, a missing or extra file) and pass a tiny one;
#  * --time, --save-optimized, and exit 2 with one "ort_run: " line on bad
#    arguments and failed runs.
# Needs node and the repository's node_modules/onnxruntime-node
# (scripts/deps.sh test installs both).
. "$(dirname "$0")/lib.sh"
prog=ort_run
node=${NODE:-node}
ort="$SRC/tests/interop/ort_run.js"
gen="$SRC/tests/interop/gen_inputs.py"
cmpn="$SRC/tests/interop/compare_npy.py"
util="$SRC/tests/scripts/ort_selftest_util.py"
models="$SRC/tests/models"

if ! command -v "$node" >/dev/null || [ ! -f "$SRC/node_modules/onnxruntime-node/package.json" ]; then
    echo "FAIL: needs node and $SRC/node_modules/onnxruntime-node: run scripts/deps.sh test"
    fail=$((fail + 1))
    finish
fi

# expect_exit CODE CMD...: CMD exits with status CODE.
expect_exit() {
    local want=$1
    shift
    "$@"
    [ $? -eq "$want" ]
}

# resolves_in_repo: ort_run.js finds onnxruntime-node in $SRC/node_modules
# (node reports the real path, symlinks resolved).
resolves_in_repo() {
    local p want
    p=$(cd "$SRC/tests/interop" && "$node" -p 'require.resolve("onnxruntime-node")') || return 1
    want=$(readlink -f "$SRC/node_modules/onnxruntime-node")
    echo "resolved $p, wanted a file in $want"
    case "$p" in "$want/"*) return 0 ;; *) return 1 ;; esac
}

# ort DIR_IN DIR_OUT MODEL OPT [ARGS...]: one single-thread onnxruntime run.
ort() {
    "$node" "$ort" "$3" --input-dir "$1" --output-dir "$2" --threads 1 --opt "$4" "${@:5}"
}

# agree NAME MODEL [GEN_ARGS...]: random inputs; onnxruntime with graph
# optimizations off and at "all" agree within compare_npy's default bound.
agree() {
    local name=$1 model=$2 d="$work/$1"
    shift 2
    check "$name: gen_inputs" py "$gen" "$model" "$d/in" "$@"
    check "$name: ort_run --opt disabled" ort "$d/in" "$d/ref" "$model" disabled
    check "$name: ort_run --opt all" ort "$d/in" "$d/all" "$model" all
    check "$name: disabled and all agree" py "$cmpn" "$d/all" "$d/ref"
}

check "onnxruntime-node resolves from the repository's node_modules" resolves_in_repo

# --- committed models
r18="$models/torch/resnet18_cal_op13.onnx.gz"
agree resnet18_cal_op13 "$r18"
agree mobilenet_v3_small_cal_op17 "$models/torch/mobilenet_v3_small_cal_op17.onnx.gz" --seed 1
for op in 13 17; do
    agree transformer_block_op$op "$models/small/transformer_block_op$op.onnx.gz" \
        --dim batch=2 --dim seq=7
done
check "gen_inputs --dim shape" sh -c '"$1" "$2" "$3" "$4" --dim batch=2 --dim seq=7 | grep -qx "0 input float32 \[2, 7, 64\]"' \
    sh "$PYTHON" "$gen" "$models/small/transformer_block_op13.onnx.gz" "$work/dimcheck"
for op in 13 17; do
    lif="$models/small/loop_if_op$op.onnx.gz"
    agree loop_if_op$op "$lif" --seed 1 --dim batch=3
    check "loop_if_op$op: negated input" py "$util" negate "$work/loop_if_op$op/in" "$work/loop_if_op$op/in_neg"
    check "loop_if_op$op: ort_run, other branch" ort "$work/loop_if_op$op/in_neg" "$work/loop_if_op$op/ref_neg" "$lif" disabled
    check "loop_if_op$op: both branches equal numpy" py "$util" loop-if "$lif" \
        "$work/loop_if_op$op/in" "$work/loop_if_op$op/ref" "$work/loop_if_op$op/in_neg" "$work/loop_if_op$op/ref_neg"
done
agree shared_weight_conv_op13 "$models/small/shared_weight_conv_op13.onnx.gz" --dim batch=2
tci="$models/small/tiny_cnn_init_inputs_op13.onnx.gz"
agree tiny_cnn_init_inputs_op13 "$tci"
check "initializers listed as inputs get no input file" sh -c '[ "$(ls "$1")" = input_0.npy ]' sh "$work/tiny_cnn_init_inputs_op13/in"
check "gen_inputs is deterministic" sh -c '"$1" "$2" "$3" "$4" >/dev/null && cmp "$4/input_0.npy" "$5/input_0.npy"' \
    sh "$PYTHON" "$gen" "$r18" "$work/r18_again" "$work/resnet18_cal_op13/in"

# --- every dtype through Identity, .npy and .pb (typed fields) in and out
dt="$work/dtypes"
check "dtypes: make model and inputs" py "$util" dtypes "$dt"
check "dtypes: ort_run on .npy inputs" ort "$dt/npy" "$dt/out_npy" "$dt/model.onnx" disabled
check "dtypes: .npy outputs byte-identical to numpy.save inputs" py "$util" same-npy "$dt/npy" "$dt/out_npy"
check "dtypes: ort_run on typed-field .pb inputs, --pb outputs" ort "$dt/pb" "$dt/out_pb" "$dt/model.onnx" disabled --pb
check "dtypes: .pb outputs hold the input bits and names" py "$util" same-pb "$dt/npy" "$dt/out_pb"
check "dtypes: compare_npy passes .npy against .pb (NaN = NaN, inf, exact ints)" py "$cmpn" "$dt/out_npy" "$dt/out_pb" --atol-rel 0
check "dtypes: integer off by one" py "$util" perturb "$dt/out_npy" "$dt/int" int
check "compare_npy fails: integer off by one" expect_exit 1 py "$cmpn" "$dt/int" "$dt/out_npy"
check "resnet18: other inputs (seed 1)" py "$gen" "$r18" "$work/r18_seed1" --seed 1
check "resnet18: ort_run on them" ort "$work/r18_seed1" "$work/r18_seed1_out" "$r18" disabled
check "resnet18: the output depends on the input" expect_exit 1 py "$cmpn" "$work/r18_seed1_out" "$work/resnet18_cal_op13/ref"
check "resnet18: raw_data .pb inputs" py "$gen" "$r18" "$work/r18_pb" --pb
check "resnet18: ort_run on .pb inputs" ort "$work/r18_pb" "$work/r18_pb_out" "$r18" disabled
check "resnet18: .pb inputs give bit-identical outputs" py "$cmpn" "$work/r18_pb_out" "$work/resnet18_cal_op13/ref" --atol-rel 0

# --- compare_npy must fail on spoiled outputs
ref="$work/resnet18_cal_op13/ref"
for how in big nan shape dtype; do
    check "perturb $how" py "$util" perturb "$ref" "$work/bad_$how" $how
    check "compare_npy fails: $how" expect_exit 1 py "$cmpn" "$work/bad_$how" "$ref"
done
check "perturb tiny" py "$util" perturb "$ref" "$work/ok_tiny" tiny
check "compare_npy passes a 1e-7 relative error" py "$cmpn" "$work/ok_tiny" "$ref"
check "compare_npy fails: the same error at --atol-rel 1e-9" expect_exit 1 py "$cmpn" "$work/ok_tiny" "$ref" --atol-rel 1e-9
mkdir -p "$work/extra" && cp "$ref"/output_0.npy "$work/extra/" && cp "$ref"/output_0.npy "$work/extra/output_1.npy"
check "compare_npy fails: an extra output" expect_exit 1 py "$cmpn" "$work/extra" "$ref"
check "compare_npy fails: a missing output" expect_exit 1 py "$cmpn" "$ref" "$work/extra"
check "compare_npy fails: no outputs" expect_exit 1 py "$cmpn" "$work/dtypes/npy" "$work/dtypes/npy"

# --- --time, --save-optimized
check "--time --repeat 3" sh -c '"$@" >"$0"' "$work/time.json" \
    "$node" "$ort" "$r18" --input-dir "$work/resnet18_cal_op13/in" --output-dir "$work/timed" --time --repeat 3
check "--time prints one JSON line with 3 runs" py "$util" timejson "$work/time.json" 3
check "--save-optimized at basic" ort "$work/resnet18_cal_op13/in" "$work/basic" "$r18" basic --save-optimized "$work/r18_basic.onnx"
check "onnxruntime's basic level fused every BatchNormalization" py "$util" nodes "$work/r18_basic.onnx" 69 BatchNormalization

# --- bad arguments and failed runs: exit 2, one line
in18="$work/resnet18_cal_op13/in"
expect_fail2 "no arguments" "MODEL missing" "$node" "$ort"
expect_fail2 "unknown option" "unknown option --bogus" "$node" "$ort" "$r18" --input-dir "$in18" --output-dir "$work/x" --bogus
expect_fail2 "bad --opt" "--opt fast" "$node" "$ort" "$r18" --input-dir "$in18" --output-dir "$work/x" --opt fast
expect_fail2 "bad --threads" "--threads needs an integer" "$node" "$ort" "$r18" --input-dir "$in18" --output-dir "$work/x" --threads two
expect_fail2 "no --output-dir" "--output-dir missing" "$node" "$ort" "$r18" --input-dir "$in18"
expect_fail2 "missing model" "no such file" "$node" "$ort" "$work/nope.onnx" --input-dir "$in18" --output-dir "$work/x"
echo "not a model" >"$work/text.onnx"
: >"$work/empty.onnx"
check "gen_inputs refuses a text file" expect_exit 2 py "$gen" "$work/text.onnx" "$work/x"
check "gen_inputs refuses an empty file" expect_exit 2 py "$gen" "$work/empty.onnx" "$work/x"
expect_fail2 "not a model" "onnxruntime cannot load it" "$node" "$ort" "$work/text.onnx" --input-dir "$in18" --output-dir "$work/x"
mkdir -p "$work/empty"
expect_fail2 "missing input file" "input_0.npy: missing" "$node" "$ort" "$r18" --input-dir "$work/empty" --output-dir "$work/x"
mkdir -p "$work/extra_in" && cp "$in18/input_0.npy" "$work/extra_in/" && cp "$in18/input_0.npy" "$work/extra_in/input_1.npy"
expect_fail2 "input file beyond the inputs" "has only 1 input(s)" "$node" "$ort" "$tci" --input-dir "$work/extra_in" --output-dir "$work/x"
mkdir -p "$work/f64" && "$PYTHON" -c 'import numpy as np, sys; np.save(sys.argv[1], np.zeros((1, 3, 224, 224)))' "$work/f64/input_0.npy"
expect_fail2 "wrong dtype" "wants float32" "$node" "$ort" "$r18" --input-dir "$work/f64" --output-dir "$work/x"
mkdir -p "$work/shape" && "$PYTHON" -c 'import numpy as np, sys; np.save(sys.argv[1], np.zeros((1, 3, 2), np.float32))' "$work/shape/input_0.npy"
expect_fail2 "wrong rank: run fails" "run failed" "$node" "$ort" "$r18" --input-dir "$work/shape" --output-dir "$work/x"
mkdir -p "$work/trunc" && head -c 1000 "$in18/input_0.npy" >"$work/trunc/input_0.npy"
expect_fail2 "truncated .npy" "payload is" "$node" "$ort" "$r18" --input-dir "$work/trunc" --output-dir "$work/x"
mkdir -p "$work/badpb" && printf '\x0a\x05\x01' >"$work/badpb/input_0.pb"
expect_fail2 "corrupt .pb" "bad TensorProto" "$node" "$ort" "$r18" --input-dir "$work/badpb" --output-dir "$work/x"

finish
