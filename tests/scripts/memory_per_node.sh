#!/usr/bin/env bash
# Peak memory per node: `onnxfold convert` of a 100,000-node chain (every
# other node an Add with its own 4-float initializer, the rest Relu; the
# model bench/gen_models.py calls chain_relu_add_100k) must peak under 500
# bytes of RSS per node, and give back the same bytes. A sanitizer build
# allocates each object on its own, so the figure is only meaningful, and
# only checked, in a plain build (ctest reports it skipped otherwise).
source "$(dirname "$0")/lib.sh"
[ "${SANITIZE:-0}" = 1 ] && { echo "skipped: sanitizer build"; rm -rf "$work"; exit 77; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is not installed (apt-get install time)"; exit 1; }
limit=500
nodes=100000
check "generate chain_relu_add_100k" py "$SRC/bench/gen_models.py" "$work" --only chain_relu_add_100k --no-check
model="$work/chain_relu_add_100k.onnx"
/usr/bin/time -f %M -o "$work/rss" "$ONNXFOLD" convert "$model" "$work/out.onnx" >"$work/convert.log" 2>&1
rc=$?
check "convert succeeds" bash -c "[ $rc -eq 0 ] || { cat '$work/convert.log'; false; }"
check "round trip is byte-identical" cmp "$model" "$work/out.onnx"
kib=$(tail -n 1 "$work/rss")
per_node=$((kib * 1024 / nodes))
echo "peak RSS ${kib} KiB for $nodes nodes: $per_node bytes per node (limit $limit)"
check "peak RSS per node ($per_node B) <= $limit B" test "$per_node" -le "$limit"
finish
