#!/usr/bin/env bash
# `info --shapes` and `info --cost`: inferred types of every value (symbolic
# dims kept by name, known dims exact), cost figures, JSON fields as
# documented in docs/info-json.md, and refusal of a model whose shapes
# contradict each other (one line naming the node, exit 2).
. "$(dirname "$0")/lib.sh"
O=$ONNXFOLD
cd "$work" || exit 1
py - <<'PY' || exit 1
import numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper as nh
X = helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', 3, 4])
Y = helper.make_tensor_value_info('y', TensorProto.BOOL, None)
w = nh.from_array(np.ones((3, 1), np.float32), 'w')
g = helper.make_graph([helper.make_node('Add', ['x', 'w'], ['a'], name='add'),
                       helper.make_node('Relu', ['a'], ['r'], name='relu'),
                       helper.make_node('Less', ['r', 'w'], ['y'], name='less')],
                      'g', [X], [Y], [w])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)]), 'm.onnx')
bad = nh.from_array(np.ones((5,), np.float32), 'w')
YF = helper.make_tensor_value_info('y', TensorProto.FLOAT, None)
g = helper.make_graph([helper.make_node('Add', ['x', 'w'], ['y'], name='bad_add')], 'g', [X], [YF], [bad])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)]), 'bad.onnx')
# MatMul of rank 13 (the cost read its K from an 8-entry array) and an Add
# whose element count overflows 64 bits (the cost wrapped to a small number)
A = helper.make_tensor_value_info('a', TensorProto.FLOAT, [1] * 11 + [3, 4])
B = helper.make_tensor_value_info('b', TensorProto.FLOAT, [4, 5])
g = helper.make_graph([helper.make_node('MatMul', ['a', 'b'], ['y'], name='mm')], 'g', [A, B], [YF])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)]), 'rank13.onnx')
H = helper.make_tensor_value_info('h', TensorProto.FLOAT, [6148914691236517206, 3])
g = helper.make_graph([helper.make_node('Add', ['h', 'h'], ['y'], name='add')], 'g', [H], [YF])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)]), 'huge.onnx')
N = 2 ** 40
g = helper.make_graph([helper.make_node('MatMul', ['x', 'x'], ['a'], name='mm1'),
                       helper.make_node('MatMul', ['a', 'a'], ['b'], name='mm2')], 'g',
                      [helper.make_tensor_value_info('x', TensorProto.FLOAT, [N, N])],
                      [helper.make_tensor_value_info('b', TensorProto.FLOAT, [N, N])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)]), 'huge2.onnx')
PY
check "--shapes: symbolic and known dims, producers" sh -c "'$O' info m.onnx --shapes >s.txt &&
  grep -q '  a: float \[batch, 3, 4\]  <- Add' s.txt && grep -q '  y: bool \[batch, 3, 4\]  <- Less' s.txt &&
  grep -q '  w: float \[3, 1\]  <- initializer' s.txt"
check "--shapes --cost --json: documented fields" sh -c "'$O' info m.onnx --shapes --cost --json >s.json &&
  '$PYTHON' -c \"
import json
d = json.load(open('s.json'))
v = {x['name']: x for x in d['values']}
assert v['r']['shape'] == ['batch', 3, 4] and v['r']['dtype'] == 'float' and v['r']['producer'] == 'Relu'
assert d['unsupported_nodes'] == 0
c = d['cost']
assert [n['op_type'] for n in c['nodes']] == ['Add', 'Relu', 'Less']
relu = c['nodes'][1]
assert relu['nonlinear'] == 12 and relu['constraints'] == 16 * 12 and relu['estimated'] is True
assert c['total']['params'] == 6 and c['total']['param_bytes'] == 24
assert c['ops'][0]['constraints'] >= c['ops'][-1]['constraints']\""
check "--cost: MatMul K from the last dim of a rank-13 input" sh -c "'$O' info rank13.onnx --cost |
  grep -q '^total: macs 60,'"
check "--cost: element counts saturate instead of wrapping" sh -c "'$O' info huge.onnx --cost |
  grep -q 'elementwise 18446744073709551615, nonlinear 0, constraints 18446744073709551615'"
check "--cost: per-op sums saturate instead of wrapping" sh -c "'$O' info huge2.onnx --cost |
  grep -q 'MatMul *2 nodes  macs 18446744073709551615 .*constraints 18446744073709551615'"
expect_fail2 "contradicting shapes name the node" "node 'bad_add' (Add):" "$O" info bad.onnx --shapes
check "plain info does not need inference" "$O" info bad.onnx
# a node evaluated from constants whose declared output type contradicts the
# result: reported, and (in the sanitizer build) nothing leaks
expect_fail2 "--shapes: a contradiction found by evaluating constants" "inferred rank contradicts" \
    "$O" info "$SRC/tests/fuzz/findings/infer_leak_on_contradiction.onnx" --shapes
finish
