#!/usr/bin/env bash
# Bad input: every case gets exit status 2 (not a crash), one stderr line that
# names the file and the reason, and for `convert` no OUT and no temporary
# file left behind.
. "$(dirname "$0")/lib.sh"
ex="$SRC/examples/tiny_cnn.onnx"
out="$work/out"
mkdir -p "$out"

# both CASE FILE FRAGMENT: `info` and `convert` refuse FILE the same way.
both() {
    expect_fail2 "info: $1" "$3" "$ONNXFOLD" info "$2"
    expect_fail2 "convert: $1" "$3" "$ONNXFOLD" convert "$2" "$out/o.onnx"
    no_leftovers "convert: $1 leaves nothing" "$out" "$out/o.onnx"
}

both "missing file" "$work/missing.onnx" "missing.onnx: cannot open: No such file"
both "a directory" "$work" "not a regular file"
: >"$work/empty.onnx"
both "empty file" "$work/empty.onnx" "empty.onnx: empty file"
echo "this is not a model, just text" >"$work/notes.txt"
both "text file" "$work/notes.txt" "notes.txt: not an ONNX model"
py -c 'import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],"w"); z.writestr("archive/data.pkl", b"\x80\x02}q\x00."); z.close()' "$work/model.pt"
both "PyTorch .pt (zip)" "$work/model.pt" "model.pt: a ZIP archive (a PyTorch .pt checkpoint?)"
py -c 'import pickle,sys; open(sys.argv[1],"wb").write(pickle.dumps({"w": [1.0, 2.0]}, protocol=2))' "$work/model.pkl"
both "pickle" "$work/model.pkl" "model.pkl: a Python pickle"
size=$(stat -c %s "$ex")
for cut in 1 17 100 1000 2000 $((size - 1)); do
    head -c "$cut" "$ex" >"$work/cut$cut.onnx"
    both "truncated at $cut bytes" "$work/cut$cut.onnx" "cut$cut.onnx: not an ONNX model"
done
if [ "$(id -u)" -ne 0 ]; then
    cp "$ex" "$work/noread.onnx" && chmod 000 "$work/noread.onnx"
    both "unreadable file" "$work/noread.onnx" "Permission denied"
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

variant("rawlen.onnx", dims([3, 1, 1, 1]))
def typed(m):
    t = init(m)
    n = len(t.raw_data) // 4
    t.ClearField("raw_data")
    t.float_data.extend([0.5] * (n - 1))
variant("typedlen.onnx", typed)
variant("overflow.onnx", dims([2**62, 4]))
variant("negative.onnx", dims([-3]))
def unknown_type(m):
    init(m).data_type = 99
variant("dtype.onnx", unknown_type)

def external(name, location, offset=None, length=None, data=None):
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

os.makedirs(os.path.join(w, "ext"), exist_ok=True)
open(os.path.join(w, "ext", "short.bin"), "wb").write(b"\0" * 10)
open(os.path.join(w, "ext", "ok.bin"), "wb").write(b"\0" * 4096)
open(os.path.join(w, "secret.bin"), "wb").write(b"\0" * 4096)
os.symlink(os.path.join(w, "secret.bin"), os.path.join(w, "ext", "link.bin"))
w0 = w
w = os.path.join(w0, "ext")
external("missing.onnx", "nothere.bin")
external("short.onnx", "short.bin")
external("offset.onnx", "ok.bin", offset="5000")
external("absolute.onnx", os.path.join(w0, "secret.bin"))
external("escape.onnx", "../secret.bin")
external("symlink.onnx", "link.bin")
external("badnum.onnx", "ok.bin", offset="12abc")

# Nested 300 deep: sequence of sequence of ... tensor, on a graph input.
t = helper.make_tensor_type_proto(TensorProto.FLOAT, [1])
for _ in range(300):
    t = helper.make_sequence_type_proto(t)
g = helper.make_graph([], "deep", [helper.make_value_info("x", t)], [])
open(os.path.join(w0, "deep.onnx"), "wb").write(
    helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())
PY

both "raw_data length does not match dims" "$work/rawlen.onnx" "tensor 'conv1.weight': raw_data has 864 bytes but dims and type need 12"
both "typed field count does not match dims" "$work/typedlen.onnx" "float_data has 215 entries but dims and type need 216"
both "dims overflow" "$work/overflow.onnx" "product of its dims overflows"
both "negative dim" "$work/negative.onnx" "negative dimension -3"
both "unknown data type" "$work/dtype.onnx" "unknown data type 99"
e="$work/ext"
both "external file missing" "$e/missing.onnx" "external data file 'nothere.bin'"
both "external file short" "$e/short.onnx" "tensor 'conv1.weight': external data file 'short.bin' is short"
both "external offset past the end" "$e/offset.onnx" "is short: it has 4096 bytes"
both "external location absolute" "$e/absolute.onnx" "is an absolute path"
both "external location escapes with .." "$e/escape.onnx" "resolves outside the model's folder"
both "external symlink out of the folder" "$e/symlink.onnx" "resolves outside the model's folder"
both "external offset not a number" "$e/badnum.onnx" "offset '12abc' is not a number"
both "nesting deeper than 200" "$work/deep.onnx" "nested more than 200 deep"

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
    no_leftovers "  and leaves nothing" "$out" "$out/o.onnx"
    expect_fail2 "external data write fails after ${limit} KiB" "File too large" \
        bash -c 'trap "" XFSZ; ulimit -f "$1"; exec "$2" convert "$3" "$4" --external-data w.bin' _ "$limit" "$ONNXFOLD" "$work/big.onnx" "$out/o.onnx"
    no_leftovers "  and leaves nothing" "$out" "$out/w.bin"
    no_leftovers "  not even the model" "$out" "$out/o.onnx"
done

expect_fail2 "convert into a missing folder" "cannot create: No such file or directory" \
    "$ONNXFOLD" convert "$ex" "$work/no/such/dir/o.onnx"
finish
