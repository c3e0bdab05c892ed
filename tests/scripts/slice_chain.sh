#!/usr/bin/env bash
# `onnxfold slice --check` and `onnxfold run-slices` (docs/slicing.md, "The
# folder" and "Running a chain"): for small models of every kind (CNN,
# transformer block, If/Loop, initializers listed as inputs, a weight read
# twice) in every slicing mode, the folder checks ok and the chain's outputs
# are byte for byte those of `onnxfold run` on the optimized model (on the
# original with --no-optimize); --per-slice writes every slice's inputs and
# outputs, and slice K's inputs are the values earlier slices wrote. A
# tampered folder, a folder that is none, missing or mismatched inputs: exit
# 2 with the reason, and no output folder left behind.
. "$(dirname "$0")/lib.sh"
O=$ONNXFOLD
cd "$work" || exit 1
GEN=$SRC/tests/interop/gen_inputs.py
MODELS=$SRC/tests/models/small

# prep NAME SRC [GEN ARGS]: NAME.onnx, inputs NAME.in/, reference outputs of the
# optimized model NAME.ref/ and of the model as it is NAME.ref0/
prep() {
    local name=$1 src=$2
    shift 2
    case $src in
    *.gz) gunzip -c "$src" >"$name.onnx" ;;
    *) cp "$src" "$name.onnx" ;;
    esac
    py "$GEN" "$name.onnx" "$name.in" --pb "$@" >/dev/null &&
        "$O" optimize "$name.onnx" "$name.opt.onnx" >/dev/null &&
        "$O" run "$name.opt.onnx" --input-dir "$name.in" --output-dir "$name.ref" >/dev/null &&
        "$O" run "$name.onnx" --input-dir "$name.in" --output-dir "$name.ref0" >/dev/null
}

# check_per_slice DIR RUN IN: RUN/slice_K/ holds a file for every input and
# output of slice K; each input equals the model input or the output of the
# earlier slice that computed it (same name, same bytes once loaded)
check_per_slice() {
    py - "$1" "$2" "$3" <<'EOF'
import json, os, sys
import numpy as np
import onnx
from onnx import numpy_helper
d, run, inputs = sys.argv[1:4]
meta = json.load(open(os.path.join(d, 'metadata.json')))
def load(path):
    t = onnx.TensorProto()
    t.ParseFromString(open(path, 'rb').read())
    return t.name, numpy_helper.to_array(t)
known = {}
# an initializer listed as an input and not fed: no file (the slice holds its value)
unfed = {i['name'] for i in meta['inputs'] if i.get('optional')}
k = 0
for i in meta['inputs']:
    if i.get('optional'):
        continue
    _, a = load(os.path.join(inputs, 'input_%d.pb' % k))
    known[i['name']] = a
    k += 1
for s in meta['slices']:
    sub = os.path.join(run, s['file'][:-len('.onnx')])
    files = 0
    for j, v in enumerate(s['inputs']):
        if v['name'] in unfed:
            assert not os.path.exists(os.path.join(sub, 'input_%d.pb' % j)), (sub, j)
            continue
        files += 1
        name, a = load(os.path.join(sub, 'input_%d.pb' % j))
        assert name == v['name'], (sub, j, name, v['name'])
        want = known[name]
        assert a.dtype == want.dtype and a.shape == want.shape, (sub, name)
        assert a.tobytes() == want.tobytes(), (sub, name, 'differs from what computed it')
    for j, v in enumerate(s['outputs']):
        name, a = load(os.path.join(sub, 'output_%d.pb' % j))
        assert name == v['name'], (sub, j, name, v['name'])
        known[name] = a
    n = len([f for f in os.listdir(sub)])
    assert n == files + len(s['outputs']), (sub, 'has', n, 'files')
EOF
}

# same_outputs A B: the same output_K files, byte for byte
same_outputs() {
    local a=$1 b=$2 f
    [ "$(ls "$a" | grep -c '^output_')" = "$(ls "$b" | grep -c '^output_')" ] || return 1
    for f in "$a"/output_*; do cmp "$f" "$b/$(basename "$f")" || return 1; done
}

# chain_ok NAME LABEL SLICE-ARGS...: slice NAME.onnx, check the folder, run the
# chain and compare with the whole model's run
chain_ok() {
    local name=$1 label=$2
    shift 2
    local ref=$name.ref
    case " $* " in *" --no-optimize "*) ref=$name.ref0 ;; esac
    rm -rf s r
    if ! "$O" slice "$name.onnx" s --quiet "$@" >slice.log 2>&1; then
        fail=$((fail + 1)); echo "FAIL: $name $label: slice failed"; sed 's/^/    | /' slice.log; return
    fi
    if ! "$O" slice --check s >check.log 2>&1 || ! grep -q ': ok: ' check.log; then
        fail=$((fail + 1)); echo "FAIL: $name $label: slice --check"; sed 's/^/    | /' check.log; return
    fi
    if ! "$O" run-slices s --input-dir "$name.in" --output-dir r --per-slice >run.log 2>&1; then
        fail=$((fail + 1)); echo "FAIL: $name $label: run-slices"; sed 's/^/    | /' run.log | head; return
    fi
    local n
    n=$(py -c "import json; print(len(json.load(open('s/metadata.json'))['slices']))")
    if [ "$(grep -c '^run-slices: [0-9]*/' run.log)" != "$n" ]; then
        fail=$((fail + 1)); echo "FAIL: $name $label: not one progress line per slice ($n)"; return
    fi
    if ! same_outputs "$ref" r; then
        fail=$((fail + 1)); echo "FAIL: $name $label: outputs differ from 'run' on the whole model"; return
    fi
    if ! check_per_slice s r "$name.in" >ps.log 2>&1; then
        fail=$((fail + 1)); echo "FAIL: $name $label: --per-slice files"; sed 's/^/    | /' ps.log | tail -3; return
    fi
    pass=$((pass + 1))
}

# a tensor computed in the middle of the model (for --at)
middle_tensor() {
    rm -rf mid
    "$O" slice "$1.onnx" mid --strict-per-node --quiet "${@:2}" &&
        py -c "import json; s=json.load(open('mid/metadata.json'))['slices']; print(s[len(s)//2]['outputs'][0]['name'])"
}

# a budget of about a third of the total cost (for --max-cost)
third_cost() {
    py -c "import json; print(max(1, json.load(open('mid/metadata.json'))['total_cost']['constraints'] // 3))"
}

# every mode on one model, optimized first and as it is
all_modes() {
    local name=$1 t c
    chain_ok "$name" per-node --per-node
    chain_ok "$name" strict-per-node --strict-per-node
    t=$(middle_tensor "$name") && chain_ok "$name" "at $t" --at "$t"
    c=$(third_cost) && chain_ok "$name" "max-cost $c" --max-cost "$c"
    chain_ok "$name" segments-1 --segments 1
    chain_ok "$name" segments-3 --segments 3
    chain_ok "$name" "per-node, not optimized" --per-node --no-optimize
    chain_ok "$name" "strict-per-node, not optimized" --strict-per-node --no-optimize
    t=$(middle_tensor "$name" --no-optimize) && chain_ok "$name" "at $t, not optimized" --at "$t" --no-optimize
    c=$(third_cost) && chain_ok "$name" "max-cost $c, not optimized" --max-cost "$c" --no-optimize
    chain_ok "$name" "segments 2, not optimized" --segments 2 --no-optimize
}

check "prepare tiny_cnn" prep tiny_cnn "$SRC/examples/tiny_cnn.onnx" --dim batch=2
check "prepare transformer_block" prep transformer "$MODELS/transformer_block_op13.onnx.gz"
check "prepare loop_if" prep loop_if "$MODELS/loop_if_op17.onnx.gz"
check "prepare init_inputs" prep init_inputs "$MODELS/tiny_cnn_init_inputs_op13.onnx.gz"
check "prepare shared_weight" prep shared "$MODELS/shared_weight_conv_op13.onnx.gz" --dim batch=2
for name in tiny_cnn transformer loop_if init_inputs shared; do all_modes "$name"; done

# --random=SEED gives what `run --random --seed SEED` gives; --npy as run --npy
M=tiny_cnn.onnx
"$O" slice "$M" good --segments 2 --quiet
"$O" run tiny_cnn.opt.onnx --random --seed 5 --dim batch=3 --npy --output-dir ref_rand >/dev/null
check "--random=5 --npy" "$O" run-slices good --random=5 --dim batch=3 --npy --output-dir rand --quiet
check "--random=5: the values of run --random --seed 5" same_outputs ref_rand rand
check "--json ok" sh -c "'$O' slice --check good --json | grep -q '\"ok\": true, \"dir\": \"good\", \"slices\": 2'"
check "--quiet prints nothing" sh -c "test -z \"\$('$O' run-slices good --input-dir tiny_cnn.in --quiet)\""
check "no --output-dir: outputs summarised" sh -c "'$O' run-slices good --input-dir tiny_cnn.in 2>/dev/null | grep -q 'output: tensor float \[2,4\]'"

# the output folder: new or empty, --overwrite to replace, put in place whole
mkdir full && echo mine >full/keep.txt
expect_fail2 "non-empty --output-dir" "exists and is not empty" \
    "$O" run-slices good --input-dir tiny_cnn.in --output-dir full --quiet
check "non-empty --output-dir left alone" test "$(cat full/keep.txt)" = mine
check "--overwrite replaces it" "$O" run-slices good --input-dir tiny_cnn.in --output-dir full --overwrite --quiet
check "replaced whole" sh -c "test ! -e full/keep.txt && test -f full/output_0.pb"
expect_fail2 "--output-dir the slice folder" "is the slice folder or the input folder" \
    "$O" run-slices good --input-dir tiny_cnn.in --output-dir good --overwrite
expect_fail2 "--output-dir the input folder" "is the slice folder or the input folder" \
    "$O" run-slices good --input-dir tiny_cnn.in --output-dir tiny_cnn.in --overwrite
# a folder holding the slice folder would be replaced with it (--overwrite)
mkdir -p holder && cp -r good holder/good
expect_fail2 "--output-dir holding the slice folder" "or holds one of them" \
    "$O" run-slices holder/good --input-dir tiny_cnn.in --output-dir holder --overwrite
check "... and the slice folder is still there" "$O" slice --check holder/good --quiet
expect_fail2 "--per-slice without --output-dir" "need --output-dir" \
    "$O" run-slices good --input-dir tiny_cnn.in --per-slice

# bad inputs: exit 2 naming the input; no output folder left
mkdir in_none in_extra in_dtype in_shape in_rank
cp tiny_cnn.in/input_0.pb in_extra/ && cp tiny_cnn.in/input_0.pb in_extra/input_1.pb
py - <<'EOF'
import numpy as np
from onnx import numpy_helper
def put(d, a):
    open(d + '/input_0.pb', 'wb').write(numpy_helper.from_array(a, 'input').SerializeToString())
put('in_dtype', np.zeros((2, 3, 32, 32), np.int64))
put('in_shape', np.zeros((2, 5, 32, 32), np.float32))
put('in_rank', np.zeros((3, 32, 32), np.float32))
EOF
bad_run() { # NAME FRAGMENT INPUT-DIR
    expect_fail2 "$1" "$2" "$O" run-slices good --input-dir "$3" --output-dir bad_out --per-slice --quiet
    no_leftovers "$1: no output folder" . bad_out
}
bad_run "missing input file" "input 'input' was not given: no in_none/input_0.pb or .npy" in_none
bad_run "more input files than inputs" "in_extra/input_1.pb: the model takes 1 input" in_extra
bad_run "input of another dtype" "input 0: element type int64 given for 'input' float" in_dtype
bad_run "input of another shape" "input 0: dim 1 is 5 (float [2,5,32,32]), 'input' float [batch,3,32,32]" in_shape
bad_run "input of another rank" "input 0: rank 3 (float [3,32,32]) given for 'input' float" in_rank
expect_fail2 "--input unknown name" "the model has no input named 'nope'" \
    "$O" run-slices good --input nope=in_dtype/input_0.pb
check "no staging folder left" sh -c "! ls -A | grep -q stage"

# a node failing in the middle of the chain (a Reshape to a shape given at run
# time): the message names the slice file, the slices already written with
# --per-slice are not left behind
py - <<'EOF2'
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto as T
g = helper.make_graph(
    [helper.make_node('Relu', ['x'], ['r'], name='relu'),
     helper.make_node('Reshape', ['r', 's'], ['y'], name='reshape'),
     helper.make_node('Neg', ['y'], ['z'], name='neg')],
    'g', [helper.make_tensor_value_info('x', T.FLOAT, [2, 3]),
          helper.make_tensor_value_info('s', T.INT64, [2])],
    [helper.make_tensor_value_info('z', T.FLOAT, None)])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), 'reshape.onnx')
import os
os.makedirs('rs_in', exist_ok=True)
open('rs_in/input_0.pb', 'wb').write(numpy_helper.from_array(np.ones((2, 3), np.float32), 'x').SerializeToString())
open('rs_in/input_1.pb', 'wb').write(numpy_helper.from_array(np.array([4, 4], np.int64), 's').SerializeToString())
EOF2
"$O" slice reshape.onnx rs --strict-per-node --no-optimize --quiet
expect_fail2 "a node failing mid-chain" "rs/slice_0001.onnx: " \
    "$O" run-slices rs --input-dir rs_in --output-dir bad_out --per-slice --quiet
no_leftovers "a node failing mid-chain: no output folder" . bad_out
check "a node failing mid-chain: no staging folder left" sh -c "! ls -A | grep -q stage"

# not a slice folder
mkdir empty
expect_fail2 "--check: not a slice folder" "empty/metadata.json: missing (not a folder written by 'onnxfold slice'?)" \
    "$O" slice --check empty
expect_fail2 "run-slices: not a slice folder" "empty/metadata.json: missing" \
    "$O" run-slices empty --random --output-dir bad_out
no_leftovers "not a slice folder: no output folder" . bad_out
expect_fail2 "--check: no such folder" "nothere" "$O" slice --check nothere
expect_fail2 "--check: needs OUTDIR" "needs OUTDIR" "$O" slice --check
expect_fail2 "run-slices: needs OUTDIR" "needs OUTDIR" "$O" run-slices

# tamper CASE FRAGMENT PYTHON: a copy of `good` changed by PYTHON (run in the
# copy, `meta` is its metadata, saved after) is refused by --check and by
# run-slices with FRAGMENT, and run-slices leaves no output folder
tamper() {
    local case=$1 fragment=$2 code=$3
    rm -rf t && cp -r good t
    (cd t && py -c "
import json, os
meta = json.load(open('metadata.json'))
$code
if meta is not None: json.dump(meta, open('metadata.json', 'w'))
") || { fail=$((fail + 1)); echo "FAIL: $case: could not tamper"; return; }
    expect_fail2 "--check: $case" "$fragment" "$O" slice --check t
    expect_fail2 "run-slices: $case" "$fragment" "$O" run-slices t --input-dir tiny_cnn.in --output-dir bad_out
    no_leftovers "run-slices: $case: no output folder" . bad_out
}
tamper "slice file changed" "t/slice_0001.onnx: SHA-256" \
    "open('slice_0001.onnx', 'ab').write(b'\\x00')"
tamper "slice file missing" "t/slice_0001.onnx: missing" "os.remove('slice_0001.onnx')"
tamper "metadata does not parse" "t/metadata.json" \
    "open('metadata.json', 'w').write('{\"schema\": 1, '); meta = None"
tamper "metadata not an object" "t/metadata.json: expected a JSON object, got an array" \
    "meta = []"
tamper "another schema" "schema 2 is not supported" "meta['schema'] = 2"
tamper "a field missing" "slices[1].sha256: missing" "del meta['slices'][1]['sha256']"
tamper "a field of the wrong type" "slices[0].inputs: expected an array, got a string" \
    "meta['slices'][0]['inputs'] = 'x'"
tamper "file name with .." "slices[0].file: '../good/slice_0000.onnx' is not a file name in the folder" \
    "meta['slices'][0]['file'] = '../good/slice_0000.onnx'"
tamper "absolute file name" "slices[0].file: '/etc/passwd' is not a file name in the folder" \
    "meta['slices'][0]['file'] = '/etc/passwd'"
tamper "symlink leading out" "t/slice_0000.onnx: a symbolic link leading outside the folder" \
    "os.remove('slice_0000.onnx'); os.symlink('../good/slice_0000.onnx', 'slice_0000.onnx')"
tamper "slice input computed nowhere" "slices[1].inputs[0]: 'nope' is neither a model input nor an output of an earlier slice" \
    "meta['slices'][1]['inputs'][0]['name'] = 'nope'"
tamper "model output computed by no slice" "outputs[0]: model output 'nope' is computed by no slice" \
    "meta['outputs'][0]['name'] = 'nope'"
tamper "recorded input type differs from the slice" "t/slice_0000.onnx: input 0 is 'input' float [batch,3,32,32], metadata.json records 'input' int64 [batch,3,32,32]" \
    "meta['inputs'][0]['dtype'] = 'int64'; meta['slices'][0]['inputs'][0]['dtype'] = 'int64'"
tamper "recorded output shape differs from the slice" "t/slice_0001.onnx: output 0 is" \
    "meta['slices'][1]['outputs'][0]['shape'] = [7]"
tamper "chain types disagree" "slices[1].inputs[0]: 'input' int64" \
    "meta['slices'][1]['inputs'][0] = dict(meta['inputs'][0], dtype='int64')"
tamper "slices out of order" "slices[0].index: is 1, expected 0" "meta['slices'][0]['index'] = 1"
check "the untouched folder still checks ok" "$O" slice --check good --quiet
finish
