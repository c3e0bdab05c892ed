#!/usr/bin/env bash
# External data: models whose tensors live in a separate file are read,
# reported by `info`, kept external (copied file to file), moved inline with
# --internal, or moved out above a threshold with --external-data; values stay
# bit-identical; offsets are aligned; the input's own files are protected.
. "$(dirname "$0")/lib.sh"
ex="$SRC/examples/tiny_cnn.onnx"
mkdir -p "$work/m" "$work/other" "$work/sizes"
cmp_py="$SRC/tests/scripts/onnx_compare.py"

# m/model.onnx: the example with every tensor in m/w.bin (python3-onnx's writer).
# sizes/sizes.onnx: tensors of sizes around the thresholds and alignments, a
# Constant whose value attribute is large, a string tensor; all inline.
# sizes/mixed.onnx: the same, tensors of 1000 bytes or more in mixed.bin.
py - "$ex" "$work/m/model.onnx" "$work/sizes" <<'PY'
import os, sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
m = onnx.load(sys.argv[1])
onnx.save_model(m, sys.argv[2], save_as_external_data=True, all_tensors_to_one_file=True,
                location="w.bin", size_threshold=0)

rng = np.random.default_rng(7)
arrays = {
    "f1": rng.standard_normal(1).astype(np.float32),             # 4 bytes
    "f24": rng.standard_normal(24).astype(np.float32),           # 96
    "f25": rng.standard_normal(25).astype(np.float32),           # 100: the threshold below
    "u8_101": rng.integers(0, 255, 101).astype(np.uint8),        # 101, odd
    "f255": rng.standard_normal(255).astype(np.float32),         # 1020
    "f256": rng.standard_normal(256).astype(np.float32),         # 1024: the default threshold
    "f1023": rng.standard_normal(1023).astype(np.float32),       # 4092
    "f1024": rng.standard_normal(1024).astype(np.float32),       # 4096
    "i8_4097": rng.integers(-128, 127, 4097).astype(np.int8),    # 4097, odd
    "f5000": rng.standard_normal((50, 100)).astype(np.float32),  # 20000
    "h333": rng.standard_normal(333).astype(np.float16),         # 666
    "d700": rng.standard_normal(700),                            # 5600, float64
    "i64_3": np.array([-1, 0, 2**40], dtype=np.int64),           # 24
}
inits = [numpy_helper.from_array(a, n) for n, a in arrays.items()]
inits.append(helper.make_tensor("str", TensorProto.STRING, [2], [b"hello", b""]))
const = numpy_helper.from_array(rng.standard_normal(600).astype(np.float32), "cval")  # 2400
nodes = [helper.make_node("Constant", [], ["c"], value=const)]
outs = [helper.make_tensor_value_info("c", TensorProto.FLOAT, [600])]
for t in inits:
    nodes.append(helper.make_node("Identity", [t.name], ["y_" + t.name]))
    outs.append(helper.make_tensor_value_info("y_" + t.name, t.data_type, list(t.dims)))
g = helper.make_graph(nodes, "sizes", [], outs, initializer=inits)
model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
onnx.save(model, os.path.join(sys.argv[3], "sizes.onnx"))
onnx.save_model(model, os.path.join(sys.argv[3], "mixed.onnx"), save_as_external_data=True,
                all_tensors_to_one_file=True, location="mixed.bin", size_threshold=1000,
                convert_attribute=True)
PY
m="$work/m/model.onnx"
data_sum=$(md5sum <"$work/m/w.bin")
sizes="$work/sizes/sizes.onnx"
mixed="$work/sizes/mixed.onnx"
mixed_sum=$(cat "$mixed" "$work/sizes/mixed.bin" | md5sum)

cat >"$work/tensors.py" <<'PY'
"""tensors.py values A B | placement FILE MIN [LOCATION] | layout FILE | same-set A B"""
import os, sys
import onnx
from onnx import AttributeProto, TensorProto, numpy_helper

def tensors(path, load=True):
    """Every dense tensor of the model: initializers and attribute tensors, at any depth."""
    m = onnx.load(path, load_external_data=load)
    out = []
    def graph(g, where):
        for t in g.initializer:
            out.append((where + "/init:" + t.name, t))
        for n in g.node:
            for a in n.attribute:
                if a.type == AttributeProto.TENSOR:
                    out.append((where + "/attr:" + n.name + n.output[0] + "." + a.name, a.t))
                elif a.type == AttributeProto.GRAPH:
                    graph(a.g, where + "/" + a.name)
    graph(m.graph, "")
    return out

def ext(t):
    return {e.key: e.value for e in t.external_data}

cmd = sys.argv[1]
if cmd == "values":
    a, b = tensors(sys.argv[2]), tensors(sys.argv[3])
    assert [k for k, _ in a] == [k for k, _ in b], ([k for k, _ in a], [k for k, _ in b])
    for (k, x), (_, y) in zip(a, b):
        u, v = numpy_helper.to_array(x), numpy_helper.to_array(y)
        assert u.dtype == v.dtype and u.shape == v.shape, k
        if u.dtype == object:
            assert list(u.flat) == list(v.flat), k
        else:
            assert u.tobytes() == v.tobytes(), k
    assert len(a) > 0
elif cmd == "placement":
    # tensors of MIN bytes or more are external (in LOCATION if given), the rest inline
    least = int(sys.argv[3])
    loc = sys.argv[4] if len(sys.argv) > 4 else None
    for k, t in tensors(sys.argv[2], load=False):
        if t.data_location == TensorProto.EXTERNAL:
            e = ext(t)
            assert int(e["length"]) >= least, (k, e)
            assert loc is None or e["location"] == loc, (k, e)
        elif t.data_type != TensorProto.STRING:
            n = len(numpy_helper.to_array(t).tobytes())
            assert n < least, (k, n)
elif cmd == "layout":
    # external tensors: offsets multiples of 64 (4096 from 4096 bytes up),
    # no overlaps, inside the file; prints how many tensors are external
    folder = os.path.dirname(sys.argv[2])
    spans = {}
    for k, t in tensors(sys.argv[2], load=False):
        if t.data_location != TensorProto.EXTERNAL:
            continue
        e = ext(t)
        n, off = int(e["length"]), int(e["offset"])
        assert off % (4096 if n >= 4096 else 64) == 0, (k, off, n)
        spans.setdefault(e["location"], []).append((off, off + n, k))
    for loc, s in spans.items():
        size = os.path.getsize(os.path.join(folder, loc))
        s.sort()
        for (a0, a1, ka), (b0, b1, kb) in zip(s, s[1:]):
            assert a1 <= b0, ("overlap", ka, kb)
        assert s[-1][1] <= size, ("past the end of", loc, s[-1], size)
    print(sum(len(s) for s in spans.values()), "external tensors in", sorted(spans))
elif cmd == "same-set":
    # the same tensors are external in A and B
    def names(p):
        return sorted(k for k, t in tensors(p, load=False) if t.data_location == TensorProto.EXTERNAL)
    a, b = names(sys.argv[2]), names(sys.argv[3])
    assert a == b and a, (a, b)
else:
    sys.exit("unknown command " + cmd)
PY
tpy() { py "$work/tensors.py" "$@"; }

# info
"$ONNXFOLD" info --json "$m" >"$work/info.json"
check "info lists the external file" py -c '
import json, os, sys
j = json.load(open(sys.argv[1]))
e = j["external_data"]
assert len(e) == 1 and e[0]["location"] == "w.bin" and e[0]["tensors"] == 13, e
assert e[0]["bytes"] == j["initializers"]["bytes"], (e, j["initializers"])
assert e[0]["size"] == os.path.getsize(sys.argv[2]), e
assert j["check"]["ok"], j["check"]
' "$work/info.json" "$work/m/w.bin"
check "info human lists it" sh -c '"$1" info "$2" | grep -q "^  w.bin: "' _ "$ONNXFOLD" "$m"
check "info counts attribute tensors in external data" sh -c '"$1" info --json "$2" | "$3" -c "
import json, sys
e = json.load(sys.stdin)[\"external_data\"]
assert len(e) == 1 and e[0][\"location\"] == \"mixed.bin\" and e[0][\"tensors\"] == 8, e"' _ "$ONNXFOLD" "$mixed" "$PYTHON"

# default: external stays external, in OUT.data
check "convert keeps external data" "$ONNXFOLD" convert "$m" "$work/other/keep.onnx"
check "  into OUT.data beside OUT" test -s "$work/other/keep.onnx.data"
check "  values unchanged" tpy values "$m" "$work/other/keep.onnx"
check "  all tensors still external, in keep.onnx.data" tpy placement "$work/other/keep.onnx" 1 keep.onnx.data
check "  aligned, no overlaps" tpy layout "$work/other/keep.onnx"
check "  info lists keep.onnx.data" sh -c '"$1" info "$2" | grep -q "^  keep.onnx.data: "' _ "$ONNXFOLD" "$work/other/keep.onnx"
check "convert keeps a mixed model's split" "$ONNXFOLD" convert "$mixed" "$work/other/mixed.onnx"
check "  the same tensors external" tpy same-set "$mixed" "$work/other/mixed.onnx"
check "  values unchanged (attribute tensor too)" tpy values "$sizes" "$work/other/mixed.onnx"
check "  aligned, no overlaps" tpy layout "$work/other/mixed.onnx"
check "  back inline equals the original field by field" sh -c '"$1" convert "$2" "$3" --internal && "$4" "$5" "$6" "$3"' _ \
    "$ONNXFOLD" "$work/other/mixed.onnx" "$work/other/mixed_in.onnx" "$PYTHON" "$cmp_py" "$sizes"
check "inline model: no OUT.data" sh -c '"$1" convert "$2" "$3/plain.onnx" && [ ! -e "$3/plain.onnx.data" ]' _ "$ONNXFOLD" "$ex" "$work/other"

# --internal
check "convert --internal" "$ONNXFOLD" convert "$m" "$work/other/inline.onnx" --internal
check "  no external data left" tpy placement "$work/other/inline.onnx" 1000000000
check "  no data file written" test ! -e "$work/other/inline.onnx.data"
check "  values unchanged" tpy values "$m" "$work/other/inline.onnx"
check "  equals the original model field by field" py "$cmp_py" "$ex" "$work/other/inline.onnx"

# --external-data FILE --external-threshold N
check "convert --external-data with a threshold" "$ONNXFOLD" convert "$ex" "$work/other/split.onnx" \
    --external-data weights.bin --external-threshold 100
check "  only tensors of 100 bytes or more moved" tpy placement "$work/other/split.onnx" 100 weights.bin
check "  values unchanged" tpy values "$ex" "$work/other/split.onnx"
check "  data file written" test -s "$work/other/weights.bin"
check "  aligned, no overlaps" tpy layout "$work/other/split.onnx"
check "  and back inline equals the original" sh -c '"$1" convert "$2" "$3" --internal && "$4" "$5" "$6" "$3"' _ \
    "$ONNXFOLD" "$work/other/split.onnx" "$work/other/back.onnx" "$PYTHON" "$cmp_py" "$ex"
for thr in 100 1024 4096; do
    check "sizes model, threshold $thr" "$ONNXFOLD" convert "$sizes" "$work/other/s$thr.onnx" \
        --external-data "s$thr.bin" --external-threshold "$thr"
    check "  exactly the tensors of $thr bytes or more moved" tpy placement "$work/other/s$thr.onnx" "$thr" "s$thr.bin"
    check "  values unchanged" tpy values "$sizes" "$work/other/s$thr.onnx"
    check "  offsets aligned (64; 4096 from 4096 bytes), no overlaps" tpy layout "$work/other/s$thr.onnx"
done
check "default threshold is 1024" "$ONNXFOLD" convert "$sizes" "$work/other/sdef.onnx" --external-data sdef.bin
check "  exactly the tensors of 1024 bytes or more moved" tpy placement "$work/other/sdef.onnx" 1024 sdef.bin
check "  values unchanged" tpy values "$sizes" "$work/other/sdef.onnx"
check "--external-data into a subfolder" sh -c 'mkdir -p "$3/sub" && "$1" convert "$2" "$3/subd.onnx" --external-data sub/d.bin --external-threshold 100' _ \
    "$ONNXFOLD" "$sizes" "$work/other"
check "  values unchanged" tpy values "$sizes" "$work/other/subd.onnx"
check "  placed in sub/d.bin" tpy placement "$work/other/subd.onnx" 100 sub/d.bin
check "external to external with a new name" "$ONNXFOLD" convert "$m" "$work/other/re.onnx" --external-data re.bin --external-threshold 0
check "  values unchanged" tpy values "$m" "$work/other/re.onnx"
check "  --external-threshold 0 moves every tensor (to re.bin)" tpy placement "$work/other/re.onnx" 1 re.bin
check "  aligned, no overlaps" tpy layout "$work/other/re.onnx"

# the input's files are protected
expect_fail2 "data file that the input reads is refused" "is read by the input model" \
    "$ONNXFOLD" convert "$m" "$work/m/out.onnx" --external-data w.bin
no_leftovers "  and nothing is written" "$work/m" "$work/m/out.onnx"
expect_fail2 "  also through another spelling of the path" "is read by the input model" \
    "$ONNXFOLD" convert "$m" "$work/m/out.onnx" --external-data ./w.bin
no_leftovers "  and nothing is written" "$work/m" "$work/m/out.onnx"
expect_fail2 "data file escaping OUT's folder is refused" "must be a relative path inside" \
    "$ONNXFOLD" convert "$m" "$work/other/x.onnx" --external-data ../w.bin
no_leftovers "  and nothing is written" "$work/other" "$work/other/x.onnx"
expect_fail2 "absolute data file is refused" "must be a relative path inside" \
    "$ONNXFOLD" convert "$m" "$work/other/x.onnx" --external-data "$work/other/abs.bin"
check "  and not created" test ! -e "$work/other/abs.bin"
expect_fail2 "data file equal to OUT is refused" "would overwrite the model file itself" \
    "$ONNXFOLD" convert "$ex" "$work/other/self.onnx" --external-data self.onnx
expect_fail2 "data file equal to a new OUT is refused too" "would overwrite the model file itself" \
    "$ONNXFOLD" convert "$ex" "$work/other/new_self.onnx" --external-data new_self.onnx
no_leftovers "  and nothing is written" "$work/other" "$work/other/new_self.onnx"
expect_fail2 "  also with OUT a relative path (the case once let through)" "would overwrite the model file itself" \
    sh -c 'cd "$1" && exec "$2" convert "$3" new_self.onnx --external-data new_self.onnx' _ "$work/other" "$ONNXFOLD" "$ex"
no_leftovers "  and nothing is written" "$work/other" "$work/other/new_self.onnx"
expect_fail2 "  also spelled ./OUT" "would overwrite the model file itself" \
    "$ONNXFOLD" convert "$ex" "$work/other/new_self.onnx" --external-data ./new_self.onnx
ln -s . "$work/other/here"
expect_fail2 "  also through a symlink to OUT's folder" "would overwrite the model file itself" \
    "$ONNXFOLD" convert "$ex" "$work/other/new_self.onnx" --external-data here/new_self.onnx
no_leftovers "  and nothing is written" "$work/other" "$work/other/new_self.onnx"
rm "$work/other/here"
# OUT that is the input's own data file: writing it would break the input.
expect_fail2 "OUT naming the input's data file is refused" "is the input model's external data file 'w.bin'" \
    "$ONNXFOLD" convert "$m" "$work/m/w.bin"
expect_fail2 "  also with --internal" "external data file 'w.bin'" \
    "$ONNXFOLD" convert "$m" "$work/m/w.bin" --internal
expect_fail2 "  also with --force" "external data file 'w.bin'" \
    "$ONNXFOLD" convert --force "$m" "$work/m/w.bin"
no_leftovers "  and no temporary" "$work/m" "$work/m/none"
# A data file whose folder is a symlink leading out of OUT's folder: nothing
# may be written there.
mkdir -p "$work/elsewhere" "$work/other/realsub"
ln -s "$work/elsewhere" "$work/other/abs_sub"
ln -s ../elsewhere "$work/other/rel_sub"
ln -s realsub "$work/other/in_sub"
for sub in abs_sub rel_sub; do
    expect_fail2 "--external-data $sub/w.bin ($sub a symlink out of the folder) is refused" \
        "its folder leads outside the output's folder" \
        "$ONNXFOLD" convert "$sizes" "$work/other/sym.onnx" --external-data "$sub/w.bin" --external-threshold 100
    no_leftovers "  and nothing is written" "$work/other" "$work/other/sym.onnx"
    check "  nor in the folder it points to" test -z "$(ls -A "$work/elsewhere")"
done
check "--external-data through a symlink that stays inside works" "$ONNXFOLD" convert "$sizes" \
    "$work/other/sym.onnx" --external-data in_sub/w.bin --external-threshold 100
check "  written in the real folder" test -s "$work/other/realsub/w.bin"
check "  values unchanged" tpy values "$sizes" "$work/other/sym.onnx"
check "the input's data file was never modified" test "$(md5sum <"$work/m/w.bin")" = "$data_sum"
check "the mixed model was never modified" test "$(cat "$mixed" "$work/sizes/mixed.bin" | md5sum)" = "$mixed_sum"

# OUT's default data file (OUT.data) is the input's data file: refused.
mkdir -p "$work/coll"
py - "$ex" "$work/coll/a.onnx" <<'PY'
import sys
import onnx
onnx.save_model(onnx.load(sys.argv[1]), sys.argv[2], save_as_external_data=True,
                all_tensors_to_one_file=True, location="b.onnx.data", size_threshold=0)
PY
coll_sum=$(cat "$work/coll/a.onnx" "$work/coll/b.onnx.data" | md5sum)
expect_fail2 "OUT.data that the input reads is refused" "'b.onnx.data' is read by the input model" \
    "$ONNXFOLD" convert "$work/coll/a.onnx" "$work/coll/b.onnx"
no_leftovers "  and nothing is written" "$work/coll" "$work/coll/b.onnx"
check "  the input is intact" test "$(cat "$work/coll/a.onnx" "$work/coll/b.onnx.data" | md5sum)" = "$coll_sum"

# The data file must not overwrite the input *model* either: neither when
# --external-data names it, nor when OUT.data happens to be IN.
mkdir -p "$work/self"
cp "$ex" "$work/self/in.onnx"
in_sum=$(md5sum <"$work/self/in.onnx")
expect_fail2 "--external-data naming the input model is refused" "in.onnx" \
    "$ONNXFOLD" convert "$work/self/in.onnx" "$work/self/out.onnx" --external-data in.onnx
check "  the input model is intact" test "$(md5sum <"$work/self/in.onnx")" = "$in_sum"
no_leftovers "  and no OUT" "$work/self" "$work/self/out.onnx"
cp "$m" "$work/m/x.onnx.data"
x_sum=$(md5sum <"$work/m/x.onnx.data")
expect_fail2 "OUT.data equal to IN is refused" "x.onnx.data" \
    "$ONNXFOLD" convert "$work/m/x.onnx.data" "$work/m/x.onnx"
check "  the input model is intact" test "$(md5sum <"$work/m/x.onnx.data")" = "$x_sum"
no_leftovers "  and no OUT" "$work/m" "$work/m/x.onnx"
rm -f "$work/m/x.onnx" "$work/m/x.onnx.data"

# in place, with --force
cp -r "$work/m" "$work/inplace"
check "in-place rewrite of an external model (--force)" "$ONNXFOLD" convert --force "$work/inplace/model.onnx" "$work/inplace/model.onnx"
check "  values unchanged" tpy values "$m" "$work/inplace/model.onnx"
check "  data now in model.onnx.data" tpy placement "$work/inplace/model.onnx" 1 model.onnx.data
check "  aligned, no overlaps" tpy layout "$work/inplace/model.onnx"
check "in place again: OUT.data is the file it reads" "$ONNXFOLD" convert --force "$work/inplace/model.onnx" "$work/inplace/model.onnx"
check "  values unchanged" tpy values "$m" "$work/inplace/model.onnx"
check "in place with --external-data naming the file it reads" "$ONNXFOLD" convert --force \
    "$work/inplace/model.onnx" "$work/inplace/model.onnx" --external-data model.onnx.data --external-threshold 1
check "  values unchanged" tpy values "$m" "$work/inplace/model.onnx"
check "in place back to w.bin" "$ONNXFOLD" convert --force "$work/inplace/model.onnx" "$work/inplace/model.onnx" \
    --external-data w.bin --external-threshold 1
check "  values unchanged" tpy values "$m" "$work/inplace/model.onnx"
check "  every tensor in w.bin" tpy placement "$work/inplace/model.onnx" 1 w.bin
check "in place --internal" "$ONNXFOLD" convert --force "$work/inplace/model.onnx" "$work/inplace/model.onnx" --internal
check "  equals the original model field by field" py "$cmp_py" "$ex" "$work/inplace/model.onnx"
no_leftovers "  no temporaries" "$work/inplace" "$work/inplace/none"
finish
