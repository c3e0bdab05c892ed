#!/usr/bin/env bash
# Bad input: every case gets exit status 2 (not a crash, not a hang), one
# stderr line "onnxfold: FILE: reason" that names the file and the reason, and
# for `convert` no OUT, no OUT.data and no temporary file left behind.
. "$(dirname "$0")/lib.sh"
ex="$SRC/examples/tiny_cnn.onnx"
out="$work/out"
mkdir -p "$out"
# Every run is bounded (5 s; each takes milliseconds): a tool that blocks
# (e.g. opening a FIFO) fails the check with exit 124 instead of hanging.
run=(timeout 5 "$ONNXFOLD")

# names_file CASE FILE: the last expect_fail2's message starts "onnxfold: FILE: ".
names_file() {
    if grep -qF -- "onnxfold: $2: " "$work/.err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $1: the message does not start with 'onnxfold: $2: ': $(head -c 300 "$work/.err")"
    fi
}

# both CASE FILE FRAGMENT: `info` and `convert` refuse FILE the same way.
both() {
    expect_fail2 "info: $1" "$3" "${run[@]}" info "$2"
    names_file "info: $1" "$2"
    expect_fail2 "info --json: $1" "$3" "${run[@]}" info --json "$2"
    check "info --json: $1: nothing on stdout" test ! -s "$work/.out"
    expect_fail2 "convert: $1" "$3" "${run[@]}" convert "$2" "$out/o.onnx"
    names_file "convert: $1" "$2"
    no_leftovers "convert: $1 leaves nothing" "$out" "$out/o.onnx"
    no_leftovers "convert: $1 leaves no OUT.data" "$out" "$out/o.onnx.data"
}

both "missing file" "$work/missing.onnx" "missing.onnx: cannot open: No such file"
both "a directory" "$work" "not a regular file"
: >"$work/empty.onnx"
both "empty file" "$work/empty.onnx" "empty.onnx: empty file"
echo "this is not a model, just text" >"$work/notes.txt"
both "text file" "$work/notes.txt" "notes.txt: not an ONNX model"
py -c 'import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],"w"); z.writestr("archive/data.pkl", b"\x80\x02}q\x00."); z.writestr("archive/version", b"3\n"); z.close()' "$work/model.pt"
both "PyTorch .pt (zip)" "$work/model.pt" "model.pt: a ZIP archive (a PyTorch .pt checkpoint?)"
py -c 'import pickle,sys; open(sys.argv[1],"wb").write(pickle.dumps({"w": [1.0, 2.0]}, protocol=2))' "$work/model.pkl"
both "pickle" "$work/model.pkl" "model.pkl: a Python pickle"
size=$(stat -c %s "$ex")
for cut in 1 17 50 100 513 1000 $((size / 2)) 2000 3000 $((size - 1)); do
    head -c "$cut" "$ex" >"$work/cut$cut.onnx"
    both "truncated at $cut of $size bytes" "$work/cut$cut.onnx" "cut$cut.onnx: not an ONNX model"
done
mkfifo "$work/fifo.onnx"
both "a FIFO (must not block)" "$work/fifo.onnx" "not a regular file"
if [ "$(id -u)" -ne 0 ]; then
    cp "$ex" "$work/noread.onnx" && chmod 000 "$work/noread.onnx"
    both "unreadable file" "$work/noread.onnx" "Permission denied"
else
    echo "note: running as root, where chmod 000 does not stop reading: the unreadable-file" \
        "case is not run (the directory and FIFO cases cover files that cannot be read as a model)"
fi

# Models whose bytes parse but whose content is inconsistent.
py - "$ex" "$work" <<'PY'
import os, sys
import onnx
from onnx import helper, TensorProto
ex, w = sys.argv[1], sys.argv[2]

def variant(name, edit):
    m = onnx.load(ex)
    edit(m)
    open(os.path.join(w, name), "wb").write(m.SerializeToString())

def init(m, i=0):
    return m.graph.initializer[i]

def dims(d):
    def f(m):
        t = init(m)
        del t.dims[:]
        t.dims.extend(d)
    return f

def set_type(v):
    def f(m):
        init(m).data_type = v
    return f

variant("rawlen.onnx", dims([3, 1, 1, 1]))
def typed(m):
    t = init(m)
    n = len(t.raw_data) // 4
    t.ClearField("raw_data")
    t.float_data.extend([0.5] * (n - 1))
variant("typedlen.onnx", typed)
def strings(m):
    t = init(m)
    t.ClearField("raw_data")
    t.data_type = TensorProto.STRING
    t.string_data.extend([b"a", b"b", b"c"])
variant("strlen.onnx", strings)
variant("overflow.onnx", dims([2**62, 4]))
variant("overflow2.onnx", dims([2**32, 2**31, 3]))
variant("negative.onnx", dims([-3]))
variant("dtype.onnx", set_type(99))
variant("dtype0.onnx", set_type(0))

# Strings with a NUL byte: protobuf-c would cut them there (two names merge).
def node_inputs(m):
    n = m.graph.node[0]
    n.input[0] = n.input[0] + "\0x"
variant("nul_input.onnx", node_inputs)
variant("nul_producer.onnx", lambda m: setattr(m, "producer_name", "py\0torch"))
variant("nul_tensor.onnx", lambda m: setattr(init(m), "name", init(m).name + "\0"))
def meta(m):
    e = m.metadata_props.add()
    e.key, e.value = "k", "v\0w"
variant("nul_meta.onnx", meta)
def dim_param(m):
    m.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "\0batch"
variant("nul_dim.onnx", dim_param)

# Sparse tensors: indices and values checked against the dense shape.
def sparse(values, indices, dims, idx_type=TensorProto.INT64, idx_dims=None, val_dims=None,
           in_attr=False):
    def f(m):
        v = helper.make_tensor("sp", TensorProto.FLOAT, val_dims or [len(values)], values)
        i = helper.make_tensor("sp_idx", idx_type, idx_dims or [len(indices)], indices)
        s = helper.make_sparse_tensor(v, i, dims)
        if in_attr:
            m.graph.node.append(helper.make_node("Constant", [], ["spc"], sparse_value=s))
        else:
            m.graph.sparse_initializer.append(s)
    return f

variant("sp_ok.onnx", sparse([1.0, 2.0], [0, 5], [2, 3]))
variant("sp_range.onnx", sparse([1.0, 2.0], [0, 6], [2, 3]))
variant("sp_negidx.onnx", sparse([1.0, 2.0], [-1, 5], [2, 3]))
variant("sp_coord.onnx", sparse([1.0, 2.0], [0, 0, 1, 3], [2, 3], idx_dims=[2, 2]))
variant("sp_int32.onnx", sparse([1.0, 2.0], [0, 5], [2, 3], idx_type=TensorProto.INT32))
variant("sp_shape.onnx", sparse([1.0, 2.0], [0, 1, 2], [2, 3]))
variant("sp_rank.onnx", sparse([1.0, 2.0], [0, 5], [2, 3], val_dims=[1, 2]))
variant("sp_negdim.onnx", sparse([1.0, 2.0], [0, 5], [2, -3]))
variant("sp_attr.onnx", sparse([1.0, 2.0], [0, 7], [2, 3], in_attr=True))

def external(name, location, offset=None, length=None):
    def f(m):
        t = init(m)
        n = len(t.raw_data)
        t.ClearField("raw_data")
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", location), ("offset", offset),
                     ("length", str(n) if length is None else length)):
            if v is not None:
                e = t.external_data.add()
                e.key, e.value = k, v
    variant(name, f)

os.makedirs(os.path.join(w, "ext", "adir"), exist_ok=True)
open(os.path.join(w, "ext", "short.bin"), "wb").write(b"\0" * 10)
open(os.path.join(w, "ext", "ok.bin"), "wb").write(b"\0" * 4096)
open(os.path.join(w, "secret.bin"), "wb").write(b"\0" * 4096)
os.symlink(os.path.join(w, "secret.bin"), os.path.join(w, "ext", "link.bin"))
os.mkfifo(os.path.join(w, "ext", "fifo.bin"))
w0 = w
w = os.path.join(w0, "ext")
external("missing.onnx", "nothere.bin")
external("short.onnx", "short.bin")
external("offset.onnx", "ok.bin", offset="5000")
external("offwrap.onnx", "ok.bin", offset=str(2**64 - 1))
external("absolute.onnx", os.path.join(w0, "secret.bin"))
external("escape.onnx", "../secret.bin")
external("symlink.onnx", "link.bin")
external("badnum.onnx", "ok.bin", offset="12abc")
external("negoff.onnx", "ok.bin", offset="-5")
external("badlen.onnx", "ok.bin", length="x")
external("wronglen.onnx", "ok.bin", length="100")
external("noloc.onnx", None)
external("dirloc.onnx", "adir")
external("fifoloc.onnx", "fifo.bin")
# int4 with 2^62 - 1 elements: (n * 4 + 7) / 8 wrapped to 0 bytes, so an
# empty external range passed.
def int4_wrap(m):
    t = init(m)
    t.ClearField("raw_data")
    t.data_type = 22  # INT4 (newer than python3-onnx 1.12)
    del t.dims[:]
    t.dims.extend([2**62 - 1])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "ok.bin"), ("length", "0")):
        e = t.external_data.add()
        e.key, e.value = k, v
variant("int4wrap.onnx", int4_wrap)

# Nested 300 deep: sequence of sequence of ... tensor, on a graph input.
t = helper.make_tensor_type_proto(TensorProto.FLOAT, [1])
for _ in range(300):
    t = helper.make_sequence_type_proto(t)
g = helper.make_graph([], "deep", [helper.make_value_info("x", t)], [])
open(os.path.join(w0, "deep.onnx"), "wb").write(
    helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())
# Nested 300 deep through graphs: If whose then_branch holds an If ...
y = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])]
g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "leaf", [], y)
empty = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "else", [], y)
for i in range(300):
    g = helper.make_graph([helper.make_node("If", ["c"], ["y"], then_branch=g, else_branch=empty)],
                          "g%d" % i, [], y)
open(os.path.join(w0, "deepif.onnx"), "wb").write(
    helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())
PY

both "raw_data length does not match dims" "$work/rawlen.onnx" "tensor 'conv1.weight': raw_data has 864 bytes but dims and type need 12"
both "typed field count does not match dims" "$work/typedlen.onnx" "float_data has 215 entries but dims and type need 216"
both "string_data count does not match dims" "$work/strlen.onnx" "string_data has 3 entries but dims and type need 216"
both "dims overflow" "$work/overflow.onnx" "product of its dims overflows"
both "dims overflow (three dims)" "$work/overflow2.onnx" "product of its dims overflows"
both "negative dim" "$work/negative.onnx" "negative dimension -3"
both "unknown data type" "$work/dtype.onnx" "unknown data type 99"
both "data type UNDEFINED" "$work/dtype0.onnx" "unknown data type 0"
both "NUL in a node input name" "$work/nul_input.onnx" "string field NodeProto.input holds a NUL byte"
both "NUL in producer_name" "$work/nul_producer.onnx" "string field ModelProto.producer_name holds a NUL byte"
both "NUL in a tensor name" "$work/nul_tensor.onnx" "string field TensorProto.name holds a NUL byte"
both "NUL in a metadata value" "$work/nul_meta.onnx" "string field StringStringEntryProto.value holds a NUL byte"
both "NUL in a dim_param" "$work/nul_dim.onnx" "string field TensorShapeProto.Dimension.dim_param holds a NUL byte"
check "a well-formed sparse initializer loads" "$ONNXFOLD" info "$work/sp_ok.onnx"
both "sparse index past the dense size" "$work/sp_range.onnx" "sparse tensor 'sp': index 6 (entry 1 of its indices) is outside [0, 6)"
both "sparse index negative" "$work/sp_negidx.onnx" "sparse tensor 'sp': index -1"
both "sparse coordinate past its dim" "$work/sp_coord.onnx" "sparse tensor 'sp': index 3 (entry 3 of its indices) is outside [0, 3)"
both "sparse indices not int64" "$work/sp_int32.onnx" "sparse tensor 'sp': indices must be int64, not int32"
both "sparse indices of the wrong shape" "$work/sp_shape.onnx" "sparse tensor 'sp': indices must have shape [2] or [2, 2]"
both "sparse values not of rank 1" "$work/sp_rank.onnx" "sparse tensor 'sp': values must have rank 1, not 2"
both "sparse dims negative" "$work/sp_negdim.onnx" "sparse tensor 'sp': negative dimension -3"
both "sparse attribute index out of range" "$work/sp_attr.onnx" "sparse tensor 'sp': index 7"
e="$work/ext"
both "external file missing" "$e/missing.onnx" "external data file 'nothere.bin'"
both "external file short" "$e/short.onnx" "tensor 'conv1.weight': external data file 'short.bin' is short"
both "external offset past the end" "$e/offset.onnx" "is short: it has 4096 bytes"
both "external offset + length wraps past 2^64" "$e/offwrap.onnx" "is short: it has 4096 bytes"
check "  the message shows the byte range without wrapping" py - "$work/.err" <<'PY'
import re, sys
msg = open(sys.argv[1]).read()
r = re.search(r"needs bytes (\d+)\.\.(\d+)", msg)
assert r is None or int(r.group(2)) > int(r.group(1)), "wrapped range in: " + msg.strip()
PY
both "external location absolute" "$e/absolute.onnx" "is an absolute path"
both "external location escapes with .." "$e/escape.onnx" "resolves outside the model's folder"
both "external symlink out of the folder" "$e/symlink.onnx" "resolves outside the model's folder"
both "external offset not a number" "$e/badnum.onnx" "offset '12abc' is not a number"
both "external offset negative" "$e/negoff.onnx" "offset '-5' is not a number"
both "external length not a number" "$e/badlen.onnx" "length 'x' is not a number"
both "external length does not match dims" "$e/wronglen.onnx" "external data holds 100 bytes but dims and type need 864"
both "external data without a location" "$e/noloc.onnx" "without a 'location'"
both "external location a directory" "$e/dirloc.onnx" "external data file 'adir': not a regular file"
both "external location a FIFO (must not block)" "$e/fifoloc.onnx" "external data file 'fifo.bin': not a regular file"
both "int4 byte size near 2^64 does not wrap to 0" "$e/int4wrap.onnx" "external data holds 0 bytes but dims and type need 2305843009213693952"
both "type nesting deeper than 200" "$work/deep.onnx" "nested more than 200 deep"
both "subgraph nesting deeper than 200" "$work/deepif.onnx" "nested more than 200 deep"

# A tensor whose dims promise more bytes than it holds, in every place a
# tensor can live: each must be refused at load, naming it (a place the
# check missed let `convert --external-threshold 0` copy ~400 KB of heap into
# the data file, or crash). places/ok_PLACE.onnx: the same with a good tensor.
mkdir -p "$work/places"
py - "$work/places" <<'PY' >"$work/places/list"
import os, sys
from onnx import AttributeProto, FunctionProto, TensorProto, helper
out = sys.argv[1]

def varint(v):
    b = bytearray()
    while True:
        b.append((v & 0x7F) | (0x80 if v >> 7 else 0))
        v >>= 7
        if not v:
            return bytes(b)

def tensor(name, good, typed=False, dtype=TensorProto.FLOAT):
    # bad: 100000 elements with 4 bytes of raw_data (or one float_data entry)
    n = 1 if good else 100000
    t = TensorProto(name=name, data_type=dtype, dims=[n])
    if typed and dtype == TensorProto.FLOAT:
        t.float_data.extend([1.0])
    else:
        t.raw_data = b"\0" * (8 if dtype == TensorProto.INT64 else 4)
    return t

def sparse(name, good, bad_part):
    v = tensor(name, good or bad_part != "values")
    i = tensor(name + "_idx", good or bad_part != "indices", dtype=TensorProto.INT64)
    return helper.make_sparse_tensor(v, i, [4])

def identity_graph(name, inits=(), nodes=(), sparse_inits=()):
    g = helper.make_graph(list(nodes) + [helper.make_node("Identity", ["x"], [name + "_y"])], name, [],
                          [helper.make_tensor_value_info(name + "_y", TensorProto.FLOAT, None)],
                          initializer=list(inits))
    g.sparse_initializer.extend(sparse_inits)
    return g

def if_node(out, then_g):
    return helper.make_node("If", ["c"], [out], then_branch=then_g,
                            else_branch=identity_graph(out + "_else"))

def attr(name, value):
    if isinstance(value, list) and value and isinstance(value[0], TensorProto):
        a = AttributeProto(name=name, type=AttributeProto.TENSORS)
        a.tensors.extend(value)
        return a
    if isinstance(value, list):
        a = AttributeProto(name=name, type=AttributeProto.SPARSE_TENSORS)
        a.sparse_tensors.extend(value)
        return a
    return helper.make_attribute(name, value)

def custom(out, a):
    n = helper.make_node("Custom", [], [out], domain="test")
    n.attribute.append(a)
    return n

def model(place, good):
    bad = "bad_" + place
    nodes, inits, sparse_inits, fn_nodes, fn_attrs = [], [], [], [], []
    if place == "init":
        inits.append(tensor(bad, good))
    elif place == "init_float_data":
        inits.append(tensor(bad, good, typed=True))
    elif place == "sparse_init_values":
        sparse_inits.append(sparse(bad, good, "values"))
    elif place == "sparse_init_indices":
        sparse_inits.append(sparse(bad, good, "indices"))
    elif place == "attr_t":
        nodes.append(helper.make_node("Constant", [], ["k"], value=tensor(bad, good)))
    elif place == "attr_tensors":
        nodes.append(custom("k", attr("ts", [tensor("fine", True), tensor(bad, good)])))
    elif place == "attr_sparse":
        nodes.append(custom("k", attr("sp", sparse(bad, good, "values"))))
    elif place == "attr_sparse_tensors":
        nodes.append(custom("k", attr("sps", [sparse(bad, good, "indices")])))
    elif place == "subgraph_init":
        nodes.append(if_node("k", identity_graph("then", inits=[tensor(bad, good)])))
    elif place == "subgraph_depth3_attr":
        g = identity_graph("d3", nodes=[helper.make_node("Constant", [], ["k3"], value=tensor(bad, good))])
        for d in (2, 1):
            g = identity_graph("d%d" % d, nodes=[if_node("k%d" % (d + 1), g)])
        nodes.append(if_node("k", g))
    elif place == "subgraph_sparse_init":
        nodes.append(if_node("k", identity_graph("then", sparse_inits=[sparse(bad, good, "values")])))
    elif place == "function_body_attr":
        fn_nodes.append(helper.make_node("Constant", [], ["fk"], value=tensor(bad, good)))
    elif place == "function_body_subgraph":
        fn_nodes.append(if_node("fk", identity_graph("fthen", inits=[tensor(bad, good)])))
    elif place == "function_attr_t":
        fn_attrs.append(attr("t", tensor(bad, good)))
    elif place == "function_attr_t_float_data":
        fn_attrs.append(attr("t", tensor(bad, good, typed=True)))
    elif place == "function_attr_tensors":
        fn_attrs.append(attr("ts", [tensor(bad, good)]))
    elif place == "function_attr_sparse":
        fn_attrs.append(attr("sp", sparse(bad, good, "values")))
    elif place == "function_attr_graph_init":
        fn_attrs.append(attr("g", identity_graph("fg", inits=[tensor(bad, good)])))
    elif place == "function_attr_graph_depth2":
        inner = identity_graph("fg2", nodes=[helper.make_node("Constant", [], ["c2"], value=tensor(bad, good))])
        fn_attrs.append(attr("g", identity_graph("fg", nodes=[if_node("c1", inner)])))
    elif place == "function_attr_graphs_sparse":
        a = AttributeProto(name="gs", type=AttributeProto.GRAPHS)
        a.graphs.extend([identity_graph("fg", sparse_inits=[sparse(bad, good, "indices")])])
        fn_attrs.append(a)
    else:
        raise SystemExit("unknown place " + place)
    fn = helper.make_function("test", "F", ["a"], ["b"],
                              fn_nodes + [helper.make_node("Identity", ["a"], ["b"])],
                              [helper.make_opsetid("", 13)])
    extra = b"".join(varint(11 << 3 | 2) + varint(len(a.SerializeToString())) + a.SerializeToString()
                     for a in fn_attrs)  # attribute_proto (11): newer than python3-onnx 1.12
    fn.MergeFromString(extra)
    nodes.append(helper.make_node("F", ["x"], ["fy"], domain="test"))
    g = identity_graph("main", inits=inits, nodes=nodes, sparse_inits=sparse_inits)
    g.input.extend([helper.make_tensor_value_info("x", TensorProto.FLOAT, [1]),
                    helper.make_tensor_value_info("c", TensorProto.BOOL, [])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("test", 1)],
                          functions=[fn])
    data = m.SerializeToString()
    assert bad.encode() in data, place
    return data

places = ["init", "init_float_data", "sparse_init_values", "sparse_init_indices", "attr_t",
          "attr_tensors", "attr_sparse", "attr_sparse_tensors", "subgraph_init",
          "subgraph_depth3_attr", "subgraph_sparse_init", "function_body_attr",
          "function_body_subgraph", "function_attr_t", "function_attr_t_float_data",
          "function_attr_tensors", "function_attr_sparse", "function_attr_graph_init",
          "function_attr_graph_depth2", "function_attr_graphs_sparse"]
for p in places:
    for good in (True, False):
        open(os.path.join(out, ("ok_" if good else "bad_") + p + ".onnx"), "wb").write(model(p, good))
    print(p)
PY
while read -r place; do
    f="$work/places/bad_$place.onnx"
    check "place $place: the same model with a good tensor loads" "$ONNXFOLD" info "$work/places/ok_$place.onnx"
    both "tensor in place $place" "$f" "tensor 'bad_$place"
    expect_fail2 "  convert --external-data w.bin --external-threshold 0" "tensor 'bad_$place" \
        "${run[@]}" convert "$f" "$out/o.onnx" --external-data w.bin --external-threshold 0
    no_leftovers "  and leaves nothing" "$out" "$out/w.bin"
done <"$work/places/list"
check "every place was generated" test "$(wc -l <"$work/places/list")" -eq 20

# Output problems. A write that fails midway (file size limit: EFBIG, as a
# full disk would give ENOSPC) must leave neither OUT nor a temporary, both
# for payloads written from memory and for those copied file to file.
py - "$work/big.onnx" <<'PY'
import sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
w = numpy_helper.from_array(np.arange(300000, dtype=np.float32), "w")  # 1.2 MB: borrowed
small = [numpy_helper.from_array(np.full(1000, i, dtype=np.float32), "s%d" % i) for i in range(300)]
g = helper.make_graph([helper.make_node("Identity", ["w"], ["y"])], "big", [],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [300000])],
                      initializer=[w] + small)
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1])
PY
for limit in 64 1500; do
    expect_fail2 "write fails after ${limit} KiB" "write failed: File too large" \
        bash -c 'trap "" XFSZ; ulimit -f "$1"; exec "$2" convert "$3" "$4"' _ "$limit" "$ONNXFOLD" "$work/big.onnx" "$out/o.onnx"
    names_file "  names OUT" "$out/o.onnx"
    no_leftovers "  and leaves nothing" "$out" "$out/o.onnx"
    expect_fail2 "external data write fails after ${limit} KiB" "File too large" \
        bash -c 'trap "" XFSZ; ulimit -f "$1"; exec "$2" convert "$3" "$4" --external-data w.bin' _ "$limit" "$ONNXFOLD" "$work/big.onnx" "$out/o.onnx"
    no_leftovers "  and leaves nothing" "$out" "$out/w.bin"
    no_leftovers "  not even the model" "$out" "$out/o.onnx"
done

expect_fail2 "convert into a missing folder" "cannot create: No such file or directory" \
    "${run[@]}" convert "$ex" "$work/no/such/dir/o.onnx"
names_file "  names OUT" "$work/no/such/dir/o.onnx"
check "  and creates no folder" test ! -e "$work/no"
expect_fail2 "convert into a folder that is a file" "Not a directory" \
    "${run[@]}" convert "$ex" "$work/notes.txt/o.onnx"
mkdir -p "$out/adir"
expect_fail2 "convert onto an existing directory" "adir" "${run[@]}" convert "$ex" "$out/adir"
check "  the directory is left as it was" sh -c '[ -d "$1" ] && [ -z "$(ls -A "$1")" ]' _ "$out/adir"
no_leftovers "  and no temporary" "$out" "$out/none"
# OUT an existing device node: the node must not be replaced by a regular
# file (as root, `convert IN /dev/null` would otherwise destroy /dev/null).
# Either writing through it or refusing with exit 2 is acceptable.
if [ "$(id -u)" -eq 0 ] && mknod "$out/null" c 1 3 2>/dev/null; then
    "${run[@]}" convert "$ex" "$out/null" >/dev/null 2>"$work/.err"
    rc=$?
    check "convert onto a device node: exit 0 or 2 (got $rc)" test "$rc" -eq 0 -o "$rc" -eq 2
    check "  the device node is still a device" test -c "$out/null"
    no_leftovers "  and no temporary" "$out" "$out/none"
    rm -f "$out/null"
else
    echo "note: not root (or mknod failed): the device-node OUT case is not run"
fi
finish
