#!/usr/bin/env bash
# Interrupted and failed converts leave OUT and its data file exactly as they
# were, and no temporary: a SIGTERM, SIGINT or SIGHUP in the middle of
# writing (the CLI removes its temporaries, then dies of the signal), and a
# model write that fails after the data file was complete (both temporaries
# are written before either is renamed).
. "$(dirname "$0")/lib.sh"
ex="$SRC/examples/tiny_cnn.onnx"
mkdir -p "$work/out" "$work/in"
out="$work/out/o.onnx"

# The old OUT: the example with its weights in o.onnx.data.
py - "$ex" "$work/in/small.onnx" <<'PY'
import sys
import onnx
onnx.save_model(onnx.load(sys.argv[1]), sys.argv[2], save_as_external_data=True,
                all_tensors_to_one_file=True, location="small.bin", size_threshold=0)
PY
"$ONNXFOLD" convert "$work/in/small.onnx" "$out" || exit 1
sum_old() { cat "$out" "$out.data" | md5sum; }
old=$(sum_old)

# in/big.onnx: 4 float tensors of 100 MB in a 400 MB external file, sparse on
# disk (a hole reads as zeros), so writing it takes long enough to interrupt.
py - "$work/in" <<'PY'
import os, sys
from onnx import TensorProto, helper
d = sys.argv[1]
n = 25 * 2**20  # floats per tensor: 100 MiB
with open(os.path.join(d, "big.bin"), "wb") as f:
    f.truncate(4 * 4 * n)
inits = []
for i in range(4):
    t = TensorProto(name="w%d" % i, data_type=TensorProto.FLOAT, dims=[n])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "big.bin"), ("offset", str(i * 4 * n)), ("length", str(4 * n))):
        e = t.external_data.add()
        e.key, e.value = k, v
    inits.append(t)
g = helper.make_graph([helper.make_node("Identity", ["w0"], ["y"])], "big", [],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n])], initializer=inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
open(os.path.join(d, "big.onnx"), "wb").write(m.SerializeToString())
PY

# interrupt SIGNAL ARGS...: starts `convert ARGS` (with the signal's default
# disposition, which a background job would not have), waits until a
# temporary appears in OUT's folder, stops the process there, checks it is
# mid-write, sends SIGNAL and lets it go on. Prints the exit status.
cat >"$work/interrupt.py" <<'PY'
import os, signal, subprocess, sys, time
sig = getattr(signal, sys.argv[1])
folder = sys.argv[2]
cmd = sys.argv[3:]
def defaults():
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)
p = subprocess.Popen(cmd, preexec_fn=defaults)
deadline = time.time() + 120
while time.time() < deadline:
    if any(".tmp-" in n for n in os.listdir(folder)):
        break
    if p.poll() is not None:
        sys.exit("convert ended (exit %s) before a temporary appeared" % p.returncode)
    time.sleep(0.0005)
else:
    p.kill()
    sys.exit("no temporary appeared")
os.kill(p.pid, signal.SIGSTOP)
time.sleep(0.05)
if p.poll() is not None or not any(".tmp-" in n for n in os.listdir(folder)):
    sys.exit("convert finished before it could be stopped mid-write: make the model bigger")
os.kill(p.pid, sig)
os.kill(p.pid, signal.SIGCONT)
rc = p.wait(timeout=120)
print(rc)
PY
for case in "SIGTERM keep" "SIGINT internal" "SIGHUP external" "SIGTERM internal"; do
    set -- $case
    sig=$1
    case $2 in
    keep) opts=() ;;
    internal) opts=(--internal) ;;
    external) opts=(--external-data o.onnx.data --external-threshold 1) ;;
    esac
    rc=$(py "$work/interrupt.py" "$sig" "$work/out" "$ONNXFOLD" convert "$work/in/big.onnx" "$out" "${opts[@]}")
    num=$(py -c 'import signal, sys; print(-int(getattr(signal, sys.argv[1])))' "$sig")
    check "$sig during convert ${opts[*]:-(keep)}: the process dies of it (got ${rc:-nothing}, want $num)" \
        test "${rc:-x}" = "$num"
    no_leftovers "  no temporary is left" "$work/out" "$work/out/none"
    check "  the old OUT and its data are untouched" test "$(sum_old)" = "$old"
done

# A model write that fails (file size limit, as a full disk would) after the
# data file is complete: the data file must not have been renamed over the
# old one, which the old OUT reads.
py - "$work/in/wide.onnx" <<'PY'
import sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
big = numpy_helper.from_array(np.full(100000, 7, dtype=np.float32), "big")  # 400 KB: external
inline = [numpy_helper.from_array(np.full(20000, i, dtype=np.float32), "s%d" % i)  # 80 KB each
          for i in range(40)]
g = helper.make_graph([helper.make_node("Identity", ["big"], ["y"])], "wide", [],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [100000])],
                      initializer=[big] + inline)
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), sys.argv[1])
PY
"$ONNXFOLD" convert "$work/in/small.onnx" "$out" --external-data o.onnx.data --external-threshold 1 || exit 1
old=$(sum_old)
expect_fail2 "model write fails after the data file is complete" "File too large" \
    bash -c 'trap "" XFSZ; ulimit -f 1000; exec "$@"' _ "$ONNXFOLD" convert "$work/in/wide.onnx" "$out" \
    --external-data o.onnx.data --external-threshold 100000
check "  the old OUT and its data are untouched" test "$(sum_old)" = "$old"
no_leftovers "  no temporary is left" "$work/out" "$work/out/none"
check "  the old OUT still loads and checks" sh -c '"$1" info "$2" | grep -q "^check: ok$"' _ "$ONNXFOLD" "$out"
check "  and holds the old values" py -c '
import sys
import onnx
from onnx import numpy_helper
a, b = (onnx.load(p).graph.initializer for p in sys.argv[1:])
assert [(t.name, numpy_helper.to_array(t).tobytes()) for t in a] == \
       [(t.name, numpy_helper.to_array(t).tobytes()) for t in b]
' "$ex" "$out"
# The same when OUT had no data file before: none is left behind.
rm -f "$out" "$out.data"
expect_fail2 "model write fails, no old OUT" "File too large" \
    bash -c 'trap "" XFSZ; ulimit -f 1000; exec "$@"' _ "$ONNXFOLD" convert "$work/in/wide.onnx" "$out" \
    --external-data o.onnx.data --external-threshold 100000
no_leftovers "  no OUT" "$work/out" "$out"
no_leftovers "  no data file" "$work/out" "$out.data"
# Without the trap: SIGXFSZ killed the process (exit 153, no message) and
# left the temporary behind; the CLI ignores it, so the write fails cleanly.
expect_fail2 "optimize past ulimit -f, SIGXFSZ not ignored by the caller" "File too large" \
    bash -c 'trap - XFSZ; ulimit -f 100; exec "$@"' _ "$ONNXFOLD" optimize "$work/in/wide.onnx" "$out"
no_leftovers "  no OUT, no temporary" "$work/out" "$out"
expect_fail2 "run --output-dir past ulimit -f" "output_0.pb: write failed: File too large" \
    bash -c 'trap - XFSZ; ulimit -f 100; exec "$@"' _ "$ONNXFOLD" run "$work/in/wide.onnx" \
    --output-dir "$work/out"
no_leftovers "  no output file, no temporary" "$work/out" "$work/out/output_0.pb"
finish
