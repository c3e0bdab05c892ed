#!/usr/bin/python3
"""Writes the minimal models of the optimizer findings of opt_diff (see
README.md): each one runs differently after `onnxfold optimize`.

usage: make_findings.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper as nh

out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(1)
F = TensorProto.FLOAT


def t(name, a):
    return nh.from_array(np.asarray(a, np.float32), name)


def save(name, nodes, inits, inputs, outputs, opset):
    g = helper.make_graph(nodes, 'g', inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)])
    m.ir_version = 7
    onnx.save(m, os.path.join(out, name))


# 1. fuse-conv-bn folds a BatchNormalization of opsets 9-13 whose training
# outputs are present (unused): onnxfold's kernel computes such a node with
# the batch statistics (the outputs ask for training), the fused Conv uses
# the running mean and variance.
save('bn_training_outputs_fused.onnx',
     [helper.make_node('Conv', ['x', 'w', 'b'], ['c'], pads=[1, 1, 1, 1]),
      helper.make_node('BatchNormalization', ['c', 's', 'bias', 'mean', 'var'],
                       ['y', 'running_mean', 'running_var'])],
     [t('w', rng.normal(0, 0.5, (2, 2, 3, 3))), t('b', [0.1, -0.2]), t('s', [1.2, 0.8]),
      t('bias', [0.3, -0.1]), t('mean', [0.2, -0.3]), t('var', [0.9, 1.4])],
     [helper.make_tensor_value_info('x', F, [2, 2, 4, 4])],
     [helper.make_tensor_value_info('y', F, None)], 13)

# 2. eliminate-identity half-removes Squeeze(Unsqueeze(x, axes), axes) when
# the Squeeze writes a graph output and x is a graph input: the Squeeze goes
# (the Unsqueeze is made to write the output), the Unsqueeze cannot go (its
# input is a graph input) and stays, so 'y' would gain the unsqueezed axes;
# the next round's shape inference then stops the optimizer ("inferred rank
# contradicts its declared type"): a valid model cannot be optimized.
save('unsqueeze_squeeze_graph_output.onnx',
     [helper.make_node('Unsqueeze', ['x', 'axes'], ['u']),
      helper.make_node('Squeeze', ['u', 'axes'], ['y'])],
     [nh.from_array(np.array([0, 2], np.int64), 'axes')],
     [helper.make_tensor_value_info('x', F, [3])],
     [helper.make_tensor_value_info('y', F, [3])], 13)

# 3. eliminate-identity inlines an If with a constant condition whose taken
# branch lists one value as two outputs: the result reads a value that no
# longer exists ("internal error: pass eliminate-identity left an
# inconsistent graph: node 'if' (Identity): input 'r' is not defined").
then_g = helper.make_graph([helper.make_node('Relu', ['x'], ['r'])], 'then', [],
                           [helper.make_tensor_value_info('r', F, [3]),
                            helper.make_tensor_value_info('r', F, [3])])
else_g = helper.make_graph([helper.make_node('Neg', ['x'], ['n'])], 'else', [],
                           [helper.make_tensor_value_info('n', F, [3]),
                            helper.make_tensor_value_info('n', F, [3])])
save('if_inline_output_twice.onnx',
     [helper.make_node('If', ['cond'], ['a', 'b'], name='if', then_branch=then_g,
                       else_branch=else_g)],
     [nh.from_array(np.array(True), 'cond')],
     [helper.make_tensor_value_info('x', F, [3])],
     [helper.make_tensor_value_info('a', F, [3]), helper.make_tensor_value_info('b', F, [3])], 13)

# 4. fuse-matmul-add puts the Gemm where the MatMul was, reading the Add's
# other operand, which may be computed between the MatMul and the Add:
# "internal error: pass fuse-matmul-add left an inconsistent graph: node 'mm'
# (Gemm): input 'c' is produced later; nodes are not in topological order".
save('matmul_add_bias_computed_later.onnx',
     [helper.make_node('MatMul', ['x', 'w'], ['m'], name='mm'),
      helper.make_node('Relu', ['b'], ['c'], name='relu'),
      helper.make_node('Add', ['c', 'm'], ['y'], name='add')],
     [t('w', rng.normal(0, 0.5, (2, 3)))],
     [helper.make_tensor_value_info('x', F, [4, 2]), helper.make_tensor_value_info('b', F, [3])],
     [helper.make_tensor_value_info('y', F, [4, 3])], 13)

# 5. shape inference leaks the value of a node it evaluated (all inputs
# constant) when that node's declared type then contradicts it:
# `onnxfold info infer_leak_on_contradiction.onnx --shapes` reports the
# contradiction and LeakSanitizer the tensor try_evaluate (ops/infer.c)
# computed. opt_diff met it minimizing the Unsqueeze/Squeeze finding.
save('infer_leak_on_contradiction.onnx',
     [helper.make_node('Add', ['a', 'b'], ['y'])],
     [t('a', np.ones(3)), t('b', np.ones(3))],
     [helper.make_tensor_value_info('x', F, [3])],
     [helper.make_tensor_value_info('y', F, [3, 1])], 13)
