#!/usr/bin/env bash
# `onnxfold optimize` end to end on small crafted models: constant chains fold
# (names of graph outputs kept), dead nodes and unused initializers go, the
# result computes the same (verify with the executor), overridable
# initializers are not folded unless frozen, the report is valid JSON with
# the documented fields, and bad usage is refused with one line.
. "$(dirname "$0")/lib.sh"
O=$ONNXFOLD
cd "$work" || exit 1
py - <<'PY' || { echo "model generation failed"; exit 1; }
import numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper as nh
X = helper.make_tensor_value_info('X', TensorProto.FLOAT, ['batch', 3])
Y = helper.make_tensor_value_info('Y', TensorProto.FLOAT, ['batch', 3])
K = helper.make_tensor_value_info('K', TensorProto.FLOAT, [3])
a = nh.from_array(np.array([1, 2, 3], np.float32), 'a')
b = nh.from_array(np.array([0.5, 0.25, 2], np.float32), 'b')
unused = nh.from_array(np.zeros(5, np.float32), 'unused')
def save(nodes, inits, path, inputs=(X,), outputs=(Y,), ir=8):
    g = helper.make_graph(nodes, 'g', list(inputs), list(outputs), inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)])
    m.ir_version = ir
    onnx.save(m, path)
# a*b + a folds to one constant K also exposed as a graph output; a dead Sub goes.
save([helper.make_node('Mul', ['a', 'b'], ['ab'], name='mul'),
      helper.make_node('Add', ['ab', 'a'], ['K'], name='k'),
      helper.make_node('Add', ['X', 'K'], ['Y'], name='y'),
      helper.make_node('Sub', ['X', 'K'], ['dead'], name='dead')],
     [a, b, unused], 'chain.onnx', outputs=(Y, K))
# the same with 'a' also listed as a graph input: overridable, not a constant
A = helper.make_tensor_value_info('a', TensorProto.FLOAT, [3])
save([helper.make_node('Mul', ['a', 'b'], ['ab'], name='mul'),
      helper.make_node('Add', ['X', 'ab'], ['Y'], name='y')], [a, b], 'overridable.onnx',
     inputs=(X, A))
PY
check "optimize --verify" "$O" optimize chain.onnx chain_opt.onnx --verify --report report.json
check "folded: Mul and the K Add gone, dead Sub gone, Y and K kept" py -c "
import onnx
m = onnx.load('chain_opt.onnx')
ops = [n.op_type for n in m.graph.node]
assert ops == ['Add'], ops
assert [o.name for o in m.graph.output] == ['Y', 'K']
inits = sorted(i.name for i in m.graph.initializer)
assert inits == ['K'], inits
onnx.checker.check_model(m)"
check "folded values are right" sh -c "'$O' verify chain_opt.onnx chain.onnx --dim batch=4 --rtol 0 --atol 0"
check "report is JSON with the documented fields" py -c "
import json
r = json.load(open('report.json'))
assert r['schema'] == 1 and r['before']['nodes'] == 4 and r['after']['nodes'] == 1, r
assert 'K' in r['folded'] and 'ab' in r['folded']
assert r['verify']['ran'] and r['verify']['agree']
names = [p['name'] for p in r['passes']]
assert 'fold-constants' in names and 'eliminate-dead' in names
fc = [p for p in r['passes'] if p['name'] == 'fold-constants'][0]
assert fc['changes'] == 2 and fc['nodes_delta'] == -2, fc"
"$O" optimize overridable.onnx ov_opt.onnx --verbose >ov.out 2>&1
check "overridable: not folded, says why and names the flag" sh -c "
grep -q 'initializer that is also a graph input' ov.out && grep -q -- '--freeze-initializers' ov.out &&
\"$PYTHON\" -c \"import onnx; m = onnx.load('ov_opt.onnx'); assert len(m.graph.node) == 2\""
check "overridable: --freeze-initializers folds and drops the input" sh -c "
'$O' optimize overridable.onnx ov_frozen.onnx --freeze-initializers &&
\"$PYTHON\" -c \"import onnx; m = onnx.load('ov_frozen.onnx'); assert [n.op_type for n in m.graph.node] == ['Add']; assert [i.name for i in m.graph.input] == ['X']\""
check "--list-passes" sh -c "'$O' optimize --list-passes | grep -q '^fold-constants '"
check "--passes runs only those" sh -c "'$O' optimize chain.onnx only_dead.onnx --passes eliminate-dead &&
\"$PYTHON\" -c \"import onnx; m = onnx.load('only_dead.onnx'); assert [n.op_type for n in m.graph.node] == ['Mul', 'Add', 'Add']\""
expect_fail2 "unknown pass" "unknown pass 'fold-everything'" "$O" optimize chain.onnx x.onnx --passes fold-everything
expect_fail2 "input shape for a missing input" "no input 'Z'" "$O" optimize chain.onnx x.onnx --input-shape Z=1,3
expect_fail2 "input shape contradicting the model" "dim 1 is 3 in the model, not 4" "$O" optimize chain.onnx x.onnx --input-shape X=1,4
expect_fail2 "input shape of the wrong rank" "has rank 2, 3 dims given" "$O" optimize chain.onnx x.onnx --input-shape X=1,3,1
expect_fail2 "bad input shape syntax" "--input-shape needs NAME=d0,d1" "$O" optimize chain.onnx x.onnx --input-shape X=a,b
expect_fail2 "input shape given twice" "--input-shape given twice for input 'X'" \
    "$O" optimize chain.onnx x.onnx --input-shape X=2,3 --input-shape X=5,3
expect_fail2 "OUT is IN" "is the input file" "$O" optimize chain.onnx chain.onnx
no_leftovers "nothing written on refusal" "$work" "$work/x.onnx"
# --report naming IN, OUT or OUT's data file replaced a model with the JSON
cp chain.onnx keep_in.onnx
expect_fail2 "--report is IN" "--report 'keep_in.onnx' is the input model IN" \
    "$O" optimize keep_in.onnx x.onnx --report keep_in.onnx
check "--report is IN: IN unchanged" cmp chain.onnx keep_in.onnx
ln -sf keep_in.onnx report_link.json
expect_fail2 "--report is a symlink to IN" "is the input model IN" \
    "$O" optimize keep_in.onnx x.onnx --report report_link.json
expect_fail2 "--report is OUT" "--report './x.onnx' is the output model OUT" \
    "$O" optimize chain.onnx x.onnx --report ./x.onnx
expect_fail2 "--report is OUT's data file" "is OUT's external data file" \
    "$O" optimize chain.onnx x.onnx --external-data w.bin --report w.bin
expect_fail2 "--report empty" "--report needs a FILE" "$O" optimize chain.onnx x.onnx --report ""
no_leftovers "nothing written on a refused --report" "$work" "$work/x.onnx"
check "--report is IN: IN still loads" "$O" info keep_in.onnx
check "--input-shape fixes the dims" sh -c "'$O' optimize chain.onnx fixed.onnx --input-shape X=2,3 &&
\"$PYTHON\" -c \"import onnx; m = onnx.load('fixed.onnx'); d = m.graph.input[0].type.tensor_type.shape.dim; assert [x.dim_value for x in d] == [2, 3]\""
# An If whose branch contradicts itself for the inputs' shapes but is never
# taken (ONNX's expansion of AffineGrid: the 2-D branch splits a 5-element
# size into 4) must not stop optimize; the result computes the same.
ag=$SHARED/onnx-node-tests/v1.22.0/test_affine_grid_3d_expanded
check "optimize: an If branch that cannot fit its inputs is not an error" "$O" optimize "$ag/model.onnx" ag.onnx
check "optimize: ... and the result computes the expected output" "$O" verify ag.onnx "$ag/model.onnx" \
    --input-dir "$ag/test_data_set_0"
finish
