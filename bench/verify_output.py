#!/usr/bin/python3
"""Check that a model written by `onnxfold convert` is equivalent to its input.

Usage:
    /usr/bin/python3 bench/verify_output.py IN.onnx OUT.onnx
        [--expect-inline | --expect-external LOCATION [--threshold BYTES]]

Used by bench/run.sh after the timed runs so that a fast but wrong convert
cannot pass the benchmark.  It checks:
  * OUT passes onnx.checker.check_model (by path, so external data locations
    are checked relative to OUT's folder);
  * graph inputs, outputs, opset imports and every node (op type, name,
    inputs, outputs, attributes) are identical to IN's;
  * the initializers have the same names, types, dims and data bytes
    (SHA-256, computed chunk by chunk, so external tensors of any size are
    compared without loading them into memory);
  * --expect-inline: every OUT initializer is stored inline;
    --expect-external LOC: every OUT initializer of >= BYTES (default 1024)
    data bytes is EXTERNAL with location LOC, every smaller one is inline.

Exit status 0 if all checks pass, 1 otherwise (the first problems are
printed).  Peak memory is small for external data; inline models are parsed
in full (about 2-3x their file size).
"""

import argparse
import hashlib
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

try:  # onnx >= 1.13
    from onnx.helper import tensor_dtype_to_np_dtype
except ImportError:  # onnx 1.12 (Debian 12)
    from onnx.mapping import TENSOR_TYPE_TO_NP_TYPE

    def tensor_dtype_to_np_dtype(t):
        return TENSOR_TYPE_TO_NP_TYPE[t]

CHUNK = 16 << 20


def elem_size(data_type):
    if data_type == TensorProto.STRING:
        return None
    return np.dtype(tensor_dtype_to_np_dtype(data_type)).itemsize


def ext_info(t):
    return {e.key: e.value for e in t.external_data}


def tensor_nbytes(t):
    n = int(np.prod(t.dims, dtype=np.int64)) if len(t.dims) else 1
    es = elem_size(t.data_type)
    return None if es is None else n * es


def tensor_digest(t, base_dir):
    """SHA-256 of the tensor's little-endian data bytes, whatever the storage."""
    h = hashlib.sha256()
    if t.data_location == TensorProto.EXTERNAL:
        kv = ext_info(t)
        path = os.path.join(base_dir, kv["location"])
        off = int(kv.get("offset", "0") or 0)
        length = kv.get("length")
        length = int(length) if length else tensor_nbytes(t)
        with open(path, "rb") as f:
            f.seek(off)
            left = length
            while left > 0:
                b = f.read(min(CHUNK, left))
                if not b:
                    raise ValueError("%s: external data truncated in %s"
                                     % (t.name, path))
                h.update(b)
                left -= len(b)
    elif t.data_type == TensorProto.STRING:
        for s in t.string_data:
            h.update(len(s).to_bytes(8, "little"))
            h.update(s)
    elif t.HasField("raw_data") or len(t.raw_data):
        h.update(t.raw_data)
    else:
        arr = numpy_helper.to_array(t)
        h.update(arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes())
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inp")
    ap.add_argument("out")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--expect-inline", action="store_true")
    g.add_argument("--expect-external", metavar="LOCATION")
    ap.add_argument("--threshold", type=int, default=1024)
    args = ap.parse_args()

    problems = []

    def bad(msg):
        problems.append(msg)

    try:
        onnx.checker.check_model(args.out)
    except Exception as e:  # noqa: BLE001
        bad("onnx.checker: %s" % str(e).strip().splitlines()[0])

    a = onnx.load(args.inp, load_external_data=False)
    try:
        b = onnx.load(args.out, load_external_data=False)
    except Exception as e:  # noqa: BLE001
        print("verify: cannot load %s: %s" % (args.out, e))
        return 1
    adir = os.path.dirname(os.path.abspath(args.inp))
    bdir = os.path.dirname(os.path.abspath(args.out))

    if sorted((o.domain, o.version) for o in a.opset_import) != \
            sorted((o.domain, o.version) for o in b.opset_import):
        bad("opset_import differs")
    for field in ("input", "output"):
        if list(getattr(a.graph, field)) != list(getattr(b.graph, field)):
            bad("graph.%s differs" % field)
    if len(a.graph.node) != len(b.graph.node):
        bad("node count %d != %d" % (len(a.graph.node), len(b.graph.node)))
    else:
        for i, (na, nb) in enumerate(zip(a.graph.node, b.graph.node)):
            # Attribute order is not significant.
            ka = sorted(at.SerializeToString(deterministic=True) for at in na.attribute)
            kb = sorted(at.SerializeToString(deterministic=True) for at in nb.attribute)
            if (na.op_type, na.domain, na.name, list(na.input), list(na.output), ka) != \
                    (nb.op_type, nb.domain, nb.name, list(nb.input), list(nb.output), kb):
                bad("node %d (%s %s) differs" % (i, na.op_type, na.name))
                break

    ia = {t.name: t for t in a.graph.initializer}
    ib = {t.name: t for t in b.graph.initializer}
    if set(ia) != set(ib):
        bad("initializer names differ: only in IN %s, only in OUT %s" % (
            sorted(set(ia) - set(ib))[:5], sorted(set(ib) - set(ia))[:5]))
    n_ext = 0
    for name in sorted(set(ia) & set(ib)):
        ta, tb = ia[name], ib[name]
        if ta.data_type != tb.data_type or list(ta.dims) != list(tb.dims):
            bad("initializer %s: type/dims differ" % name)
            continue
        ext = tb.data_location == TensorProto.EXTERNAL
        n_ext += ext
        nbytes = tensor_nbytes(tb)
        if args.expect_inline and ext:
            bad("initializer %s: external, expected inline" % name)
        if args.expect_external is not None and nbytes is not None:
            want_ext = nbytes >= args.threshold
            if want_ext and not ext:
                bad("initializer %s (%d B): inline, expected external" % (name, nbytes))
            elif not want_ext and ext:
                bad("initializer %s (%d B): external, expected inline" % (name, nbytes))
            elif ext and ext_info(tb).get("location") != args.expect_external:
                bad("initializer %s: location %r, expected %r" % (
                    name, ext_info(tb).get("location"), args.expect_external))
        try:
            if tensor_digest(ta, adir) != tensor_digest(tb, bdir):
                bad("initializer %s: data differs" % name)
        except (OSError, ValueError, KeyError) as e:
            bad("initializer %s: %s" % (name, e))
        if len(problems) >= 10:
            break

    if problems:
        for p in problems[:10]:
            print("verify: %s" % p)
        return 1
    print("verify: ok (%d nodes, %d initializers, %d external)" % (
        len(b.graph.node), len(ib), n_ext))
    return 0


if __name__ == "__main__":
    sys.exit(main())
