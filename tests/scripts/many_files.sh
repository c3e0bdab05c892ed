#!/usr/bin/env bash
# A model whose exporter wrote one external file per tensor (torch does this
# past 2 GiB): 5000 files under `ulimit -n 256`. Each file is mapped and its
# descriptor closed (one kept per file ran out of descriptors past ~1000);
# saving reopens one at a time to copy it. load, info, convert in keep mode
# and with --internal; the values must come back equal.
. "$(dirname "$0")/lib.sh"
n=${MANY_FILES:-5000}
mkdir -p "$work/m" "$work/out"
py - "$work/m" "$n" <<'PY'
import os, sys
import numpy as np
from onnx import TensorProto, helper
d, n = sys.argv[1], int(sys.argv[2])
inits = []
for i in range(n):
    a = np.arange(i, i + 3 + i % 5, dtype=np.float32)
    open(os.path.join(d, "t%d.bin" % i), "wb").write(a.tobytes())
    t = TensorProto(name="t%d" % i, data_type=TensorProto.FLOAT, dims=[a.size])
    t.data_location = TensorProto.EXTERNAL
    e = t.external_data.add()
    e.key, e.value = "location", "t%d.bin" % i
    inits.append(t)
g = helper.make_graph([helper.make_node("Identity", ["t0"], ["y"])], "many", [],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])], initializer=inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
open(os.path.join(d, "model.onnx"), "wb").write(m.SerializeToString())
PY
lim() { bash -c 'ulimit -n 256 && exec "$@"' _ "$@"; }
cat >"$work/same.py" <<'PY'
import sys
import onnx
from onnx import numpy_helper
def values(p):
    return [(t.name, numpy_helper.to_array(t).tobytes()) for t in onnx.load(p).graph.initializer]
a, b = values(sys.argv[1]), values(sys.argv[2])
assert a == b and len(a) == int(sys.argv[3]), (len(a), len(b))
PY
check "info with $n external files under ulimit -n 256" sh -c \
    'ulimit -n 256 && "$1" info --json "$2" >"$3"' _ "$ONNXFOLD" "$work/m/model.onnx" "$work/info.json"
check "  lists every file, check ok" py -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert len(j["external_data"]) == int(sys.argv[2]) and j["check"]["ok"], len(j["external_data"])
' "$work/info.json" "$n"
check "convert (keep: one data file) under ulimit -n 256" lim "$ONNXFOLD" convert "$work/m/model.onnx" "$work/out/keep.onnx"
check "  values equal" py "$work/same.py" "$work/m/model.onnx" "$work/out/keep.onnx" "$n"
check "convert --internal under ulimit -n 256" lim "$ONNXFOLD" convert "$work/m/model.onnx" "$work/out/inline.onnx" --internal
check "  values equal" py "$work/same.py" "$work/m/model.onnx" "$work/out/inline.onnx" "$n"
check "  and the inline model converts back to one data file" lim "$ONNXFOLD" convert "$work/out/inline.onnx" \
    "$work/out/back.onnx" --external-data back.bin --external-threshold 1
check "  values equal" py "$work/same.py" "$work/m/model.onnx" "$work/out/back.onnx" "$n"
no_leftovers "no temporaries" "$work/out" "$work/out/none"
finish
