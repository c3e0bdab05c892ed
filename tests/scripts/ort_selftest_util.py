#!/usr/bin/python3
"""Helpers for interop_ort_selftest.sh (one subcommand per check it needs).

  dtypes DIR        writes DIR/model.onnx (one Identity per dtype the harness
                    supports, odd values and shapes: NaN/inf/-0, int64 and
                    uint64 extremes, a scalar, a zero-size tensor), its inputs
                    as DIR/npy/input_K.npy (numpy.save) and as TensorProtos
                    DIR/pb/input_K.pb in the typed fields (float_data,
                    int32_data, int64_data, double_data, uint64_data), one of
                    them hand-encoded with packed dims and unpacked values.
  same-npy A B      every A/input_K.npy equals B/output_K.npy byte for byte
                    (header included: ort_run.js writes numpy.save's header)
  same-pb NPY PB    PB/output_K.pb holds the same bits as NPY/input_K.npy, and
                    its name is y_K
  perturb IN OUT HOW   copies IN/output_*.npy to OUT and spoils output_0:
                    HOW = big (one element + 1e-2 * max|x|), tiny (+1e-7 *
                    max|x|, must still pass), nan (one element NaN), shape
                    (one element dropped), dtype (float64); int spoils the
                    first integer output instead (one element + 1)
  negate IN OUT     copies IN/input_*.npy to OUT with input_0 negated
  nodes MODEL MAX FORBIDDEN   MODEL has fewer than MAX nodes and no FORBIDDEN op
  timejson FILE N   FILE is one JSON line from ort_run.js --time with N runs
  loop-if MODEL IN_A OUT_A IN_B OUT_B
                    for tests/models/small/loop_if: ort_run's outputs equal a
                    numpy evaluation of LoopIf (make_small_models.py) with the
                    model's weights, for both input sets, and the two sets
                    took different If branches
Exit status 0 when the check holds, 1 otherwise.
"""

import json
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper


def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def dtype_arrays():
    f16 = np.array([0x3C00, 0x7E00, 0x7C00, 0xFC00, 0x8000, 0x0001], dtype=np.uint16)
    return [
        ("float32", np.array([[1.5, -0.0, np.nan], [np.inf, -np.inf, 3e-45]], np.float32)),
        ("uint8", np.array([0, 1, 255], np.uint8)),
        ("int8", np.array([-128, 0, 127], np.int8)),
        ("uint16", np.array([0, 65535], np.uint16)),
        ("int16", np.array([[-32768, 32767]], np.int16)),
        ("int32", np.array(-2147483648, np.int32)),  # a scalar
        ("int64", np.array([-(2 ** 63), 2 ** 63 - 1, -1], np.int64)),
        ("bool", np.array([[True, False], [False, True]], np.bool_)),
        ("float16", f16.view(np.float16).reshape(2, 3)),
        ("float64", np.array([np.pi, -1e300, np.nan], np.float64)),
        ("uint32", np.zeros((0, 3), np.uint32)),  # zero-size
        ("uint64", np.array([0, 2 ** 64 - 1], np.uint64)),
    ]


def typed_tensor(name, arr):
    """TensorProto with the values in the typed field, not raw_data."""
    elem = onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[arr.dtype]
    t = TensorProto(name=name, data_type=elem, dims=list(arr.shape))
    flat = arr.reshape(-1)
    if arr.dtype == np.float32:
        t.float_data.extend(flat.tolist())
    elif arr.dtype == np.float64:
        t.double_data.extend(flat.tolist())
    elif arr.dtype == np.int64:
        t.int64_data.extend(flat.tolist())
    elif arr.dtype in (np.uint32, np.uint64):
        t.uint64_data.extend(flat.tolist())
    elif arr.dtype == np.float16:
        t.int32_data.extend(flat.view(np.uint16).tolist())
    else:
        t.int32_data.extend(flat.astype(np.int64).tolist())
    return t.SerializeToString()


def hand_encoded_float(name, arr):
    """float32 TensorProto: packed dims, one key per float_data value."""
    dims = b"".join(varint(d) for d in arr.shape)
    out = varint(1 << 3 | 2) + varint(len(dims)) + dims
    out += varint(2 << 3) + varint(TensorProto.FLOAT)
    for v in arr.reshape(-1):
        out += varint(4 << 3 | 5) + np.float32(v).tobytes()
    nm = name.encode()
    return out + varint(8 << 3 | 2) + varint(len(nm)) + nm


def cmd_dtypes(d):
    arrays = dtype_arrays()
    inputs, outputs, nodes = [], [], []
    for k, (_, arr) in enumerate(arrays):
        elem = onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[arr.dtype]
        inputs.append(helper.make_tensor_value_info("x_%d" % k, elem, list(arr.shape)))
        outputs.append(helper.make_tensor_value_info("y_%d" % k, elem, list(arr.shape)))
        nodes.append(helper.make_node("Identity", ["x_%d" % k], ["y_%d" % k]))
    graph = helper.make_graph(nodes, "dtypes", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    os.makedirs(os.path.join(d, "npy"), exist_ok=True)
    os.makedirs(os.path.join(d, "pb"), exist_ok=True)
    onnx.save(model, os.path.join(d, "model.onnx"))
    for k, (_, arr) in enumerate(arrays):
        np.save(os.path.join(d, "npy", "input_%d.npy" % k), arr)
        data = hand_encoded_float("x_%d" % k, arr) if k == 0 else typed_tensor("x_%d" % k, arr)
        with open(os.path.join(d, "pb", "input_%d.pb" % k), "wb") as f:
            f.write(data)
    return 0


def numbered(d, prefix, ext):
    ks = sorted(int(f[len(prefix) + 1:-len(ext) - 1]) for f in os.listdir(d)
                if f.startswith(prefix + "_") and f.endswith("." + ext))
    return ks


def cmd_same_npy(a, b):
    ks = numbered(a, "input", "npy")
    if not ks or ks != numbered(b, "output", "npy"):
        print("input files %s, output files %s" % (ks, numbered(b, "output", "npy")))
        return 1
    bad = 0
    for k in ks:
        with open(os.path.join(a, "input_%d.npy" % k), "rb") as f:
            x = f.read()
        with open(os.path.join(b, "output_%d.npy" % k), "rb") as f:
            y = f.read()
        if x != y:
            print("output_%d.npy differs from input_%d.npy" % (k, k))
            bad += 1
    return 1 if bad else 0


def cmd_same_pb(npy_dir, pb_dir):
    from onnx import numpy_helper
    ks = numbered(npy_dir, "input", "npy")
    if not ks or ks != numbered(pb_dir, "output", "pb"):
        print("inputs %s, pb outputs %s" % (ks, numbered(pb_dir, "output", "pb")))
        return 1
    bad = 0
    for k in ks:
        want = np.load(os.path.join(npy_dir, "input_%d.npy" % k))
        t = TensorProto()
        with open(os.path.join(pb_dir, "output_%d.pb" % k), "rb") as f:
            t.ParseFromString(f.read())
        got = numpy_helper.to_array(t)
        if (t.name != "y_%d" % k or got.dtype != want.dtype or got.shape != want.shape
                or got.tobytes() != want.tobytes()):
            print("output_%d.pb: name %r, %s %s, want y_%d %s %s" % (
                k, t.name, got.dtype, got.shape, k, want.dtype, want.shape))
            bad += 1
    return 1 if bad else 0


def cmd_perturb(src, dst, how):
    os.makedirs(dst, exist_ok=True)
    for f in os.listdir(src):
        if f.startswith("output_") and f.endswith(".npy"):
            shutil.copy(os.path.join(src, f), os.path.join(dst, f))
    if how == "int":  # first integer output: one element + 1
        for k in range(len(os.listdir(dst))):
            p = os.path.join(dst, "output_%d.npy" % k)
            x = np.load(p)
            if x.dtype.kind in "iu" and x.size:
                x.reshape(-1)[0] += 1
                np.save(p, x)
                return 0
        print("no integer output in %s" % dst)
        return 1
    p = os.path.join(dst, "output_0.npy")
    x = np.load(p)
    flat = x.reshape(-1).copy()
    scale = float(np.abs(flat[np.isfinite(flat)]).max())
    if how == "big":
        flat[flat.size // 2] += 1e-2 * scale
    elif how == "tiny":
        flat[flat.size // 2] += 1e-7 * scale
    elif how == "nan":
        flat[flat.size // 2] = np.nan
    elif how == "shape":
        flat = flat[:-1]
    elif how == "dtype":
        flat = flat.astype(np.float64)
    else:
        print("unknown perturbation %r" % how)
        return 1
    np.save(p, flat if how == "shape" else flat.reshape(x.shape))
    return 0


def cmd_negate(src, dst):
    os.makedirs(dst, exist_ok=True)
    for f in os.listdir(src):
        if f.startswith("input_") and f.endswith(".npy"):
            x = np.load(os.path.join(src, f))
            np.save(os.path.join(dst, f), -x if f == "input_0.npy" else x)
    return 0


def cmd_nodes(path, most, forbidden):
    m = onnx.load(path)
    ops = [n.op_type for n in m.graph.node]
    print("%d nodes, %d %s" % (len(ops), ops.count(forbidden), forbidden))
    return 0 if len(ops) < int(most) and forbidden not in ops else 1


def cmd_timejson(path, n):
    with open(path) as f:
        lines = f.read().splitlines()
    r = json.loads(lines[0])
    ok = (len(lines) == 1 and len(r["runs_ms"]) == int(n) and r["repeat"] == int(n)
          and r["create_ms"] > 0 and min(r["runs_ms"]) <= r["run_ms"] <= max(r["runs_ms"]))
    print(r)
    return 0 if ok else 1


def loop_if_ref(inits, x, count):
    """LoopIf.forward of make_small_models.py, in numpy (float64)."""
    w, b = inits["lin.weight"], inits["lin.bias"]
    acc, h = np.zeros_like(x), x
    for i in range(int(count)):
        h = np.maximum(h @ w.T + b, 0.0)
        acc = acc + h * float(i + 1)
    positive = bool(x.sum() > 0)
    return (acc * 2.0 + x if positive else acc - x), positive


def cmd_loop_if(model_path, in_a, out_a, in_b, out_b):
    import gzip
    from onnx import numpy_helper
    with open(model_path, "rb") as f:
        data = f.read()
    m = onnx.load_from_string(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    inits = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in m.graph.initializer}
    branches = []
    for d_in, d_out in ((in_a, out_a), (in_b, out_b)):
        x = np.load(os.path.join(d_in, "input_0.npy")).astype(np.float64)
        count = np.load(os.path.join(d_in, "input_1.npy"))
        want, positive = loop_if_ref(inits, x, count)
        got = np.load(os.path.join(d_out, "output_0.npy"))
        err = float(np.abs(got - want).max())
        bound = 1e-5 * float(np.abs(want).max())
        print("count %d, x.sum() > 0: %s, max|ort - numpy| %.3g, bound %.3g" % (
            count, positive, err, bound))
        if got.shape != want.shape or not err <= bound:
            return 1
        branches.append(positive)
    return 0 if branches[0] != branches[1] else 1


CMDS = {
    "dtypes": (cmd_dtypes, 1), "same-npy": (cmd_same_npy, 2), "same-pb": (cmd_same_pb, 2),
    "perturb": (cmd_perturb, 3), "negate": (cmd_negate, 2), "nodes": (cmd_nodes, 3),
    "timejson": (cmd_timejson, 2), "loop-if": (cmd_loop_if, 5),
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in CMDS or len(sys.argv) - 2 != CMDS[sys.argv[1]][1]:
        print(__doc__)
        sys.exit(2)
    sys.exit(CMDS[sys.argv[1]][0](*sys.argv[2:]))
