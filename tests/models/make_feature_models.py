#!/usr/bin/python3
"""Makes tests/models/features.onnx: one small model that uses every part of
the ONNX format the loader must carry through a round trip.

Run: /usr/bin/python3 tests/models/make_feature_models.py
It holds: attributes of every type (incl. graphs, sparse tensors, type protos),
tensors stored in each typed field (float_data, int32_data for float16 and
int8, int64_data, string_data, double_data, uint64_data) and in raw_data, a
segment, an overridable initializer (also a graph input), a sparse
initializer, value_info, doc strings and metadata_props at every level,
quantization annotations, training_info (with a raw_data initializer), a
model-local function, symbolic
dims with denotations, sequence/map/optional types, and fields newer than
python3-onnx 1.12 (node device configurations, graph metadata) appended as
raw protobuf bytes. The model is structurally valid; it is not meant to run.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def field(num, wire, payload):
    key = varint((num << 3) | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def main():
    f16 = TensorProto(name="f16", data_type=TensorProto.FLOAT16, dims=[2],
                      int32_data=[0x3C00, 0xC000])
    i8 = TensorProto(name="i8", data_type=TensorProto.INT8, dims=[3], int32_data=[-1, 0, 7])
    i64 = TensorProto(name="i64", data_type=TensorProto.INT64, dims=[2], int64_data=[-5, 9])
    s = TensorProto(name="s", data_type=TensorProto.STRING, dims=[2], string_data=[b"a", b""])
    d = TensorProto(name="d", data_type=TensorProto.DOUBLE, dims=[1], double_data=[0.5])
    u = TensorProto(name="u", data_type=TensorProto.UINT32, dims=[1], uint64_data=[4000000000])
    fl = TensorProto(name="fl", data_type=TensorProto.FLOAT, dims=[2], float_data=[1.0, -0.0])
    raw = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "raw")
    raw.doc_string = "raw payload"
    seg = numpy_helper.from_array(np.ones(2, dtype=np.float32), "seg")
    seg.segment.begin = 0
    seg.segment.end = 2
    meta = TensorProto(name="meta", data_type=TensorProto.FLOAT, dims=[1], float_data=[3.0])
    sparse = helper.make_sparse_tensor(
        numpy_helper.from_array(np.array([1.5, 2.5], dtype=np.float32), "sp"),
        numpy_helper.from_array(np.array([1, 4], dtype=np.int64), "sp_idx"), [6])

    then_g = helper.make_graph([helper.make_node("Identity", ["raw"], ["then_out"])], "then",
                               [], [helper.make_tensor_value_info("then_out", TensorProto.FLOAT, None)])
    else_g = helper.make_graph([helper.make_node("Neg", ["raw"], ["else_out"])], "else",
                               [], [helper.make_tensor_value_info("else_out", TensorProto.FLOAT, None)])
    node_if = helper.make_node("If", ["cond"], ["if_out"], name="if_node",
                               then_branch=then_g, else_branch=else_g, doc_string="an If")
    seq_t = helper.make_sequence_type_proto(helper.make_tensor_type_proto(TensorProto.FLOAT, [2]))
    attrs = helper.make_node(
        "Custom", ["x", "", "raw"], ["c_out", ""], name="custom", domain="test.domain",
        f=0.25, i=-3, s="text", t=f16, g=then_g, floats=[1.0, 2.0], ints=[1, -1, 0],
        strings=[b"p", b"q"], tensors=[i8, i64], graphs=[else_g], sp=sparse,
        sps=[sparse], tp=seq_t, tps=[seq_t])
    ref = helper.make_attribute("ref", 0)
    ref.ref_attr_name = "outer"
    attrs.attribute.append(ref)
    fn = helper.make_function("test.domain", "Double", ["a"], ["b"],
                              [helper.make_node("Add", ["a", "a"], ["b"])],
                              [helper.make_opsetid("", 13)], attributes=["alpha"])
    fn.doc_string = "doubles"
    use_fn = helper.make_node("Double", ["x"], ["dbl"], domain="test.domain")

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])
    x.type.tensor_type.shape.dim[0].denotation = "DATA_BATCH"
    x.type.denotation = "TENSOR"
    cond = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
    over = helper.make_tensor_value_info("fl", TensorProto.FLOAT, [2])  # overridable
    opt_in = helper.make_value_info("opt", helper.make_optional_type_proto(seq_t))
    map_type = onnx.TypeProto()
    map_type.map_type.key_type = TensorProto.INT64
    map_type.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(TensorProto.FLOAT, None))
    map_in = helper.make_value_info("mp", map_type)
    outs = [helper.make_tensor_value_info("if_out", TensorProto.FLOAT, None),
            helper.make_tensor_value_info("c_out", TensorProto.FLOAT, [None, "n"]),
            helper.make_tensor_value_info("dbl", TensorProto.FLOAT, ["batch", 3])]
    graph = helper.make_graph([node_if, attrs, use_fn], "features", [x, cond, over, opt_in, map_in],
                              outs, initializer=[f16, i8, i64, s, d, u, fl, raw, seg, meta],
                              doc_string="every feature",
                              value_info=[helper.make_tensor_value_info("unused_vi", TensorProto.INT8, [1])])
    graph.sparse_initializer.append(sparse)
    qa = graph.quantization_annotation.add()
    qa.tensor_name = "raw"
    kv = qa.quant_parameter_tensor_names.add()
    kv.key, kv.value = "SCALE_TENSOR", "d"

    model = helper.make_model(graph, producer_name="onnxfold-tests", producer_version="1",
                              doc_string="features", domain="org.onnxfold", model_version=3,
                              opset_imports=[helper.make_opsetid("", 17),
                                             helper.make_opsetid("test.domain", 1)],
                              functions=[fn])
    helper.set_model_props(model, {"author": "onnxfold", "empty": ""})
    ti = model.training_info.add()
    # training_info is kept opaque by the loader: a raw_data payload inside it
    # must come back verbatim (it once came back as a borrowed-payload stub).
    ti.algorithm.CopyFrom(helper.make_graph(
        [], "algo", [], [],
        initializer=[numpy_helper.from_array(np.arange(8, dtype=np.float32), "lr")]))
    b = ti.update_binding.add()
    b.key, b.value = "raw", "raw"

    data = bytearray(model.SerializeToString())
    # Fields newer than python3-onnx 1.12, appended as raw bytes on the model:
    # configuration (26): DeviceConfigurationProto{name, num_devices, device}.
    cfg = field(1, 2, b"mesh") + field(2, 0, varint(2)) + field(3, 2, b"cpu0") + field(3, 2, b"cpu1")
    data += field(26, 2, cfg)
    # An unknown varint field no ONNX version defines.
    data += field(999, 0, varint(12345))
    path = os.path.join(HERE, "features.onnx")
    with open(path, "wb") as f:
        f.write(bytes(data))
    back = onnx.ModelProto()
    back.ParseFromString(bytes(data))
    print("wrote", path, len(data), "bytes")


if __name__ == "__main__":
    main()
