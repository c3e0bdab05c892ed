#!/usr/bin/env bash
# External data: models whose tensors live in a separate file are read,
# reported by `info`, kept external (copied file to file), moved inline with
# --internal, or moved out above a threshold with --external-data; values stay
# bit-identical; offsets are aligned; the input's own data file is protected.
. "$(dirname "$0")/lib.sh"
ex="$SRC/examples/tiny_cnn.onnx"
mkdir -p "$work/m" "$work/other"
py - "$ex" "$work/m/model.onnx" <<'PY'
import sys
import onnx
m = onnx.load(sys.argv[1])
onnx.save_model(m, sys.argv[2], save_as_external_data=True, all_tensors_to_one_file=True,
                location="w.bin", size_threshold=0)
PY
m="$work/m/model.onnx"
data_sum=$(md5sum <"$work/m/w.bin")

# same_values A B: every initializer of A and B has the same name, type, dims
# and bytes (external data loaded by python3-onnx), in the same order.
same_values() {
    py - "$1" "$2" <<'PY'
import sys
import onnx
from onnx import numpy_helper
a, b = onnx.load(sys.argv[1]), onnx.load(sys.argv[2])
ia, ib = a.graph.initializer, b.graph.initializer
assert [t.name for t in ia] == [t.name for t in ib]
for x, y in zip(ia, ib):
    u, v = numpy_helper.to_array(x), numpy_helper.to_array(y)
    assert u.dtype == v.dtype and u.shape == v.shape and u.tobytes() == v.tobytes(), x.name
PY
}
# placement FILE MIN: tensors of MIN bytes or more are external, the rest inline;
# offsets are multiples of 64 (of 4096 from 4096 bytes up).
placement() {
    py - "$1" "$2" <<'PY'
import sys
import onnx
from onnx import TensorProto
m = onnx.load(sys.argv[1], load_external_data=False)
least = int(sys.argv[2])
for t in m.graph.initializer:
    ext = {e.key: e.value for e in t.external_data}
    if t.data_location == TensorProto.EXTERNAL:
        n, off = int(ext["length"]), int(ext["offset"])
        assert n >= least, (t.name, n)
        assert off % (4096 if n >= 4096 else 64) == 0, (t.name, off)
    else:
        assert len(t.raw_data) < least, (t.name, len(t.raw_data))
PY
}

"$ONNXFOLD" info --json "$m" >"$work/info.json"
check "info lists the external file" py -c '
import json, sys
j = json.load(open(sys.argv[1]))
e = j["external_data"]
assert len(e) == 1 and e[0]["location"] == "w.bin" and e[0]["tensors"] == 13, e
assert e[0]["bytes"] == j["initializers"]["bytes"], (e, j["initializers"])
' "$work/info.json"
check "info human lists it" sh -c '"$1" info "$2" | grep -q "^  w.bin: "' _ "$ONNXFOLD" "$m"

check "convert keeps external data" "$ONNXFOLD" convert "$m" "$work/other/keep.onnx"
check "  into OUT.data beside OUT" test -s "$work/other/keep.onnx.data"
check "  values unchanged" same_values "$m" "$work/other/keep.onnx"
check "  all tensors still external" placement "$work/other/keep.onnx" 1
check "convert --internal" "$ONNXFOLD" convert "$m" "$work/other/inline.onnx" --internal
check "  no external data left" placement "$work/other/inline.onnx" 1000000000
check "  values unchanged" same_values "$m" "$work/other/inline.onnx"
check "  equals the original model field by field" py "$SRC/tests/scripts/onnx_compare.py" "$ex" "$work/other/inline.onnx"

check "convert --external-data with a threshold" "$ONNXFOLD" convert "$ex" "$work/other/split.onnx" \
    --external-data weights.bin --external-threshold 100
check "  only tensors of 100 bytes or more moved" placement "$work/other/split.onnx" 100
check "  values unchanged" same_values "$ex" "$work/other/split.onnx"
check "  data file written" test -s "$work/other/weights.bin"
check "  and back inline equals the original" sh -c '"$1" convert "$2" "$3" --internal && "$4" "$5" "$6" "$3"' _ \
    "$ONNXFOLD" "$work/other/split.onnx" "$work/other/back.onnx" "$PYTHON" "$SRC/tests/scripts/onnx_compare.py" "$ex"

expect_fail2 "data file that the input reads is refused" "is read by the input model" \
    "$ONNXFOLD" convert "$m" "$work/m/out.onnx" --external-data w.bin
no_leftovers "  and nothing is written" "$work/m" "$work/m/out.onnx"
expect_fail2 "data file escaping OUT's folder is refused" "must be a relative path inside" \
    "$ONNXFOLD" convert "$m" "$work/other/x.onnx" --external-data ../w.bin
expect_fail2 "data file equal to OUT is refused" "would overwrite the model file itself" \
    "$ONNXFOLD" convert "$ex" "$work/other/self.onnx" --external-data self.onnx

check "the input's data file was never modified" test "$(md5sum <"$work/m/w.bin")" = "$data_sum"

cp -r "$work/m" "$work/inplace"
check "in-place rewrite of an external model (--force)" "$ONNXFOLD" convert --force "$work/inplace/model.onnx" "$work/inplace/model.onnx"
check "  values unchanged" same_values "$m" "$work/inplace/model.onnx"
check "  data now in model.onnx.data" test -s "$work/inplace/model.onnx.data"
no_leftovers "  no temporaries" "$work/inplace" "$work/inplace/none"
finish
