#!/usr/bin/env bash
# The command line as users meet it: help and version, usage errors, `info`
# (human and JSON) on the example, on models with subgraphs and functions,
# `convert` round trips, the refusal to overwrite the input, --force, --no-sync.
. "$(dirname "$0")/lib.sh"
ex="$SRC/examples/tiny_cnn.onnx"
suite="$SHARED/onnx-node-tests/v1.22.0"

check "--help" "$ONNXFOLD" --help
check "--version" sh -c '"$1" --version | grep -q "^onnxfold [0-9]"' _ "$ONNXFOLD"
check "info --help" sh -c '"$1" info --help | grep -q -- "--json"' _ "$ONNXFOLD"
check "convert --help" sh -c '"$1" convert --help | grep -q -- "--external-data"' _ "$ONNXFOLD"
check "no command: usage, exit 2" sh -c '"$1" 2>"$2/e"; [ $? -eq 2 ] && grep -q "^usage: onnxfold COMMAND" "$2/e"' _ "$ONNXFOLD" "$work"
check "unknown command: named, exit 2" sh -c '"$1" frobnicate 2>"$2/e"; [ $? -eq 2 ] && head -n 1 "$2/e" | grep -q "^onnxfold: unknown command .frobnicate.$"' _ "$ONNXFOLD" "$work"
expect_fail2 "info without model" "no MODEL" "$ONNXFOLD" info
expect_fail2 "info unknown option" "unknown option '--bogus'" "$ONNXFOLD" info "$ex" --bogus
expect_fail2 "convert missing OUT" "needs IN and OUT" "$ONNXFOLD" convert "$ex"
expect_fail2 "convert bad threshold" "byte count" "$ONNXFOLD" convert "$ex" "$work/o.onnx" --external-data w.bin --external-threshold -5
expect_fail2 "convert threshold alone" "needs --external-data" "$ONNXFOLD" convert "$ex" "$work/o.onnx" --external-threshold 10
expect_fail2 "convert internal+external" "cannot be combined" "$ONNXFOLD" convert "$ex" "$work/o.onnx" --internal --external-data w.bin

# info, human form
"$ONNXFOLD" info "$ex" >"$work/info.txt"
check "info human: Conv count" grep -q '^  Conv 2$' "$work/info.txt"
check "info human: BatchNormalization count" grep -q '^  BatchNormalization 2$' "$work/info.txt"
check "info human: input with symbolic dim" grep -q '^  input: float \[batch, 3, 32, 32\]$' "$work/info.txt"
check "info human: opset" grep -q '^opsets: ai.onnx=13$' "$work/info.txt"
check "info human: check ok" grep -q '^check: ok$' "$work/info.txt"

# info, JSON form
"$ONNXFOLD" info --json "$ex" >"$work/info.json"
check "info json: documented fields and values" py - "$work/info.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
keys = ["file", "ir_version", "producer_name", "producer_version", "domain", "model_version",
        "graph_name", "opset_import", "inputs", "outputs", "nodes", "op_counts", "initializers",
        "sparse_initializers", "external_data", "functions", "metadata", "check"]
missing = [k for k in keys if k not in j]
assert not missing, missing
assert j["ir_version"] == 7 and j["producer_name"] == "pytorch", j
assert j["opset_import"] == [{"domain": "", "version": 13}], j["opset_import"]
assert j["inputs"] == [{"name": "input", "kind": "tensor", "dtype": "float",
                        "shape": ["batch", 3, 32, 32]}], j["inputs"]
assert j["outputs"][0]["shape"] == ["batch", 4], j["outputs"]
ops = {o["op_type"]: o["count"] for o in j["op_counts"]}
assert ops == {"BatchNormalization": 2, "Conv": 2, "Flatten": 1, "Gemm": 1,
               "GlobalAveragePool": 1, "Relu": 2}, ops
assert j["nodes"] == {"main_graph": 9, "in_subgraphs": 0, "subgraphs": 0}, j["nodes"]
assert j["initializers"]["count"] == 13 and j["initializers"]["bytes"] > 2000
assert j["check"] == {"ok": True, "message": ""}, j["check"]
assert j["external_data"] == [] and j["functions"] == []
PY

# subgraphs and functions
"$ONNXFOLD" info --json "$suite/test_if/model.onnx" >"$work/if.json"
check "info json: If subgraphs counted" py -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["nodes"]["subgraphs"] == 2 and j["nodes"]["in_subgraphs"] >= 2, j["nodes"]
' "$work/if.json"
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

# convert round trips
check "convert example" "$ONNXFOLD" convert "$ex" "$work/rt.onnx"
check "round trip is byte-identical" cmp "$ex" "$work/rt.onnx"
check "round trip equal field by field" py "$SRC/tests/scripts/onnx_compare.py" "$ex" "$work/rt.onnx"
check "convert --no-sync" "$ONNXFOLD" convert --no-sync "$ex" "$work/rt2.onnx"
check "--no-sync output identical" cmp "$ex" "$work/rt2.onnx"
check "output file mode follows umask" sh -c 'umask 022; "$1" convert "$2" "$3/mode.onnx" && [ "$(stat -c %a "$3/mode.onnx")" = 644 ]' _ "$ONNXFOLD" "$ex" "$work"

# never overwrite the input by accident
cp "$ex" "$work/in.onnx"
sum=$(md5sum <"$work/in.onnx")
expect_fail2 "OUT == IN refused" "refusing to overwrite" "$ONNXFOLD" convert "$work/in.onnx" "$work/in.onnx"
expect_fail2 "OUT == IN via another path refused" "refusing to overwrite" "$ONNXFOLD" convert "$work/in.onnx" "$work/./in.onnx"
check "input untouched after refusal" test "$(md5sum <"$work/in.onnx")" = "$sum"
check "OUT == IN with --force" "$ONNXFOLD" convert --force "$work/in.onnx" "$work/in.onnx"
check "in-place rewrite is identical" test "$(md5sum <"$work/in.onnx")" = "$sum"
no_leftovers "no temporaries after in-place" "$work" "$work/none"
finish
