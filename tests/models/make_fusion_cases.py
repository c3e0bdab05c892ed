#!/usr/bin/python3
"""Writes the small models tests/scripts/optimize_fusion.sh optimizes: one per
Conv/Gemm/MatMul + BatchNormalization (and per-channel Mul/Add) case of
../shared/PITFALLS.md, fusable or not. Random parameters from a fixed seed;
BN variances positive except where a case needs otherwise.

usage: make_fusion_cases.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper as nh

rng = np.random.default_rng(7)
out = sys.argv[1]
F = TensorProto.FLOAT


def t(name, a):
    return nh.from_array(np.asarray(a), name)


def bn_params(c, dtype=np.float32, prefix='bn'):
    return [t(prefix + '_s', rng.uniform(0.5, 1.5, c).astype(dtype)),
            t(prefix + '_b', rng.normal(0, 0.3, c).astype(dtype)),
            t(prefix + '_m', rng.normal(0, 0.3, c).astype(dtype)),
            t(prefix + '_v', rng.uniform(0.2, 2.0, c).astype(dtype))]


def bn(x, y, prefix='bn', **attrs):
    return helper.make_node('BatchNormalization', [x, prefix + '_s', prefix + '_b', prefix + '_m',
                                                   prefix + '_v'], [y], name=prefix, **attrs)


def save(name, nodes, inits, inputs, outputs, opset=15, ir=8):
    g = helper.make_graph(nodes, 'g', inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)])
    m.ir_version = ir
    # outputs were declared with a type only: take their shapes from inference
    inferred = onnx.shape_inference.infer_shapes(m)
    for o in m.graph.output:
        if not o.type.tensor_type.HasField('shape'):
            for src in list(inferred.graph.value_info) + list(inferred.graph.output):
                if src.name == o.name and src.type.tensor_type.HasField('shape'):
                    o.type.tensor_type.shape.CopyFrom(src.type.tensor_type.shape)
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name))


def vi(name, shape, elem=F):
    if shape is None:  # outputs: type only, shape left to inference
        v = onnx.ValueInfoProto()
        v.name = name
        v.type.tensor_type.elem_type = elem
        return v
    return helper.make_tensor_value_info(name, elem, shape)


def conv_case(name, cin=4, cout=6, k=(3, 3), spatial=(8, 8), group=1, bias=True, empty_slot=False,
              dtype=np.float32, elem=F, eps=None, extra_nodes=(), extra_inits=(), outputs=None,
              bn_attrs=None, var=None, opset=15):
    w = t('w', rng.normal(0, 0.5, (cout, cin // group) + k).astype(dtype))
    inits = [w] + bn_params(cout, dtype)
    if var is not None:
        inits[-1] = t('bn_v', np.asarray(var, dtype))
    ins = ['x', 'w']
    if bias:
        inits.append(t('b', rng.normal(0, 0.5, cout).astype(dtype)))
        ins.append('b')
    elif empty_slot:
        ins.append('')
    attrs = dict(bn_attrs or {})
    if eps is not None:
        attrs['epsilon'] = eps
    nodes = [helper.make_node('Conv', ins, ['c'], name='conv', group=group,
                              pads=[1] * (2 * len(k))),
             bn('c', 'y', **attrs)] + list(extra_nodes)
    yshape = [1, cout] + list(spatial)  # pads 1 with 3-wide kernels keep the size
    save(name, nodes, inits + list(extra_inits), [vi('x', [1, cin] + list(spatial), elem)],
         outputs or [vi('y', yshape, elem)], opset=opset)


conv_case('conv_bn.onnx')
conv_case('conv_bn_nobias.onnx', bias=False)
conv_case('conv_bn_empty_bias_slot.onnx', bias=False, empty_slot=True)
conv_case('conv_bn_1d.onnx', k=(3,), spatial=(10,))
conv_case('conv_bn_3d.onnx', k=(3, 3, 3), spatial=(5, 5, 5))
conv_case('conv_bn_grouped.onnx', cin=4, cout=6, group=2)
conv_case('conv_bn_depthwise.onnx', cin=6, cout=6, group=6)
conv_case('conv_bn_eps.onnx', eps=0.5)
conv_case('conv_bn_f16.onnx', dtype=np.float16, elem=TensorProto.FLOAT16)
conv_case('conv_bn_double.onnx', dtype=np.float64, elem=TensorProto.DOUBLE)
conv_case('conv_output_is_graph_output.onnx', outputs=[vi('y', [1, 6, 8, 8]), vi('c', [1, 6, 8, 8])])
conv_case('conv_output_two_readers.onnx', extra_nodes=[helper.make_node('Relu', ['c'], ['r'])],
          outputs=[vi('y', [1, 6, 8, 8]), vi('r', [1, 6, 8, 8])])
conv_case('bn_training_mode.onnx', bn_attrs={'training_mode': 1})
conv_case('bn_var_eps_not_positive.onnx', var=[-1.0, 0.5, 0.5, 0.5, 0.5, 0.5], eps=1e-5)

# BN training outputs used (opset 15, training_mode=1 with running stats out)
w = t('w', rng.normal(0, 0.5, (6, 4, 3, 3)).astype(np.float32))
save('bn_training_outputs_used.onnx',
     [helper.make_node('Conv', ['x', 'w'], ['c'], pads=[1, 1, 1, 1]),
      helper.make_node('BatchNormalization', ['c', 'bn_s', 'bn_b', 'bn_m', 'bn_v'],
                       ['y', 'rm', 'rv'], training_mode=1)],
     [w] + bn_params(6), [vi('x', [1, 4, 8, 8])], [vi('y', [1, 6, 8, 8]), vi('rm', [6])])

# BN of opset 13 with its training outputs present but unused: before opset 14
# their presence selects training mode, so Y uses the batch statistics
w = t('w', rng.normal(0, 0.5, (6, 4, 3, 3)).astype(np.float32))
save('bn_op13_training_outputs_unused.onnx',
     [helper.make_node('Conv', ['x', 'w'], ['c'], pads=[1, 1, 1, 1]),
      helper.make_node('BatchNormalization', ['c', 'bn_s', 'bn_b', 'bn_m', 'bn_v'],
                       ['y', 'rm', 'rv', 'sm', 'sv'], momentum=0.9)],
     [w] + bn_params(6), [vi('x', [2, 4, 8, 8])], [vi('y', [2, 6, 8, 8])], opset=13)

# Conv output read inside an If body
then_g = helper.make_graph([helper.make_node('Relu', ['c'], ['t'])], 'then', [], [vi('t', None)])
else_g = helper.make_graph([helper.make_node('Neg', ['c'], ['e'])], 'else', [], [vi('e', None)])
w = t('w', rng.normal(0, 0.5, (6, 4, 3, 3)).astype(np.float32))
save('conv_output_read_in_subgraph.onnx',
     [helper.make_node('Conv', ['x', 'w'], ['c'], pads=[1, 1, 1, 1]), bn('c', 'y'),
      helper.make_node('If', ['cond'], ['z'], then_branch=then_g, else_branch=else_g)],
     [w] + bn_params(6), [vi('x', [1, 4, 8, 8]), vi('cond', [], TensorProto.BOOL)],
     [vi('y', None), vi('z', None)])

# BN parameters that are graph inputs (not constants); a Conv bias computed at run time
w = t('w', rng.normal(0, 0.5, (6, 4, 3, 3)).astype(np.float32))
p = bn_params(6)
save('bn_params_not_constant.onnx',
     [helper.make_node('Conv', ['x', 'w'], ['c'], pads=[1, 1, 1, 1]),
      helper.make_node('Abs', ['sv'], ['bn_v']), bn('c', 'y')],
     [w] + p[:3], [vi('x', [1, 4, 8, 8]), vi('sv', [6])], [vi('y', None)])
save('conv_bias_not_constant.onnx',
     [helper.make_node('Conv', ['x', 'w', 'bb'], ['c'], pads=[1, 1, 1, 1]), bn('c', 'y')],
     [w] + bn_params(6), [vi('x', [1, 4, 8, 8]), vi('bb', [6])], [vi('y', None)])

# weight listed as a graph input (overridable)
save('conv_bn_weight_is_input.onnx',
     [helper.make_node('Conv', ['x', 'w'], ['c'], pads=[1, 1, 1, 1]), bn('c', 'y')],
     [w] + bn_params(6), [vi('x', [1, 4, 8, 8]), vi('w', [6, 4, 3, 3])], [vi('y', None)])

# one weight shared by two Convs, both followed by BN; and shared with a plain Conv
save('shared_weight_two_bn.onnx',
     [helper.make_node('Conv', ['x', 'w'], ['c1'], pads=[1, 1, 1, 1]), bn('c1', 'y1', 'p1'),
      helper.make_node('Conv', ['x', 'w'], ['c2'], pads=[1, 1, 1, 1]), bn('c2', 'y2', 'p2')],
     [w] + bn_params(6, prefix='p1') + bn_params(6, prefix='p2'), [vi('x', [1, 4, 8, 8])],
     [vi('y1', None), vi('y2', None)])
save('shared_weight_other_conv.onnx',
     [helper.make_node('Conv', ['x', 'w'], ['c1'], pads=[1, 1, 1, 1]), bn('c1', 'y1'),
      helper.make_node('Conv', ['x', 'w'], ['y2'], pads=[1, 1, 1, 1])],
     [w] + bn_params(6), [vi('x', [1, 4, 8, 8])], [vi('y1', None), vi('y2', None)])

# ConvTranspose with group 2: W [C_in, C_out/group, k, k]
wt = t('w', rng.normal(0, 0.5, (4, 3, 3, 3)).astype(np.float32))
save('convt_bn_group2.onnx',
     [helper.make_node('ConvTranspose', ['x', 'w', 'b'], ['c'], group=2, strides=[2, 2]),
      bn('c', 'y')],
     [wt, t('b', rng.normal(0, 0.5, 6).astype(np.float32))] + bn_params(6),
     [vi('x', [1, 4, 5, 5])], [vi('y', None)])

# Gemm with transB, alpha and beta != 1 and a per-column C; Gemm without C
save('gemm_bn_transb_beta.onnx',
     [helper.make_node('Gemm', ['x', 'w', 'cc'], ['c'], transB=1, alpha=0.75, beta=0.5),
      bn('c', 'y')],
     [t('w', rng.normal(0, 0.5, (6, 5)).astype(np.float32)),
      t('cc', rng.normal(0, 0.5, (1, 6)).astype(np.float32))] + bn_params(6),
     [vi('x', [3, 5])], [vi('y', None)])
save('gemm_bn_no_c.onnx',
     [helper.make_node('Gemm', ['x', 'w'], ['c']), bn('c', 'y')],
     [t('w', rng.normal(0, 0.5, (5, 6)).astype(np.float32))] + bn_params(6),
     [vi('x', [3, 5])], [vi('y', None)])

# MatMul: 2-D input fuses (into a Gemm); 3-D input must not (axis 1 is not the weight's)
save('matmul_bn_2d.onnx',
     [helper.make_node('MatMul', ['x', 'w'], ['c']), bn('c', 'y')],
     [t('w', rng.normal(0, 0.5, (5, 6)).astype(np.float32))] + bn_params(6),
     [vi('x', [3, 5])], [vi('y', None)])
save('matmul_bn_3d.onnx',
     [helper.make_node('MatMul', ['x', 'w'], ['c']), bn('c', 'y')],
     [t('w', rng.normal(0, 0.5, (5, 4)).astype(np.float32))] + bn_params(6),
     [vi('x', [2, 6, 5])], [vi('y', None)])

# Conv followed by per-channel Mul / Add
w = t('w', rng.normal(0, 0.5, (6, 4, 3, 3)).astype(np.float32))
def conv_then(name, op, k, first=True):
    ins = ['c', 'k'] if first else ['k', 'c']
    save(name, [helper.make_node('Conv', ['x', 'w'], ['c'], pads=[1, 1, 1, 1]),
                helper.make_node(op, ins, ['y'])],
         [w, t('k', np.asarray(k, np.float32))], [vi('x', [1, 4, 8, 8])], [vi('y', None)])
conv_then('conv_mul_channel.onnx', 'Mul', rng.normal(1, 0.3, (1, 6, 1, 1)))
conv_then('conv_add_channel.onnx', 'Add', rng.normal(0, 0.3, (6, 1, 1)), first=False)
conv_then('conv_mul_scalar.onnx', 'Mul', 0.5)
conv_then('conv_mul_wrong_axis.onnx', 'Mul', rng.normal(1, 0.3, (8,)))
conv_then('conv_add_spatial.onnx', 'Add', rng.normal(0, 0.3, (1, 6, 8, 1)))
# Weights of 1 MiB and more kept in external data: fused on demand (computed a
# chunk at a time when saved; passes/scale_weight.c). Every producer layout,
# a weight fused twice (BN, then a per-channel Mul: computed from a weight that
# is itself computed on demand), an Add that leaves the weight as it is, and
# two identical branches whose fused weights dedup-initializers must compare.
def save_ext(name, *args, **kw):
    save(name, *args, **kw)
    m = onnx.load(os.path.join(out, name))
    onnx.save_model(m, os.path.join(out, name), save_as_external_data=True,
                    all_tensors_to_one_file=True, location=name + '.data', size_threshold=1024)


wb = t('w', rng.normal(0, 0.05, (256, 128, 3, 3)).astype(np.float32))  # 1.1 MiB
save_ext('big_conv_bn.onnx',
         [helper.make_node('Conv', ['x', 'w', 'b'], ['c'], pads=[1, 1, 1, 1]), bn('c', 'y')],
         [wb, t('b', rng.normal(0, 0.5, 256).astype(np.float32))] + bn_params(256),
         [vi('x', [1, 128, 4, 4])], [vi('y', None)])
save_ext('big_conv_bn_mul.onnx',
         [helper.make_node('Conv', ['x', 'w'], ['c'], pads=[1, 1, 1, 1]), bn('c', 'z'),
          helper.make_node('Mul', ['z', 'k'], ['y'])],
         [wb, t('k', rng.normal(1, 0.3, (1, 256, 1, 1)).astype(np.float32))] + bn_params(256),
         [vi('x', [1, 128, 4, 4])], [vi('y', None)])
save_ext('big_conv_add.onnx',
         [helper.make_node('Conv', ['x', 'w'], ['c'], pads=[1, 1, 1, 1]),
          helper.make_node('Add', ['c', 'k'], ['y'])],
         [wb, t('k', rng.normal(0, 0.3, (256, 1, 1)).astype(np.float32))],
         [vi('x', [1, 128, 4, 4])], [vi('y', None)])
save_ext('big_conv_bn_double.onnx',
         [helper.make_node('Conv', ['x', 'w'], ['c'], pads=[1, 1, 1, 1]), bn('c', 'y')],
         [t('w', rng.normal(0, 0.05, (128, 128, 3, 3)).astype(np.float64))] +
         bn_params(128, np.float64), [vi('x', [1, 128, 4, 4], TensorProto.DOUBLE)],
         [vi('y', None, TensorProto.DOUBLE)])
save_ext('big_conv_bn_f16.onnx',
         [helper.make_node('Conv', ['x', 'w'], ['c'], pads=[1, 1, 1, 1]), bn('c', 'y')],
         [t('w', rng.normal(0, 0.05, (256, 256, 3, 3)).astype(np.float16))] +
         bn_params(256, np.float16), [vi('x', [1, 256, 3, 3], TensorProto.FLOAT16)],
         [vi('y', None, TensorProto.FLOAT16)])
save_ext('big_convt_bn_group2.onnx',
         [helper.make_node('ConvTranspose', ['x', 'w', 'b'], ['c'], group=2, strides=[2, 2]),
          bn('c', 'y')],
         [t('w', rng.normal(0, 0.05, (256, 64, 4, 4)).astype(np.float32)),
          t('b', rng.normal(0, 0.5, 128).astype(np.float32))] + bn_params(128),
         [vi('x', [1, 256, 3, 3])], [vi('y', None)])
save_ext('big_gemm_bn_transb_beta.onnx',
         [helper.make_node('Gemm', ['x', 'w', 'cc'], ['c'], transB=1, alpha=0.75, beta=0.5),
          bn('c', 'y')],
         [t('w', rng.normal(0, 0.05, (1024, 512)).astype(np.float32)),
          t('cc', rng.normal(0, 0.5, (1, 1024)).astype(np.float32))] + bn_params(1024),
         [vi('x', [3, 512])], [vi('y', None)])
save_ext('big_matmul_bn.onnx',
         [helper.make_node('MatMul', ['x', 'w'], ['c']), bn('c', 'y')],
         [t('w', rng.normal(0, 0.05, (512, 1024)).astype(np.float32))] + bn_params(1024),
         [vi('x', [3, 512])], [vi('y', None)])
wb2 = t('w2', nh.to_array(wb))
p1 = bn_params(256, prefix='p1')
p2 = [t('p2' + x.name[2:], nh.to_array(x)) for x in p1]
save_ext('big_two_branches.onnx',
         [helper.make_node('Conv', ['x', 'w'], ['c1'], pads=[1, 1, 1, 1]), bn('c1', 'y1', 'p1'),
          helper.make_node('Conv', ['x', 'w2'], ['c2'], pads=[1, 1, 1, 1]), bn('c2', 'y2', 'p2')],
         [wb, wb2] + p1 + p2, [vi('x', [1, 128, 4, 4])], [vi('y1', None), vi('y2', None)])
print('ok')
