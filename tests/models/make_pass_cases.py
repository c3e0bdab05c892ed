#!/usr/bin/python3
"""Writes the small models tests/scripts/optimize_passes.sh optimizes, and
cases.txt listing for each: the op type to count after optimization and the
expected count (the pass must fire, or must not). Cases for eliminate-identity
(PITFALLS P-CF 8, 9, "Other fusions" 4), fold-shapes (P-CF 3), fuse-pad-conv
("Other fusions" 1), fuse-matmul-add ("Other fusions" 3), dedup-initializers
and fold-constants (P-CF 1, 2, 4).

usage: make_identity_cases.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper as nh

out = sys.argv[1]
F = TensorProto.FLOAT
cases = []


def vi(name, shape, elem=F):
    return helper.make_tensor_value_info(name, elem, shape)


def save(name, nodes, inits, inputs, outputs, op, count, opset=15, random=False):
    g = helper.make_graph(nodes, 'g', inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)])
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, os.path.join(out, name))
    # random models cannot be compared run against run: marked "random"
    cases.append(f'{name} {op} {count}' + (' random' if random else ''))


X = vi('x', [2, 3, 4])
relu = helper.make_node('Relu', ['x'], ['r'])
# Identity between two nodes: gone
save('identity_middle.onnx', [relu, helper.make_node('Identity', ['r'], ['i']),
                              helper.make_node('Neg', ['i'], ['y'])], [], [X], [vi('y', [2, 3, 4])],
     'Identity', 0)
# Identity writing a graph output from a node output: gone, Relu writes 'y'
save('identity_to_output.onnx', [relu, helper.make_node('Identity', ['r'], ['y'])], [], [X],
     [vi('y', [2, 3, 4])], 'Identity', 0)
# Identity writing a graph output straight from a graph input: kept (P-CF 9)
save('identity_input_to_output.onnx', [helper.make_node('Identity', ['x'], ['y'])], [], [X],
     [vi('y', [2, 3, 4])], 'Identity', 1)
# Identity whose output is also a graph output while it feeds another output
save('identity_both_outputs.onnx', [relu, helper.make_node('Identity', ['r'], ['y'])], [], [X],
     [vi('y', [2, 3, 4]), vi('r', [2, 3, 4])], 'Identity', 1)
# Identity read inside an If body (subgraph reads count, P-CF 8): gone, body reads r
then_g = helper.make_graph([helper.make_node('Neg', ['i'], ['t'])], 'then', [], [vi('t', [2, 3, 4])])
else_g = helper.make_graph([helper.make_node('Abs', ['i'], ['e'])], 'else', [], [vi('e', [2, 3, 4])])
save('identity_read_in_subgraph.onnx',
     [relu, helper.make_node('Identity', ['r'], ['i']),
      helper.make_node('If', ['cond'], ['y'], then_branch=then_g, else_branch=else_g)], [],
     [X, vi('cond', [], TensorProto.BOOL)], [vi('y', [2, 3, 4])], 'Identity', 0)
# Dropout: inference form goes; its mask used keeps it; training_mode true keeps it
save('dropout_inference.onnx', [relu, helper.make_node('Dropout', ['r'], ['d']),
                                helper.make_node('Neg', ['d'], ['y'])], [], [X],
     [vi('y', [2, 3, 4])], 'Dropout', 0)
save('dropout_mask_used.onnx', [relu, helper.make_node('Dropout', ['r'], ['d', 'mask'])], [], [X],
     [vi('d', [2, 3, 4]), vi('mask', [2, 3, 4], TensorProto.BOOL)], 'Dropout', 1)
save('dropout_training.onnx',
     [relu, helper.make_node('Dropout', ['r', 'ratio', 'train'], ['d'])],
     [nh.from_array(np.array(0.5, np.float32), 'ratio'), nh.from_array(np.array(True), 'train')],
     [X], [vi('d', [2, 3, 4])], 'Dropout', 1, random=True)
# Cast to its own type goes; a real Cast stays
save('cast_same_type.onnx', [relu, helper.make_node('Cast', ['r'], ['c'], to=F),
                             helper.make_node('Neg', ['c'], ['y'])], [], [X], [vi('y', [2, 3, 4])],
     'Cast', 0)
save('cast_real.onnx', [relu, helper.make_node('Cast', ['r'], ['y'], to=TensorProto.DOUBLE)], [],
     [X], [vi('y', [2, 3, 4], TensorProto.DOUBLE)], 'Cast', 1)
# Reshape to its own shape goes; Reshape(Reshape) becomes one; a 0 in the second shape keeps two
shape = lambda n, v: nh.from_array(np.array(v, np.int64), n)
save('reshape_same.onnx', [relu, helper.make_node('Reshape', ['r', 's'], ['c']),
                           helper.make_node('Neg', ['c'], ['y'])], [shape('s', [2, 3, 4])], [X],
     [vi('y', [2, 3, 4])], 'Reshape', 0)
save('reshape_chain.onnx', [relu, helper.make_node('Reshape', ['r', 's1'], ['a']),
                            helper.make_node('Reshape', ['a', 's2'], ['y'])],
     [shape('s1', [6, 4]), shape('s2', [4, -1])], [X], [vi('y', [4, 6])], 'Reshape', 1)
save('reshape_chain_zero.onnx', [relu, helper.make_node('Reshape', ['r', 's1'], ['a']),
                                 helper.make_node('Reshape', ['a', 's2'], ['y'])],
     [shape('s1', [6, 4]), shape('s2', [0, 2, 2])], [X], [vi('y', [6, 2, 2])], 'Reshape', 2)
# Transpose pairs: inverse pair vanishes; two others compose into one
save('transpose_inverse.onnx', [relu, helper.make_node('Transpose', ['r'], ['a'], perm=[2, 0, 1]),
                                helper.make_node('Transpose', ['a'], ['b'], perm=[1, 2, 0]),
                                helper.make_node('Neg', ['b'], ['y'])], [], [X],
     [vi('y', [2, 3, 4])], 'Transpose', 0)
save('transpose_compose.onnx', [relu, helper.make_node('Transpose', ['r'], ['a'], perm=[2, 0, 1]),
                                helper.make_node('Transpose', ['a'], ['y'], perm=[0, 2, 1])], [],
     [X], [vi('y', [4, 3, 2])], 'Transpose', 1)
save('transpose_identity.onnx', [relu, helper.make_node('Transpose', ['r'], ['a'], perm=[0, 1, 2]),
                                 helper.make_node('Neg', ['a'], ['y'])], [], [X],
     [vi('y', [2, 3, 4])], 'Transpose', 0)
save('transpose_swap_same_shape.onnx',
     [helper.make_node('Transpose', ['q'], ['y'], perm=[1, 0])], [], [vi('q', [3, 3])],
     [vi('y', [3, 3])], 'Transpose', 1)
# Unsqueeze then Squeeze of the same axis: both go; of another axis: kept
ax = lambda n, v: nh.from_array(np.array(v, np.int64), n)
save('unsqueeze_squeeze.onnx', [relu, helper.make_node('Unsqueeze', ['r', 'a1'], ['u']),
                                helper.make_node('Squeeze', ['u', 'a1'], ['s']),
                                helper.make_node('Neg', ['s'], ['y'])], [ax('a1', [1])], [X],
     [vi('y', [2, 3, 4])], 'Squeeze', 0)
# Pad with zero pads goes; Slice covering everything goes; one-input Concat goes
save('pad_zero.onnx', [relu, helper.make_node('Pad', ['r', 'p'], ['a']),
                       helper.make_node('Neg', ['a'], ['y'])], [ax('p', [0] * 6)], [X],
     [vi('y', [2, 3, 4])], 'Pad', 0)
save('slice_all.onnx', [relu, helper.make_node('Slice', ['r', 'st', 'en'], ['a']),
                        helper.make_node('Neg', ['a'], ['y'])],
     [ax('st', [0, 0, 0]), ax('en', [2, 3, 4])], [X], [vi('y', [2, 3, 4])], 'Slice', 0)
save('slice_reverse.onnx', [relu, helper.make_node('Slice', ['r', 'st', 'en', 'axs', 'stp'], ['y'])],
     [ax('st', [-1]), ax('en', [-10]), ax('axs', [2]), ax('stp', [-1])], [X],
     [vi('y', [2, 3, 4])], 'Slice', 1)
save('concat_one.onnx', [relu, helper.make_node('Concat', ['r'], ['a'], axis=0),
                         helper.make_node('Neg', ['a'], ['y'])], [], [X], [vi('y', [2, 3, 4])],
     'Concat', 0)

# ---- fold-shapes: known dims fold, symbolic ones do not; Gather of a known dim folds
XS = vi('x', ['batch', 3, 4])
save('shape_known.onnx', [helper.make_node('Shape', ['x'], ['s']),
                          helper.make_node('Reshape', ['x', 's'], ['y'])], [], [X],
     [vi('y', [2, 3, 4])], 'Shape', 0)
save('shape_symbolic.onnx', [helper.make_node('Shape', ['x'], ['s']),
                             helper.make_node('Cast', ['s'], ['y'], to=F)], [], [XS],
     [vi('y', [3])], 'Shape', 1)
save('shape_gather_known_dim.onnx',
     [helper.make_node('Shape', ['x'], ['s']),
      helper.make_node('Gather', ['s', 'i'], ['g'], axis=0),
      helper.make_node('Cast', ['g'], ['y'], to=F)],
     [nh.from_array(np.array(1, np.int64), 'i')], [XS], [vi('y', [])], 'Gather', 0)
save('shape_gather_symbolic_dim.onnx',
     [helper.make_node('Shape', ['x'], ['s']),
      helper.make_node('Gather', ['s', 'i'], ['g'], axis=0),
      helper.make_node('Cast', ['g'], ['y'], to=F)],
     [nh.from_array(np.array(0, np.int64), 'i')], [XS], [vi('y', [])], 'Gather', 1)
save('size_known.onnx', [helper.make_node('Size', ['x'], ['s']),
                         helper.make_node('Cast', ['s'], ['y'], to=F)], [], [X], [vi('y', [])],
     'Size', 0)

# ---- fuse-pad-conv: zero constant Pad folds into Conv; reflect, non-zero value and MaxPool do not
rng = np.random.default_rng(3)
XC = vi('x', [1, 2, 6, 6])
w = nh.from_array(rng.normal(0, 1, (3, 2, 3, 3)).astype(np.float32), 'w')
def pad_case(name, mode='constant', value=None, consumer='Conv', count=0, pads=(0, 0, 1, 2, 0, 0, 2, 1)):
    cin = 2 + pads[1] + pads[5]  # channels after the Pad
    ins = ['x', 'p'] + (['v'] if value is not None else [])
    inits = [nh.from_array(np.array(pads, np.int64), 'p')]
    if value is not None:
        inits.append(nh.from_array(np.array(value, np.float32), 'v'))
    nodes = [helper.make_node('Pad', ins, ['px'], mode=mode)]
    if consumer == 'Conv':
        nodes.append(helper.make_node('Conv', ['px', 'w'], ['y'], pads=[1, 0, 0, 1]))
        inits.append(w if cin == 2 else
                     nh.from_array(rng.normal(0, 1, (3, cin, 3, 3)).astype(np.float32), 'w'))
        oshape = [1, 3, 6 + pads[2] + pads[6] - 1, 6 + pads[3] + pads[7] - 1]
    else:
        nodes.append(helper.make_node('MaxPool', ['px'], ['y'], kernel_shape=[2, 2]))
        oshape = [1, 2, 6 + pads[2] + pads[6] - 1, 6 + pads[3] + pads[7] - 1]
    save(name, nodes, inits, [XC], [vi('y', oshape)], 'Pad', count)
pad_case('pad_conv_zero.onnx')
pad_case('pad_conv_zero_value.onnx', value=0.0)
pad_case('pad_conv_reflect.onnx', mode='reflect', count=1)
pad_case('pad_conv_value.onnx', value=1.5, count=1)
pad_case('pad_conv_channel_axis.onnx', pads=(0, 1, 1, 1, 0, 0, 1, 1), count=1)
pad_case('pad_maxpool_zero.onnx', consumer='MaxPool', count=1)

# ---- fuse-matmul-add: 2-D MatMul + Add -> Gemm; 3-D not; a bias widening the output not
A2 = vi('a', [3, 4])
wm = nh.from_array(rng.normal(0, 1, (4, 5)).astype(np.float32), 'wm')
save('matmul_add_2d.onnx', [helper.make_node('MatMul', ['a', 'wm'], ['m']),
                            helper.make_node('Add', ['bias', 'm'], ['y'])],
     [wm, nh.from_array(rng.normal(0, 1, (5,)).astype(np.float32), 'bias')], [A2],
     [vi('y', [3, 5])], 'MatMul', 0)
save('matmul_add_3d.onnx', [helper.make_node('MatMul', ['a', 'wm'], ['m']),
                            helper.make_node('Add', ['m', 'bias'], ['y'])],
     [wm, nh.from_array(rng.normal(0, 1, (5,)).astype(np.float32), 'bias')],
     [vi('a', [2, 3, 4])], [vi('y', [2, 3, 5])], 'MatMul', 1)
save('matmul_add_widening.onnx', [helper.make_node('MatMul', ['a', 'wm'], ['m']),
                                  helper.make_node('Add', ['m', 'bias'], ['y'])],
     [wm, nh.from_array(rng.normal(0, 1, (2, 3, 5)).astype(np.float32), 'bias')], [A2],
     [vi('y', [2, 3, 5])], 'MatMul', 1)

# ---- dedup-initializers: equal constants merged; an overridable one is not
k1 = nh.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), 'k1')
k2 = nh.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), 'k2')
k3 = nh.from_array(np.arange(6, dtype=np.float32).reshape(3, 2), 'k3')
Q = vi('q', [2, 3])
g = helper.make_graph([helper.make_node('Add', ['q', 'k1'], ['a']),
                       helper.make_node('Add', ['a', 'k2'], ['b']),
                       helper.make_node('Reshape', ['k3', 'sh'], ['k3r']),
                       helper.make_node('Add', ['b', 'k3r'], ['y'])], 'g', [Q], [vi('y', [2, 3])],
                      [k1, k2, k3, nh.from_array(np.array([2, 3], np.int64), 'sh')])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 15)])
m.ir_version = 8
onnx.save(m, os.path.join(out, 'dedup.onnx'))
cases.append('dedup.onnx Initializers 1')  # k1, k2 and the folded Reshape(k3) are one

# ---- fold-constants must not fold random operators (P-CF 1) nor blow the size budget (P-CF 2)
save('random_not_folded.onnx', [helper.make_node('RandomUniform', [], ['r'], shape=[2, 3, 4], seed=1.0),
                                helper.make_node('Add', ['x', 'r'], ['y'])], [], [X],
     [vi('y', [2, 3, 4])], 'RandomUniform', 1, random=True)
save('expand_blowup.onnx', [helper.make_node('Expand', ['one', 'big'], ['e']),
                            helper.make_node('ReduceSum', ['e'], ['s'], keepdims=0),
                            helper.make_node('Add', ['x', 's'], ['y'])],
     [nh.from_array(np.array([1.0], np.float32), 'one'),
      nh.from_array(np.array([1024, 1024, 32], np.int64), 'big')], [X], [vi('y', [2, 3, 4])],
     'Expand', 1)

# ---- eliminate-common: repeated Shape/Gather chains computed once; random ops and outputs kept
XS2 = vi('x', ['batch', 3, 4])
save('cse_shape_twice.onnx',
     [helper.make_node('Shape', ['x'], ['s1']), helper.make_node('Shape', ['x'], ['s2']),
      helper.make_node('Gather', ['s1', 'i'], ['g1'], axis=0),
      helper.make_node('Gather', ['s2', 'i'], ['g2'], axis=0),
      helper.make_node('Add', ['g1', 'g2'], ['y'])],
     [nh.from_array(np.array(0, np.int64), 'i')], [XS2], [vi('y', [], TensorProto.INT64)],
     'Shape', 1)
save('cse_relu_twice.onnx', [helper.make_node('Relu', ['x'], ['a']), helper.make_node('Relu', ['x'], ['b']),
                             helper.make_node('Add', ['a', 'b'], ['y'])], [], [X],
     [vi('y', [2, 3, 4])], 'Relu', 1)
save('cse_different_attrs.onnx', [helper.make_node('LeakyRelu', ['x'], ['a'], alpha=0.1),
                                  helper.make_node('LeakyRelu', ['x'], ['b'], alpha=0.2),
                                  helper.make_node('Add', ['a', 'b'], ['y'])], [], [X],
     [vi('y', [2, 3, 4])], 'LeakyRelu', 2)
save('cse_both_outputs.onnx', [helper.make_node('Relu', ['x'], ['a']), helper.make_node('Relu', ['x'], ['b'])],
     [], [X], [vi('a', [2, 3, 4]), vi('b', [2, 3, 4])], 'Relu', 2)
save('cse_random_kept.onnx', [helper.make_node('RandomUniformLike', ['x'], ['a'], seed=1.0),
                              helper.make_node('RandomUniformLike', ['x'], ['b'], seed=1.0),
                              helper.make_node('Add', ['a', 'b'], ['y'])], [], [X],
     [vi('y', [2, 3, 4])], 'RandomUniformLike', 2, random=True)

# ---- eliminate-identity on If: a constant condition inlines the taken branch
def if_model(name, cond_value, count, graph_output_is_outer=False):
    t_nodes = [helper.make_node('Relu', ['x'], ['t1']), helper.make_node('Add', ['t1', 'k'], ['t2'])]
    t_out = 't2'
    if graph_output_is_outer:
        t_nodes, t_out = [], 'x'
    then_g = helper.make_graph(t_nodes, 'then', [], [vi(t_out, [2, 3, 4])],
                              [nh.from_array(np.full((2, 3, 4), 0.5, np.float32), 'k')] if t_nodes else [])
    else_g = helper.make_graph([helper.make_node('Neg', ['x'], ['e1'])], 'else', [], [vi('e1', [2, 3, 4])])
    nodes = [helper.make_node('If', ['c'], ['y'], then_branch=then_g, else_branch=else_g),
             helper.make_node('Abs', ['y'], ['z'])]
    save(name, nodes, [nh.from_array(np.array(cond_value), 'c')], [X], [vi('z', [2, 3, 4]), vi('y', [2, 3, 4])],
         'If', count)
if_model('if_const_true.onnx', True, 0)
if_model('if_const_false.onnx', False, 0)
if_model('if_const_returns_input.onnx', True, 0, graph_output_is_outer=True)
C = vi('cond', [], TensorProto.BOOL)
then_g = helper.make_graph([helper.make_node('Relu', ['x'], ['t1'])], 'then', [], [vi('t1', [2, 3, 4])])
else_g = helper.make_graph([helper.make_node('Neg', ['x'], ['e1'])], 'else', [], [vi('e1', [2, 3, 4])])
save('if_data_dependent.onnx', [helper.make_node('If', ['cond'], ['y'], then_branch=then_g, else_branch=else_g)],
     [], [X, C], [vi('y', [2, 3, 4])], 'If', 1)

# Findings of the differential fuzzer (tests/fuzz/opt_diff.c):
# Squeeze(Unsqueeze(x)) writing a graph output with x a graph input: neither
# can go (x cannot take the output's name); removing only the Squeeze would
# leave the output unsqueezed
save('unsqueeze_squeeze_graph_output.onnx',
     [helper.make_node('Unsqueeze', ['x', 'axes'], ['u']),
      helper.make_node('Squeeze', ['u', 'axes'], ['y'])],
     [ax('axes', [0, 2])], [vi('x', [3])], [vi('y', [3])], 'Squeeze', 1, opset=13)
# a constant-condition If whose taken branch lists one value as two outputs
then_g = helper.make_graph([helper.make_node('Relu', ['x'], ['r'])], 'then', [],
                           [vi('r', [3]), vi('r', [3])])
else_g = helper.make_graph([helper.make_node('Neg', ['x'], ['n'])], 'else', [],
                           [vi('n', [3]), vi('n', [3])])
save('if_inline_output_twice.onnx',
     [helper.make_node('If', ['cond'], ['a', 'b'], name='if', then_branch=then_g,
                       else_branch=else_g)],
     [nh.from_array(np.array(True), 'cond')], [vi('x', [3])], [vi('a', [3]), vi('b', [3])],
     'If', 0, opset=13)
# MatMul + Add whose other operand is computed between the two: the Gemm
# must go where the Add was
save('matmul_add_bias_computed_later.onnx',
     [helper.make_node('MatMul', ['x', 'w'], ['m'], name='mm'),
      helper.make_node('Relu', ['b'], ['c'], name='relu'),
      helper.make_node('Add', ['c', 'm'], ['y'], name='add')],
     [nh.from_array(np.arange(6, dtype=np.float32).reshape(2, 3) / 7, 'w')],
     [vi('x', [4, 2]), vi('b', [3])], [vi('y', [4, 3])], 'MatMul', 0, opset=13)

open(os.path.join(out, 'cases.txt'), 'w').write('\n'.join(cases) + '\n')
print('ok', len(cases))
