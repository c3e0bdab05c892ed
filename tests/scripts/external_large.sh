#!/usr/bin/env bash
# Over 2 GiB: a model whose 2.2 GiB of weights sit in external data (made by
# bench/gen_models.py, never committed) is converted into another folder with
# --external-data: every tensor's bytes arrive unchanged at their new offsets,
# peak memory stays under 256 MiB (weights are copied file to file), and
# --internal is refused (protobuf's 2 GiB limit) without leaving a file.
. "$(dirname "$0")/lib.sh"
free_kib=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
if [ "$free_kib" -lt $((7 * 1024 * 1024)) ]; then
    echo "FAIL: needs 7 GiB free in $work, has $((free_kib / 1024)) MiB"
    echo "0 passed, 1 failed"
    exit 1
fi
check "generate the 2.2 GiB external-data model" \
    py "$SRC/bench/gen_models.py" "$work/gen" --only big_external --no-check
src="$work/gen/big_external"
mkdir -p "$work/out"
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' -o "$work/rss" "$ONNXFOLD" convert "$src/model.onnx" "$work/out/model.onnx" \
        --external-data data.bin >"$work/log" 2>&1
    rc=$?
    rss_kib=$(tail -n 1 "$work/rss")
    echo "peak RSS of convert: $((rss_kib / 1024)) MiB"
    check "peak RSS under 256 MiB" test "$rss_kib" -lt $((256 * 1024))
else
    "$ONNXFOLD" convert "$src/model.onnx" "$work/out/model.onnx" --external-data data.bin >"$work/log" 2>&1
    rc=$?
    echo "FAIL: /usr/bin/time is missing (apt-get install time): peak RSS not measured"
    fail=$((fail + 1))
fi
check "convert --external-data succeeds" test "$rc" -eq 0
check "data file holds the 2.2 GiB" test "$(stat -c %s "$work/out/data.bin")" -ge $((2250 * 1024 * 1024))
check "every tensor's bytes are unchanged" py - "$src/model.onnx" "$work/out/model.onnx" <<'PY'
import hashlib, os, sys
import onnx
from onnx import TensorProto

def digests(path):
    m = onnx.load(path, load_external_data=False)
    folder, out = os.path.dirname(path), {}
    for t in m.graph.initializer:
        if t.data_location != TensorProto.EXTERNAL:
            out[t.name] = hashlib.sha256(t.raw_data).hexdigest()
            continue
        e = {x.key: x.value for x in t.external_data}
        h, left = hashlib.sha256(), int(e["length"])
        with open(os.path.join(folder, e["location"]), "rb") as f:
            f.seek(int(e.get("offset", "0")))
            while left:
                b = f.read(min(left, 1 << 24))
                assert b, "short data file"
                h.update(b)
                left -= len(b)
        out[t.name] = h.hexdigest()
    return out

a, b = digests(sys.argv[1]), digests(sys.argv[2])
assert a == b, "tensor bytes differ"
assert sum(1 for t in onnx.load(sys.argv[2], load_external_data=False).graph.initializer
           if t.data_location == TensorProto.EXTERNAL) == 5
PY
rm -f "$work/out/data.bin"
expect_fail2 "--internal past 2 GiB is refused" "over protobuf's 2 GiB limit" \
    "$ONNXFOLD" convert "$src/model.onnx" "$work/out/inline.onnx" --internal
no_leftovers "  and leaves no file" "$work/out" "$work/out/inline.onnx"
finish
