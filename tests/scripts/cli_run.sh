#!/usr/bin/env bash
# `onnxfold run` and `onnxfold verify` end to end: inputs from .npy, .pb, an
# input folder or seeded random values; outputs and --keep values written as
# .pb/.npy and checked with numpy; verify's exit statuses (0 agree, 1 differ,
# 2 bad input); bad input refused with one line naming the input, file or node.
. "$(dirname "$0")/lib.sh"
O=$ONNXFOLD
cd "$work" || exit 1
py - <<'PY' || { echo "model generation failed"; exit 1; }
import numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
X = helper.make_tensor_value_info('X', TensorProto.FLOAT, ['batch', 3])
Y = helper.make_tensor_value_info('Y', TensorProto.FLOAT, ['batch', 3])
W = numpy_helper.from_array(np.array([1, 2, 3], np.float32), 'W')
def model(nodes, path, inits=(W,), opset=14):
    g = helper.make_graph(nodes, 'g', [X], [Y], list(inits))
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)]), path)
model([helper.make_node('Add', ['X', 'W'], ['S'], name='add'),
       helper.make_node('Mul', ['S', 'X'], ['Y'], name='mul')], 'a.onnx')
model([helper.make_node('Add', ['X', 'W'], ['S']), helper.make_node('Mul', ['S', 'S'], ['Y'])], 'b.onnx')
model([helper.make_node('Frobnicate', ['X'], ['Y'], name='odd')], 'unknown_op.onnx')
# two outputs each: A (Y = Relu, Z = Neg), B (Z = Neg, W = Neg); B's Z is
# A's Z by name, but W is not an output of A, so pairing must be by position
# (A's Relu output was never compared: "outputs agree")
Z = helper.make_tensor_value_info('Z', TensorProto.FLOAT, ['batch', 3])
W2 = helper.make_tensor_value_info('W', TensorProto.FLOAT, ['batch', 3])
for name, nodes, outs in (('two_a.onnx', [helper.make_node('Relu', ['X'], ['Y']), helper.make_node('Neg', ['X'], ['Z'])], [Y, Z]),
                          ('two_b.onnx', [helper.make_node('Neg', ['X'], ['Z']), helper.make_node('Neg', ['X'], ['W'])], [Z, W2])):
    onnx.save(helper.make_model(helper.make_graph(nodes, 'g', [X], outs), opset_imports=[helper.make_opsetid('', 14)]), name)
x = np.arange(6, dtype=np.float32).reshape(2, 3)
np.save('x.npy', x)
onnx.save_tensor(numpy_helper.from_array(x, 'X'), 'x.pb')
import os
os.makedirs('indir', exist_ok=True)
onnx.save_tensor(numpy_helper.from_array(x, 'X'), 'indir/input_0.pb')
np.save('x_int.npy', x.astype(np.int64))
# intermediates whose --keep files would collide: 'output_0' with output 0,
# 'a/b' with 'a_b'
model([helper.make_node('Relu', ['X'], ['output_0']), helper.make_node('Neg', ['output_0'], ['a/b']),
       helper.make_node('Abs', ['a/b'], ['a_b']), helper.make_node('Add', ['a_b', 'output_0'], ['Y'])],
      'keep.onnx', inits=())
np.save('x_bad_shape.npy', np.zeros((2, 4), np.float32))
# a sequence input: its .pb file is a SequenceProto (the backend-test layout),
# which was read as a TensorProto ("float_data has 0 entries ...")
from onnx import SequenceProto
S = helper.make_tensor_sequence_value_info('S', TensorProto.FLOAT, [3])
g = helper.make_graph([helper.make_node('SequenceAt', ['S', 'i'], ['Y'])], 'g', [S], [helper.make_tensor_value_info('Y', TensorProto.FLOAT, None)],
                      [numpy_helper.from_array(np.int64(1), 'i')])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)]), 'seq_in.onnx')
sp = SequenceProto(name='S', elem_type=SequenceProto.TENSOR)
sp.tensor_values.extend([numpy_helper.from_array(np.float32([1, 2, 3])), numpy_helper.from_array(np.float32([4, 5, 6]))])
os.makedirs('seqdir', exist_ok=True)
for p in ('seq.pb', 'seqdir/input_0.pb'):
    open(p, 'wb').write(sp.SerializeToString())
# hand-made .npy headers: unsupported types, an unterminated type string, a dim past int64
import struct
def npy(path, header, data=b''):
    hb = header.encode()
    open(path, 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(hb)) + hb + data)
npy('x_be.npy', "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", b'\0' * 24)
npy('x_obj.npy', "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", b'\0' * 16)
npy('x_descr_open.npy', "{'shape': (1,), 'fortran_order': False, 'descr': '")
npy('x_dim_range.npy', "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 3), }")
# functions f0..f39, each calling the next twice: a 3 KB model that expands
# to 2^40 nodes if every call site is planned
fns = []
for k in range(40):
    body = ([helper.make_node('f%d' % (k + 1), ['x'], ['a'], domain='l'),
             helper.make_node('f%d' % (k + 1), ['a'], ['y'], domain='l')] if k < 39 else
            [helper.make_node('Neg', ['x'], ['y'])])
    fns.append(helper.make_function('l', 'f%d' % k, ['x'], ['y'], body,
                                    [helper.make_opsetid('', 14), helper.make_opsetid('l', 1)]))
g = helper.make_graph([helper.make_node('f0', ['X'], ['Y'], domain='l')], 'g',
                      [helper.make_tensor_value_info('X', TensorProto.FLOAT, [2])],
                      [helper.make_tensor_value_info('Y', TensorProto.FLOAT, [2])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 14), helper.make_opsetid('l', 1)],
                      functions=fns)
onnx.save(m, 'call_bomb.onnx')
PY
check "run --input .npy" "$O" run a.onnx --input X=x.npy --output-dir o1 --npy --keep S
check "output and kept value are right" py -c "
import numpy as np
x = np.load('x.npy'); s = x + np.array([1, 2, 3], np.float32)
assert (np.load('o1/output_0.npy') == s * x).all()
assert (np.load('o1/S.npy') == s).all()"
check "run --input .pb, output .pb" "$O" run a.onnx --input X=x.pb --output-dir o2
check "output .pb is a TensorProto named Y" py -c "
import numpy as np, onnx
from onnx import numpy_helper
t = onnx.load_tensor('o2/output_0.pb'); assert t.name == 'Y'
x = np.load('x.npy'); assert (numpy_helper.to_array(t) == (x + [1, 2, 3]) * x).all()"
check "run --input-dir" "$O" run a.onnx --input-dir indir --output-dir o3
check "--input-dir gives the same output" cmp o2/output_0.pb o3/output_0.pb
check "run --random is seeded" sh -c "'$O' run a.onnx --random --seed 7 --dim batch=5 --output-dir r1 &&
  '$O' run a.onnx --random --seed 7 --dim batch=5 --output-dir r2 && cmp r1/output_0.pb r2/output_0.pb"
check "another seed, other values" sh -c "'$O' run a.onnx --random --seed 8 --dim batch=5 --output-dir r3 && ! cmp -s r1/output_0.pb r3/output_0.pb"
check "--dim sets the symbolic dim" py -c "
import onnx; t = onnx.load_tensor('r1/output_0.pb'); assert list(t.dims) == [5, 3], t.dims"
check "threads do not change results" sh -c "'$O' run a.onnx --random --threads 1 --output-dir t1 &&
  '$O' run a.onnx --random --threads 2 --output-dir t2 && cmp t1/output_0.pb t2/output_0.pb"
check "summary line" sh -c "'$O' run a.onnx --input X=x.npy | grep -q 'Y: tensor float \[2,3\]  min 0  max 40'"
check "verify: same model agrees (exit 0)" "$O" verify a.onnx a.onnx --dim batch=3
"$O" verify a.onnx b.onnx --input X=x.npy >verify.out 2>&1
rc=$?
check "verify: different models exit 1" test "$rc" -eq 1
check "verify: names the worst element" grep -q "DIFFERENT Y: .* elements differ; worst at" verify.out
"$O" verify two_a.onnx two_b.onnx --input X=x.npy >verify2.out 2>&1
rc=$?
check "verify: outputs partly matching by name pair by position (exit 1)" test "$rc" -eq 1
check "verify: position pairs name A's output" grep -q "DIFFERENT Z (A's Y): " verify2.out
check "verify: tolerance can accept" "$O" verify a.onnx a.onnx --rtol 0 --atol 0
expect_fail2 "run: missing input" "input 'X' was not given" "$O" run a.onnx
expect_fail2 "run: wrong dtype" "input 'X': expected float data, got int64" "$O" run a.onnx --input X=x_int.npy
expect_fail2 "run: wrong shape" "input 'X': dim 1 must be 3" "$O" run a.onnx --input X=x_bad_shape.npy
expect_fail2 "run: .npy big-endian names the type" ".npy element type '>f4' is not supported" "$O" run a.onnx --input X=x_be.npy
expect_fail2 "run: .npy object names the type" ".npy element type '|O' is not supported" "$O" run a.onnx --input X=x_obj.npy
expect_fail2 "run: .npy type string unterminated" "x_descr_open.npy: malformed .npy header" "$O" run a.onnx --input X=x_descr_open.npy
expect_fail2 "run: .npy dim out of range" "x_dim_range.npy: malformed .npy shape" "$O" run a.onnx --input X=x_dim_range.npy
check "run: a sequence input from a SequenceProto .pb" sh -c "'$O' run seq_in.onnx --input S=seq.pb | grep -q 'Y: tensor float \[3\]  min 4  max 6'"
check "run: a sequence input from --input-dir" "$O" run seq_in.onnx --input-dir seqdir
check "verify: a sequence input from --input-dir" "$O" verify seq_in.onnx seq_in.onnx --input-dir seqdir
expect_fail2 "run: a TensorProto for a sequence input" "x.pb: not a serialized onnx.SequenceProto" "$O" run seq_in.onnx --input S=x.pb
expect_fail2 "run: unknown input name" "no input named 'Z'" "$O" run a.onnx --input Z=x.npy
expect_fail2 "run: not a tensor file" "TensorProto" "$O" run a.onnx --input X=a.onnx
expect_fail2 "run: missing tensor file" "missing.npy: cannot open" "$O" run a.onnx --input X=missing.npy
expect_fail2 "run: unknown operator names node, domain and opset" \
    "node 'odd' (Frobnicate): operator Frobnicate (domain ai.onnx, opset 14) is not supported" \
    "$O" run unknown_op.onnx --random
expect_fail2 "run: bad --threads" "--threads needs a number" "$O" run a.onnx --threads x
expect_fail2 "run: --keep without --output-dir" "--keep needs --output-dir" "$O" run a.onnx --random --keep S
expect_fail2 "verify: one model" "needs models A and B" "$O" verify a.onnx
expect_fail2 "verify: bad tolerance" "--rtol needs a non-negative number" "$O" verify a.onnx a.onnx --rtol -1
: >notdir
expect_fail2 "run: output dir is a file" "notdir: not a directory" "$O" run a.onnx --random --output-dir notdir
expect_fail2 "run: --keep file of an output" "--keep 'output_0' would be written to k1/output_0.pb, the file of output 0" \
    "$O" run keep.onnx --random --dim batch=2 --output-dir k1 --keep output_0
expect_fail2 "run: --keep names sharing a file" "--keep 'a/b' and 'a_b' would both be written to k1/a_b.npy" \
    "$O" run keep.onnx --random --dim batch=2 --output-dir k1 --npy --keep a/b,a_b
check "run: refused --keep writes nothing" test ! -e k1/output_0.pb
"$O" run keep.onnx --random --dim batch=2 --output-dir k2 --keep a/b,nosuch,X >keep.out 2>keep.err
rc=$?
check "run: --keep of unknown names still runs" test "$rc" -eq 0
check "run: --keep of unknown names is noted" grep -q "note: --keep 'nosuch': no node computed a value of that name" keep.err
check "run: --keep of a graph input is noted" grep -q "note: --keep 'X': no node computed" keep.err
check "run: kept value written" test -s k2/a_b.pb
check "run --help" sh -c "'$O' run --help | grep -q -- '--input-dir DIR'"
check "verify --help" sh -c "'$O' verify --help | grep -q 'Exit status: 0 the outputs agree, 1 they differ'"
expect_fail2 "run: function calls expanding to 2^40 nodes are refused" \
    "function calls expand to more than" "$O" run call_bomb.onnx --random
finish
