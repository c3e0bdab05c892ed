#!/usr/bin/python3
"""Writes the fuzzers' seed inputs into fuzz/seeds/ (committed; rerun after
changing this script):

  seeds/load/      models for fuzz_load: a model-local function (attribute
                   defaults, value_info), sparse tensors (initializer and
                   attribute), every typed payload field, payloads of 64 KiB
                   or more in raw_data and in float_data, a subgraph holding
                   an initializer, a model naming external data (refused from
                   memory).
  seeds/external/  inputs for fuzz_external: a save-options byte, the model's
                   length (4 bytes, little-endian), the model, then the bytes
                   of weights.bin beside it (see fuzz/fuzz_external.c):
                   external initializers under each save mode, locations that
                   try to leave the folder (../outside.bin, the link.bin
                   symlink, an absolute path), ranges past the end, a missing
                   length, and functions and sparse tensors with external data.

Deterministic (fixed seed). Usage: /usr/bin/python3 fuzz/make_seeds.py
"""

import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))

# python3-onnx 1.12 (Debian 12) predates some fields onnxfold reads
# (FunctionProto.attribute_proto and value_info, 4-bit types): those are
# appended as encoded fields.


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def field(number, payload):
    """A length-delimited field."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def int4_tensor(name):
    """TensorProto INT4 [3] in int32_data: dims 1, data_type 2, int32_data 5, name 8."""
    packed = varint(0x8F) + varint(0x07)
    return (varint(1 << 3) + varint(3) + varint(2 << 3) + varint(22) + field(5, packed) +
            field(8, name.encode()))
OPSET = [helper.make_opsetid("", 17), helper.make_opsetid("local", 1)]
rng = np.random.default_rng(7)


def model(nodes, inputs, outputs, inits=(), sparse=(), opsets=OPSET):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits),
                          sparse_initializer=list(sparse))
    return helper.make_model(g, opset_imports=opsets, producer_name="make_seeds")


def vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def function_bytes():
    """A FunctionProto with an attribute default (11) and a value_info entry (12)."""
    f = helper.make_function(
        "local", "ScaleAdd", ["x", "b"], ["y"],
        [helper.make_node("Constant", [], ["s"], value_float=2.0),
         helper.make_node("Mul", ["x", "s"], ["t"]),
         helper.make_node("Add", ["t", "b"], ["y"])],
        opset_imports=[helper.make_opsetid("", 17)], attributes=["alpha"])
    return (f.SerializeToString() +
            field(11, helper.make_attribute("beta", 0.5).SerializeToString()) +
            field(12, vi("t", [4]).SerializeToString()))


def with_function(m):
    """The model's bytes with the function appended (ModelProto.functions, 25)."""
    return m.SerializeToString() + field(25, function_bytes())


def function_model():
    b = numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "B")
    return model([helper.make_node("ScaleAdd", ["X", "B"], ["Y"], domain="local", alpha=1.5)],
                 [vi("X", [4])], [vi("Y", [4])], [b])


def sparse_model():
    values = numpy_helper.from_array(np.array([1.5, -2.0, 3.25], np.float32), "S")
    indices = numpy_helper.from_array(np.array([1, 5, 7], np.int64), "S_idx")
    s = helper.make_sparse_tensor(values, indices, [8])
    v2 = numpy_helper.from_array(np.array([4.0], np.float32), "C")
    i2 = numpy_helper.from_array(np.array([[0, 1]], np.int64), "C_idx")
    const = helper.make_node("Constant", [], ["C"],
                             sparse_value=helper.make_sparse_tensor(v2, i2, [2, 2]))
    return model([const, helper.make_node("Identity", ["S"], ["Y"])], [], [vi("Y", [8]),
                 vi("C", [2, 2])], sparse=[s])


def typed_model():
    t = []
    t.append(helper.make_tensor("f", TensorProto.FLOAT, [3], [1.0, 2.0, 3.0]))
    t.append(helper.make_tensor("i8", TensorProto.INT8, [3], [-1, 0, 7]))
    t.append(helper.make_tensor("h", TensorProto.FLOAT16, [2], [0x3C00, 0xC000]))
    t.append(helper.make_tensor("bf", TensorProto.BFLOAT16, [1], [0x4040]))
    t.append(helper.make_tensor("l", TensorProto.INT64, [2], [-9, 9]))
    t.append(helper.make_tensor("d", TensorProto.DOUBLE, [2], [0.5, 2.5]))
    t.append(helper.make_tensor("u32", TensorProto.UINT32, [2], [4000000000, 1]))
    t.append(helper.make_tensor("c", TensorProto.COMPLEX64, [1], [complex(1.0, 2.0)]))
    t.append(helper.make_tensor("s", TensorProto.STRING, [2], [b"ab", b"c"]))
    t.append(helper.make_tensor("b", TensorProto.BOOL, [2], [1, 0]))
    return model([helper.make_node("Identity", ["f"], ["Y"])], [], [vi("Y", [3])], t)


def large_model(typed):
    n = 17 * 1024  # 68 KiB of float32: over the 64 KiB borrow threshold
    w = rng.standard_normal(n).astype(np.float32)
    if typed:
        t = helper.make_tensor("W", TensorProto.FLOAT, [n], w.tolist())
    else:
        t = numpy_helper.from_array(w, "W")
    return model([helper.make_node("Add", ["X", "W"], ["Y"])], [vi("X", [n])], [vi("Y", [n])], [t])


def subgraph_model():
    w = numpy_helper.from_array(np.ones(4, np.float32), "W_then")
    then_g = helper.make_graph([helper.make_node("Add", ["X", "W_then"], ["a"])], "then", [],
                               [vi("a", [4])], initializer=[w])
    else_g = helper.make_graph([helper.make_node("Neg", ["X"], ["b"])], "else", [], [vi("b", [4])])
    node = helper.make_node("If", ["cond"], ["Y"], then_branch=then_g, else_branch=else_g)
    return model([node], [vi("cond", [], TensorProto.BOOL), vi("X", [4])], [vi("Y", [4])])


def external_tensor(name, shape, location, offset, length, dtype=TensorProto.FLOAT):
    t = TensorProto()
    t.name = name
    t.data_type = dtype
    t.dims.extend(shape)
    t.data_location = TensorProto.EXTERNAL
    for key, val in (("location", location), ("offset", offset), ("length", length)):
        if val is None:
            continue
        e = t.external_data.add()
        e.key, e.value = key, str(val)
    return t


def external_model(location="weights.bin", extra=(), sparse=(), length=True):
    """Three float tensors in weights.bin (offsets 0, 64, 128), one inline."""
    inits = [external_tensor("E%d" % k, [4], location, 64 * k, 16 if length else None)
             for k in range(3)]
    inits.append(numpy_helper.from_array(np.array([0.5] * 4, np.float32), "I"))
    inits.extend(extra)
    nodes = [helper.make_node("Add", ["E0", "E1"], ["a"]),
             helper.make_node("Mul", ["a", "E2"], ["b"]),
             helper.make_node("Add", ["b", "I"], ["Y"])]
    return model(nodes, [], [vi("Y", [4])], inits, sparse=sparse)


def weights():
    data = bytearray(192)
    for k in range(3):
        data[64 * k:64 * k + 16] = np.arange(4 * k, 4 * k + 4, dtype=np.float32).tobytes()
    return bytes(data)


def container(options, m, data):
    b = m if isinstance(m, bytes) else m.SerializeToString()
    return bytes([options]) + struct.pack("<I", len(b)) + b + data


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    load_dir = os.path.join(HERE, "seeds", "load")
    ext_dir = os.path.join(HERE, "seeds", "external")
    for d in (load_dir, ext_dir):
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.remove(os.path.join(d, f))
    loads = {
        "function.onnx": function_model(),
        "sparse.onnx": sparse_model(),
        "typed_payloads.onnx": typed_model(),
        "large_raw.onnx": large_model(False),
        "large_float_data.onnx": large_model(True),
        "subgraph_initializer.onnx": subgraph_model(),
        "external_from_memory.onnx": external_model(),
    }
    for name, m in loads.items():
        b = with_function(m) if name == "function.onnx" else m.SerializeToString()
        if name == "typed_payloads.onnx":  # GraphProto.initializer (5) inside ModelProto.graph (7)
            g = m.graph.SerializeToString() + field(5, int4_tensor("i4"))
            m.ClearField("graph")
            b = m.SerializeToString() + field(7, g)
        write(os.path.join(load_dir, name), b)
    w = weights()
    # options byte: mode = b % 3 (KEEP, INTERNAL, FILE), threshold 1 << (b / 3 % 12)
    keep, internal, file_ = 0, 1, 2
    exts = {
        "keep": container(keep, external_model(), w),
        "internal": container(internal, external_model(), w),
        "file_threshold_16": container(file_ + 3 * 4, external_model(), w),
        "file_threshold_1": container(file_, external_model(), w),
        "escape_dotdot": container(file_, external_model("../outside.bin"), w),
        "escape_symlink": container(file_, external_model("link.bin"), w),
        "absolute": container(file_, external_model("/etc/hostname"), w),
        "past_the_end": container(keep, external_model(extra=[
            external_tensor("P", [64], "weights.bin", 160, 256)]), w),
        "no_length": container(file_, external_model(length=False), w[:16]),
        "typed_to_external": container(file_ + 3 * 2, external_model(extra=[
            helper.make_tensor("T", TensorProto.FLOAT, [8], list(range(8)))]), w),
        "functions_sparse": container(file_ + 3 * 3, with_function(external_model(
            sparse=sparse_model().graph.sparse_initializer)), w),
        "large_payload": container(file_ + 3 * 10, large_model(False), b""),
    }
    for name, data in exts.items():
        write(os.path.join(ext_dir, name), data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
