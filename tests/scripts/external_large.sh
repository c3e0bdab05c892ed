#!/usr/bin/env bash
# Over 2 GiB: a model whose 2.2 GiB of weights sit in external data (made here,
# in $WORK, never committed) is converted into another folder with
# --external-data and with the default (keep external): every tensor's bytes
# arrive unchanged at their new, aligned offsets (also past 2^31), peak memory
# stays small (weights are copied file to file), and --internal is refused
# (protobuf's 2 GiB limit) without leaving a file. The big files are deleted at
# the end, also when the script is interrupted.
. "$(dirname "$0")/lib.sh"
trap 'rm -rf "$work"' EXIT
free_kib=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
if [ "$free_kib" -lt $((7 * 1024 * 1024)) ]; then
    echo "FAIL: needs 7 GiB free in $work, has $((free_kib / 1024)) MiB"
    echo "0 passed, 1 failed"
    exit 1
fi

# src/model.onnx + src/weights.bin: five float32 [11520, 10240] initializers
# (450 MiB each) and a small one ("tail", 40 KiB) at offset > 2^31, all in
# weights.bin at unaligned offsets with filler between them; one inline
# scalar. Every 4-byte word of the data is distinct (a counter), so a tensor
# copied from a wrong offset, or a chunk copied twice, cannot go unnoticed.
# Written 16 MiB at a time; the graph is a chain of Add nodes.
src="$work/src"
mkdir -p "$src" "$work/out" "$work/keep"
check "generate the 2.2 GiB external-data model" py - "$src" <<'PY'
import os, sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
d = sys.argv[1]
SHAPE = (11520, 10240)                    # 117,964,800 floats = 450 MiB
n = SHAPE[0] * SHAPE[1]
CHUNK = 4 * 1024 * 1024                   # elements per write (16 MiB)
specs = [("W%d" % k, SHAPE) for k in range(5)] + [("tail", (10240,))]
layout, inits = [], []
with open(os.path.join(d, "weights.bin"), "wb") as f:
    f.write(b"\xee" * 12345)              # unaligned start
    counter = 1
    for name, shape in specs:
        count = int(np.prod(shape))
        off = f.tell()
        for start in range(0, count, CHUNK):
            k = min(CHUNK, count - start)
            f.write(np.arange(counter, counter + k, dtype="<u4").view("<f4").tobytes())
            counter += k
        layout.append((name, shape, off, count * 4))
        f.write(b"\xee" * 777)            # filler between tensors
for name, shape, off, length in layout:
    t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=shape,
                    data_location=TensorProto.EXTERNAL)
    for key, val in (("location", "weights.bin"), ("offset", str(off)), ("length", str(length))):
        e = t.external_data.add()
        e.key, e.value = key, val
    inits.append(t)
inits.append(numpy_helper.from_array(np.array([0.5], dtype=np.float32), "s"))
nodes, prev = [], "X"
for i, name in enumerate([s[0] for s in specs] + ["s"]):
    out = "Y" if name == "s" else "t%d" % i
    nodes.append(helper.make_node("Add", [prev, name], [out], name="add%d" % i))
    prev = out
g = helper.make_graph(nodes, "big_external",
                      [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, SHAPE[1]])],
                      [helper.make_tensor_value_info("Y", TensorProto.FLOAT, list(SHAPE))],
                      initializer=inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
with open(os.path.join(d, "model.onnx"), "wb") as f:
    f.write(m.SerializeToString())
assert layout[-1][2] > 2**31, layout[-1]
assert os.path.getsize(os.path.join(d, "weights.bin")) > 2250 * 2**20
PY

# digests.py MODEL: {tensor: sha256 of its bytes}, and checks the external
# layout: offsets multiples of 4096 (of 64 below 4096 bytes) unless --any-offsets.
cat >"$work/digests.py" <<'PY'
import hashlib, json, mmap, os, sys
import onnx
from onnx import TensorProto
path = sys.argv[1]
aligned = "--any-offsets" not in sys.argv
m = onnx.load(path, load_external_data=False)
folder, out, maps = os.path.dirname(path), {}, {}
for t in m.graph.initializer:
    if t.data_location != TensorProto.EXTERNAL:
        out[t.name] = ["inline", hashlib.sha256(t.raw_data).hexdigest()]
        continue
    e = {x.key: x.value for x in t.external_data}
    off, n = int(e.get("offset", "0")), int(e["length"])
    if aligned:
        assert off % (4096 if n >= 4096 else 64) == 0, (t.name, off, n)
    loc = os.path.join(folder, e["location"])
    if loc not in maps:
        with open(loc, "rb") as f:
            maps[loc] = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    mm = maps[loc]
    assert off + n <= len(mm), ("past the end", t.name, off, n, len(mm))
    h = hashlib.sha256()
    for p in range(off, off + n, 1 << 24):
        h.update(mm[p:min(off + n, p + (1 << 24))])
        mm.madvise(mmap.MADV_DONTNEED, p - p % mmap.PAGESIZE, min(off + n, p + (1 << 24)) - p + p % mmap.PAGESIZE)
    out[t.name] = [e["location"], h.hexdigest(), off]
print(json.dumps(out))
PY
# same_bytes A.json B.json LOCATION: every tensor has the same bytes; the
# external ones of B are all in LOCATION and one sits past 2^31.
same_bytes() {
    py - "$@" <<'PY'
import json, sys
a, b, loc = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
assert sorted(a) == sorted(b), (sorted(a), sorted(b))
for k in a:
    assert a[k][1] == b[k][1], "tensor %s: bytes differ" % k
ext = [v for v in b.values() if v[0] != "inline"]
assert len(ext) == 6 and all(v[0] == loc for v in ext), b
assert b["s"][0] == "inline", b["s"]
assert max(v[2] for v in ext) > 2**31, "no offset past 2^31"
PY
}

check "digest the source tensors" sh -c '"$1" "$2" "$3/model.onnx" --any-offsets >"$4"' _ "$PYTHON" "$work/digests.py" "$src" "$work/src.json"

"$ONNXFOLD" info --json "$src/model.onnx" >"$work/info.json"
check "info reports the external file" py - "$work/info.json" "$src/weights.bin" <<'PY'
import json, os, sys
j = json.load(open(sys.argv[1]))
big = 11520 * 10240 * 4
assert j["external_data"] == [{"location": "weights.bin", "size": os.path.getsize(sys.argv[2]),
                               "tensors": 6, "bytes": 5 * big + 40960}], j["external_data"]
assert j["initializers"] == {"count": 7, "bytes": 5 * big + 40960 + 4}, j["initializers"]
assert j["check"]["ok"], j["check"]
PY

# --external-data into another folder, peak memory measured
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' -o "$work/rss" "$ONNXFOLD" convert "$src/model.onnx" "$work/out/model.onnx" \
        --external-data data.bin >"$work/log" 2>&1
    rc=$?
    rss_kib=$(tail -n 1 "$work/rss")
    echo "peak RSS of convert --external-data: $((rss_kib / 1024)) MiB ($rss_kib KiB)"
    check "peak RSS under 256 MiB" test "$rss_kib" -lt $((256 * 1024))
else
    "$ONNXFOLD" convert "$src/model.onnx" "$work/out/model.onnx" --external-data data.bin >"$work/log" 2>&1
    rc=$?
    echo "note: /usr/bin/time is missing (apt-get install time): peak RSS not measured"
fi
check "convert --external-data succeeds (exit $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || sed 's/^/    | /' "$work/log" | head -n 5
check "data file holds the 2.2 GiB" test "$(stat -c %s "$work/out/data.bin" 2>/dev/null || echo 0)" -ge $((2250 * 1024 * 1024))
check "digest the output (offsets aligned)" sh -c '"$1" "$2" "$3/model.onnx" >"$4"' _ "$PYTHON" "$work/digests.py" "$work/out" "$work/out.json"
check "every tensor's bytes are unchanged" same_bytes "$work/src.json" "$work/out.json" data.bin
check "info on the output" sh -c '"$1" info "$2" | grep -q "^  data.bin: "' _ "$ONNXFOLD" "$work/out/model.onnx"
rm -rf "$work/out"/*

# default: kept external, in OUT.data
check "convert (keep external) succeeds" "$ONNXFOLD" convert "$src/model.onnx" "$work/keep/model.onnx"
check "digest the output (offsets aligned)" sh -c '"$1" "$2" "$3/model.onnx" >"$4"' _ "$PYTHON" "$work/digests.py" "$work/keep" "$work/keep.json"
check "every tensor's bytes are unchanged" same_bytes "$work/src.json" "$work/keep.json" model.onnx.data
rm -rf "$work/keep"/*

# --internal cannot hold 2.2 GiB
expect_fail2 "--internal past 2 GiB is refused" "2 GiB" \
    "$ONNXFOLD" convert "$src/model.onnx" "$work/out/inline.onnx" --internal
no_leftovers "  and leaves no file" "$work/out" "$work/out/inline.onnx"
check "  nothing at all in OUT's folder" test -z "$(ls -A "$work/out")"
finish
