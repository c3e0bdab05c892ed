#!/usr/bin/env bash
# The command line as users meet it: help and version, usage errors, `info`
# (human and JSON) on the example, on models with subgraphs and functions,
# `convert` round trips, the refusal to overwrite the input, --force, --no-sync.
. "$(dirname "$0")/lib.sh"
ex="$SRC/examples/tiny_cnn.onnx"
suite="$SHARED/onnx-node-tests/v1.22.0"

# help and version: exit 0, text on stdout, nothing on stderr
helps() {
    "$ONNXFOLD" "$@" >"$work/h.out" 2>"$work/h.err" && [ ! -s "$work/h.err" ] &&
        grep -q '^usage: onnxfold' "$work/h.out"
}
check "--help" helps --help
check "-h" helps -h
check "help" helps help
check "--version" sh -c '"$1" --version 2>&1 | grep -q "^onnxfold [0-9][0-9.]*"' _ "$ONNXFOLD"
check "info --help" sh -c '"$1" info --help | grep -q -- "--json"' _ "$ONNXFOLD"
check "info --help on stdout" helps info --help
check "convert --help" sh -c '"$1" convert --help | grep -q -- "--external-data"' _ "$ONNXFOLD"
check "convert --help on stdout" helps convert --help
check "convert --help lists every option" sh -c 'h=$("$1" convert --help) && for o in --external-data --external-threshold --internal --force; do echo "$h" | grep -q -- "$o" || exit 1; done' _ "$ONNXFOLD"

# usage errors: exit 2, one line naming the problem
check "no command: usage, exit 2" sh -c '"$1" 2>"$2/e"; [ $? -eq 2 ] && grep -q "^usage: onnxfold COMMAND" "$2/e"' _ "$ONNXFOLD" "$work"
expect_fail2 "unknown command: one line naming it, exit 2" "unknown command 'frobnicate' (see 'onnxfold --help')" "$ONNXFOLD" frobnicate
check "  nothing on stdout" test ! -s "$work/.out"
expect_fail2 "info without model" "no MODEL" "$ONNXFOLD" info
expect_fail2 "info --json without model" "no MODEL" "$ONNXFOLD" info --json
expect_fail2 "info unknown option" "unknown option '--bogus'" "$ONNXFOLD" info "$ex" --bogus
expect_fail2 "info two models" "more than one MODEL" "$ONNXFOLD" info "$ex" "$ex"
expect_fail2 "convert without arguments" "needs IN and OUT" "$ONNXFOLD" convert
expect_fail2 "convert missing OUT" "needs IN and OUT" "$ONNXFOLD" convert "$ex"
expect_fail2 "convert unknown option" "unknown option '--bogus'" "$ONNXFOLD" convert "$ex" "$work/o.onnx" --bogus
expect_fail2 "convert too many arguments" "too many arguments ('extra')" "$ONNXFOLD" convert "$ex" "$work/o.onnx" extra
expect_fail2 "convert --external-data without FILE" "needs a FILE" "$ONNXFOLD" convert "$ex" "$work/o.onnx" --external-data
expect_fail2 "convert bad threshold" "byte count" "$ONNXFOLD" convert "$ex" "$work/o.onnx" --external-data w.bin --external-threshold -5
expect_fail2 "convert threshold not a number" "byte count" "$ONNXFOLD" convert "$ex" "$work/o.onnx" --external-data w.bin --external-threshold 1k
expect_fail2 "convert threshold alone" "needs --external-data" "$ONNXFOLD" convert "$ex" "$work/o.onnx" --external-threshold 10
expect_fail2 "convert internal+external" "cannot be combined" "$ONNXFOLD" convert "$ex" "$work/o.onnx" --internal --external-data w.bin
no_leftovers "usage errors write nothing" "$work" "$work/o.onnx"

# info, human form
"$ONNXFOLD" info "$ex" >"$work/info.txt"
check "info human: Conv count" grep -q '^  Conv 2$' "$work/info.txt"
check "info human: BatchNormalization count" grep -q '^  BatchNormalization 2$' "$work/info.txt"
check "info human: input with symbolic dim" grep -q '^  input: float \[batch, 3, 32, 32\]$' "$work/info.txt"
check "info human: opset" grep -q '^opsets: ai.onnx=13$' "$work/info.txt"
check "info human: check ok" grep -q '^check: ok$' "$work/info.txt"

# info, JSON form
"$ONNXFOLD" info --json "$ex" >"$work/info.json"
check "info json: documented fields and values" py - "$work/info.json" "$ex" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
keys = ["file", "ir_version", "producer_name", "producer_version", "domain", "model_version",
        "graph_name", "opset_import", "inputs", "outputs", "nodes", "op_counts", "initializers",
        "sparse_initializers", "external_data", "functions", "metadata", "check"]
missing = [k for k in keys if k not in j]
assert not missing, missing
assert j["file"] == sys.argv[2], j["file"]
assert j["ir_version"] == 7 and j["producer_name"] == "pytorch", j
assert j["opset_import"] == [{"domain": "", "version": 13}], j["opset_import"]
assert j["inputs"] == [{"name": "input", "kind": "tensor", "dtype": "float",
                        "shape": ["batch", 3, 32, 32]}], j["inputs"]
assert j["outputs"][0]["shape"] == ["batch", 4], j["outputs"]
ops = {o["op_type"]: o["count"] for o in j["op_counts"]}
assert ops == {"BatchNormalization": 2, "Conv": 2, "Flatten": 1, "Gemm": 1,
               "GlobalAveragePool": 1, "Relu": 2}, ops
assert all(o["domain"] == "" and o["in_subgraphs"] == 0 and o["in_functions"] == 0
           for o in j["op_counts"]), j["op_counts"]
assert j["nodes"] == {"main_graph": 9, "in_subgraphs": 0, "subgraphs": 0}, j["nodes"]
assert j["initializers"]["count"] == 13 and j["initializers"]["bytes"] > 2000
assert j["sparse_initializers"] == 0
assert j["check"] == {"ok": True, "message": ""}, j["check"]
assert j["external_data"] == [] and j["functions"] == []
PY
check "info --json MODEL (option after the model)" sh -c '"$1" info "$2" --json | cmp -s - "$3"' _ "$ONNXFOLD" "$ex" "$work/info.json"

# expected MODEL: prints the `nodes`, `op_counts` and `functions` that
# docs/info-json.md defines, computed from the model by python3-onnx.
cat >"$work/expected.py" <<'PY'
import collections, json, sys
import onnx
from onnx import AttributeProto

def subgraphs(node):
    for a in node.attribute:
        if a.type == AttributeProto.GRAPH:
            yield a.g
        elif a.type == AttributeProto.GRAPHS:
            yield from a.graphs

counts = collections.OrderedDict()
def bump(node, field):
    k = (node.domain if node.domain != "ai.onnx" else "", node.op_type)
    counts.setdefault(k, {"count": 0, "in_subgraphs": 0, "in_functions": 0})[field] += 1

def walk(nodes, field, stats):
    for n in nodes:
        bump(n, field)
        for g in subgraphs(n):
            stats["subgraphs"] += 1
            stats["in_subgraphs"] += len(g.node)
            walk(g.node, "in_subgraphs" if field == "count" else field, stats)

m = onnx.load(sys.argv[1], load_external_data=False)
stats = {"main_graph": len(m.graph.node), "in_subgraphs": 0, "subgraphs": 0}
walk(m.graph.node, "count", stats)
for f in m.functions:
    walk(f.node, "in_functions", {"main_graph": 0, "in_subgraphs": 0, "subgraphs": 0})
ops = [dict(domain=d, op_type=o, **c) for (d, o), c in
       sorted(counts.items(), key=lambda kv: (kv[0][0].encode(), kv[0][1].encode()))]
funcs = [{"domain": f.domain, "name": f.name, "nodes": len(f.node)} for f in m.functions]
print(json.dumps({"nodes": stats, "op_counts": ops, "functions": funcs}))
PY
# info_matches NAME MODEL: info --json agrees with expected.py on MODEL and
# the check passes.
info_matches() {
    "$ONNXFOLD" info --json "$2" >"$work/j.json" && py "$work/expected.py" "$2" >"$work/x.json" &&
        py - "$work/j.json" "$work/x.json" "$1" <<'PY'
import json, sys
j, x, name = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
for k in ("nodes", "op_counts", "functions"):
    assert j[k] == x[k], "%s: %s is %s, expected %s" % (name, k, j[k], x[k])
assert j["check"]["ok"] is True, j["check"]
if name.startswith("sub:"):
    assert j["nodes"]["in_subgraphs"] > 0 and j["nodes"]["subgraphs"] > 0, j["nodes"]
PY
}

# subgraphs (If, Loop, Scan, SequenceMap from the conformance suite)
for t in test_if test_loop11 test_scan9_sum test_loop16_seq_none test_if_opt test_sequence_map_identity_1_sequence; do
    if [ -f "$suite/$t/model.onnx" ]; then
        check "info json: subgraph counts of $t" info_matches "sub:$t" "$suite/$t/model.onnx"
    else
        fail=$((fail + 1))
        echo "FAIL: $suite/$t/model.onnx is missing"
    fi
done
check "info json: test_if has its two branches" sh -c '"$1" info --json "$2" | "$3" -c "
import json, sys
j = json.load(sys.stdin)
assert j[\"nodes\"][\"subgraphs\"] == 2 and j[\"nodes\"][\"in_subgraphs\"] >= 2, j[\"nodes\"]"' _ "$ONNXFOLD" "$suite/test_if/model.onnx" "$PYTHON"
check "info human: subgraph nodes" sh -c '"$1" info "$2" | grep -q "^nodes: 1 (+[0-9]* in 1 subgraphs)$"' _ "$ONNXFOLD" "$suite/test_loop11/model.onnx"

# Functions. No model of the conformance suite has ModelProto.functions
# (checked over all of v1.22.0: *_expanded models inline the bodies), so make one
# with onnx.helper.make_function: nested function calls and a function whose
# body holds an If with two branches.
py - "$work/functions.onnx" <<'PY'
import sys
import onnx
from onnx import helper, TensorProto
D = "test.fn"
ops = [helper.make_opsetid("", 13), helper.make_opsetid(D, 1)]
double = helper.make_function(D, "Double", ["X"], ["Y"],
                              [helper.make_node("Add", ["X", "X"], ["Y"])], ops)
quad = helper.make_function(D, "Quad", ["X"], ["Y"],
                            [helper.make_node("Double", ["X"], ["T"], domain=D),
                             helper.make_node("Double", ["T"], ["Y"], domain=D)], ops)
then_g = helper.make_graph([helper.make_node("Identity", ["X"], ["Z"])], "then", [],
                           [helper.make_tensor_value_info("Z", TensorProto.FLOAT, None)])
else_g = helper.make_graph([helper.make_node("Neg", ["X"], ["Z"])], "else", [],
                           [helper.make_tensor_value_info("Z", TensorProto.FLOAT, None)])
pick = helper.make_function(D, "Pick", ["C", "X"], ["Y"],
                            [helper.make_node("If", ["C"], ["Y"], then_branch=then_g,
                                              else_branch=else_g)], ops)
g = helper.make_graph(
    [helper.make_node("Quad", ["x"], ["a"], domain=D),
     helper.make_node("Pick", ["c", "a"], ["b"], domain=D),
     helper.make_node("Relu", ["b"], ["y"])], "fn_model",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4]),
     helper.make_tensor_value_info("c", TensorProto.BOOL, [])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 4])])
m = helper.make_model(g, opset_imports=ops, functions=[double, quad, pick])
onnx.checker.check_model(m)
onnx.save(m, sys.argv[1])
PY
check "info json: generated model with functions" info_matches "functions" "$work/functions.onnx"
check "info json: function list and in_functions counts" py - "$ONNXFOLD" "$work/functions.onnx" <<'PY'
import json, subprocess, sys
j = json.loads(subprocess.run([sys.argv[1], "info", "--json", sys.argv[2]],
                              stdout=subprocess.PIPE, check=True).stdout)
assert j["functions"] == [{"domain": "test.fn", "name": "Double", "nodes": 1},
                          {"domain": "test.fn", "name": "Quad", "nodes": 2},
                          {"domain": "test.fn", "name": "Pick", "nodes": 1}], j["functions"]
ops = {(o["domain"], o["op_type"]): (o["count"], o["in_subgraphs"], o["in_functions"])
       for o in j["op_counts"]}
assert ops == {("", "Add"): (0, 0, 1), ("", "If"): (0, 0, 1), ("", "Identity"): (0, 0, 1),
               ("", "Neg"): (0, 0, 1), ("", "Relu"): (1, 0, 0),
               ("test.fn", "Double"): (0, 0, 2), ("test.fn", "Pick"): (1, 0, 0),
               ("test.fn", "Quad"): (1, 0, 0)}, ops
assert j["nodes"] == {"main_graph": 3, "in_subgraphs": 0, "subgraphs": 0}, j["nodes"]
assert {"domain": "test.fn", "version": 1} in j["opset_import"], j["opset_import"]
assert j["inputs"][0]["shape"] == ["n", 4] and j["inputs"][1]["shape"] == [], j["inputs"]
PY
"$ONNXFOLD" info --json "$SRC/tests/models/features.onnx" >"$work/features.json"
check "info json: functions, sparse initializers, metadata" py -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["functions"] == [{"domain": "test.domain", "name": "Double", "nodes": 1}], j["functions"]
adds = [o for o in j["op_counts"] if o["op_type"] == "Add"]
assert adds and adds[0]["in_functions"] == 1, j["op_counts"]
assert j["sparse_initializers"] == 1
assert {"key": "author", "value": "onnxfold"} in j["metadata"]
x = [i for i in j["inputs"] if i["name"] == "x"][0]
assert x["shape"] == ["batch", 3]
kinds = {i["name"]: i["kind"] for i in j["inputs"]}
assert kinds["opt"] == "optional" and kinds["mp"] == "map", kinds
assert "fl" not in kinds, "an overridable initializer is not listed as a model input"
' "$work/features.json"
check "info json: check reports a broken graph" py - "$ONNXFOLD" "$work" <<'PY'
import json, subprocess, sys
import onnx
from onnx import helper, TensorProto
bad = helper.make_graph([helper.make_node("Relu", ["nowhere"], ["y"])], "g", [],
                        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
m = helper.make_model(bad, opset_imports=[helper.make_opsetid("", 13)])
path = sys.argv[2] + "/broken.onnx"
onnx.save(m, path)
out = subprocess.run([sys.argv[1], "info", "--json", path], stdout=subprocess.PIPE, check=True)
j = json.loads(out.stdout)
assert j["check"]["ok"] is False and "input 'nowhere' is not defined" in j["check"]["message"], j
PY

# Model strings reach the terminal escaped and the JSON is valid UTF-8:
# escape sequences (CSI, OSC, C1 CSI) and bytes that are not UTF-8 in the
# producer, names, op types, dims and metadata.
py - "$work/hostile_text.onnx" <<'PY'
import sys
import onnx
from onnx import helper, TensorProto
x = helper.make_tensor_value_info("x\x1b]0;pwned\x07", TensorProto.FLOAT, ["b\rn"])
g = helper.make_graph([helper.make_node("Op\x1b[2J", [x.name], ["y"], domain="d\u009b1m")], "g", [x],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("d\u009b1m", 1)],
                      producer_name="\x1b[31mred\x1b[0m", producer_version="PLACEHOLDER")
helper.set_model_props(m, {"k\u009b2J": "VALUEHOLDER", "tab\tkey": "back\\slash é"})
data = m.SerializeToString()
# Strings that are not UTF-8 (python3-onnx refuses them), patched in at equal length.
data = data.replace(b"PLACEHOLDER", b"ok\xff\xfe\xc0\xafz\xed\xa0\x80!")
data = data.replace(b"VALUEHOLDER", b"v\xf0\x9f\x98\x80\xe2\x82ab\x80c")
open(sys.argv[1], "wb").write(data)
PY
"$ONNXFOLD" info "$work/hostile_text.onnx" >"$work/hostile.txt"
check "info human: no control character or invalid UTF-8 reaches the terminal" py - "$work/hostile.txt" <<'PY'
import re, sys
raw = open(sys.argv[1], "rb").read()
text = raw.decode("utf-8")  # strict: fails on any invalid byte
bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f]
assert not bad, bad
for want in [r"producer: \x1b[31mred\x1b[0m ok\xff\xfe\xc0\xafz\xed\xa0\x80!",
             r"  x\x1b]0;pwned\x07: float [b\x0dn]",
             r"  d\xc2\x9b1m:Op\x1b[2J 1",
             r"metadata: k\xc2\x9b2J = v😀\xe2\x82ab\x80c",
             "metadata: tab\\x09key = back\\\\slash é"]:
    assert want in text.splitlines(), (want, text)
PY
"$ONNXFOLD" info --json "$work/hostile_text.onnx" >"$work/hostile.json"
check "info --json: valid UTF-8 and strict JSON, invalid bytes as U+FFFD" py - "$work/hostile.json" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
j = json.loads(raw.decode("utf-8"), strict=True)
assert not any(b < 0x20 and b != 0x0a for b in raw), "raw control byte in the JSON"
assert j["producer_name"] == "\x1b[31mred\x1b[0m", j["producer_name"]
assert j["producer_version"] == "ok" + "\ufffd" * 4 + "z" + "\ufffd" * 3 + "!", j["producer_version"]
assert j["inputs"][0]["name"] == "x\x1b]0;pwned\x07" and j["inputs"][0]["shape"] == ["b\rn"], j["inputs"]
assert {"domain": "d\u009b1m", "op_type": "Op\x1b[2J", "count": 1, "in_subgraphs": 0,
        "in_functions": 0} in j["op_counts"], j["op_counts"]
assert j["metadata"] == [{"key": "k\u009b2J", "value": "v😀\ufffd\ufffdab\ufffdc"},
                         {"key": "tab\tkey", "value": "back\\slash é"}], j["metadata"]
PY
py - "$work/hostile_err.onnx" <<'PY'
import sys
import onnx
from onnx import helper, TensorProto
t = TensorProto(name="w\x1b[2J\x9b", data_type=TensorProto.FLOAT, dims=[4], float_data=[1.0])
g = helper.make_graph([], "g", [], [], initializer=[t])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1])
PY
expect_fail2 "an error naming a hostile tensor: one escaped line" "tensor 'w\x1b[2J\xc2\x9b': float_data has 1 entries" \
    "$ONNXFOLD" info "$work/hostile_err.onnx"
check "  no escape byte on stderr" py -c 'import sys; b = open(sys.argv[1], "rb").read(); assert b"\x1b" not in b and b"\xc2\x9b" not in b, b' "$work/.err"

# The structural check is linear: 200k reads of one value (one Sum node with
# 200k inputs, and 1000 nodes reading it) took minutes when each read scanned
# the value's whole use list. The bound is generous so it cannot flake.
py - "$work/reads.onnx" <<'PY'
import sys
import onnx
from onnx import helper, TensorProto
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
nodes = [helper.make_node("Sum", ["x"] * 199000, ["s"])]
nodes += [helper.make_node("Identity", ["x"], ["i%d" % k]) for k in range(1000)]
g = helper.make_graph(nodes, "reads", [x], [helper.make_tensor_value_info("s", TensorProto.FLOAT, [1])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1])
PY
t0=$(date +%s%N)
check "info on 200k reads of one value: check ok" sh -c '"$1" info "$2" | grep -q "^check: ok$"' _ "$ONNXFOLD" "$work/reads.onnx"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "note: info on 200k reads of one value took $ms ms"
check "  in well under 20 s (took $ms ms)" test "$ms" -lt 20000

# convert round trips
check "convert example" "$ONNXFOLD" convert "$ex" "$work/rt.onnx"
check "round trip is byte-identical" cmp "$ex" "$work/rt.onnx"
check "round trip equal field by field" py "$SRC/tests/scripts/onnx_compare.py" "$ex" "$work/rt.onnx"
check "convert prints nothing on success" sh -c '[ -z "$("$1" convert "$2" "$3/quiet.onnx" 2>&1)" ]' _ "$ONNXFOLD" "$ex" "$work"
check "convert --no-sync" "$ONNXFOLD" convert --no-sync "$ex" "$work/rt2.onnx"
check "--no-sync output identical" cmp "$ex" "$work/rt2.onnx"
check "output file mode follows umask" sh -c 'umask 022; "$1" convert "$2" "$3/mode.onnx" && [ "$(stat -c %a "$3/mode.onnx")" = 644 ]' _ "$ONNXFOLD" "$ex" "$work"
check "convert overwrites an existing OUT" sh -c 'echo old >"$3/exists.onnx" && "$1" convert "$2" "$3/exists.onnx" && cmp "$2" "$3/exists.onnx"' _ "$ONNXFOLD" "$ex" "$work"
for t in test_if test_loop11 test_scan9_sum; do
    check "round trip of $t equal field by field" sh -c '"$1" convert "$2" "$3" && "$4" "$5" "$2" "$3"' _ \
        "$ONNXFOLD" "$suite/$t/model.onnx" "$work/rt_$t.onnx" "$PYTHON" "$SRC/tests/scripts/onnx_compare.py"
done
check "round trip of the function model equal field by field" sh -c '"$1" convert "$2" "$3" && "$4" "$5" "$2" "$3"' _ \
    "$ONNXFOLD" "$work/functions.onnx" "$work/rt_functions.onnx" "$PYTHON" "$SRC/tests/scripts/onnx_compare.py"

# proto2 presence of value names: an entry without a name field comes back
# without one (it came back as name ""), one with name "" keeps it.
check "value_info entries without a name stay without one" py - "$ONNXFOLD" "$work" <<'PY'
import subprocess, sys
import onnx
from onnx import helper, TensorProto
ty = helper.make_tensor_type_proto(TensorProto.FLOAT, [1])
def vi(name=None):
    v = onnx.ValueInfoProto()
    v.type.CopyFrom(ty)
    if name is not None:
        v.name = name
    return v
g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1]), vi(), vi("")],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1]), vi(), vi("")],
                      value_info=[vi(), vi("")])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
src, dst = sys.argv[2] + "/noname.onnx", sys.argv[2] + "/noname_rt.onnx"
onnx.save(m, src)
subprocess.run([sys.argv[1], "convert", src, dst], check=True)
back = onnx.load(dst)
for field in ("input", "output", "value_info"):
    got = [(e.HasField("name"), e.name) for e in getattr(back.graph, field)]
    want = [(e.HasField("name"), e.name) for e in getattr(m.graph, field)]
    assert got == want, (field, got, want)
assert back.SerializeToString() == m.SerializeToString()
PY

# OUT with a base name of 244 to 255 bytes is legal: the temporary must fit.
for n in 244 250 255; do
    long=$(printf 'n%.0s' $(seq "$n"))
    check "OUT with a $n-byte base name" "$ONNXFOLD" convert "$ex" "$work/$long"
    check "  written" cmp "$ex" "$work/$long"
    rm -f "$work/$long"
done
no_leftovers "  no temporaries" "$work" "$work/none"

# never overwrite the input by accident
cp "$ex" "$work/in.onnx"
ln "$work/in.onnx" "$work/hardlink.onnx"
ln -s in.onnx "$work/symlink.onnx"
sum=$(md5sum <"$work/in.onnx")
expect_fail2 "OUT == IN refused" "refusing to overwrite" "$ONNXFOLD" convert "$work/in.onnx" "$work/in.onnx"
expect_fail2 "OUT == IN via another path refused" "refusing to overwrite" "$ONNXFOLD" convert "$work/in.onnx" "$work/./in.onnx"
expect_fail2 "OUT a hard link of IN refused" "refusing to overwrite" "$ONNXFOLD" convert "$work/in.onnx" "$work/hardlink.onnx"
expect_fail2 "OUT a symlink to IN refused" "refusing to overwrite" "$ONNXFOLD" convert "$work/in.onnx" "$work/symlink.onnx"
expect_fail2 "OUT == IN refused with other options too" "refusing to overwrite" "$ONNXFOLD" convert "$work/in.onnx" "$work/in.onnx" --internal
check "input untouched after refusal" test "$(md5sum <"$work/in.onnx")" = "$sum"
check "links untouched after refusal" sh -c '[ -L "$1/symlink.onnx" ] && [ "$(stat -c %h "$1/in.onnx")" = 2 ]' _ "$work"
check "OUT == IN with --force" "$ONNXFOLD" convert --force "$work/in.onnx" "$work/in.onnx"
check "in-place rewrite is identical" test "$(md5sum <"$work/in.onnx")" = "$sum"
check "--force after the paths works too" "$ONNXFOLD" convert "$work/in.onnx" "$work/in.onnx" --force
check "  still identical" test "$(md5sum <"$work/in.onnx")" = "$sum"
no_leftovers "no temporaries after in-place" "$work" "$work/none"
finish
