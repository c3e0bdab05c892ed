#!/usr/bin/python3
"""Write deterministic random inputs for an ONNX model.

Usage:
    /usr/bin/python3 tests/interop/gen_inputs.py MODEL OUTDIR [--seed N]
        [--dim NAME=V ...] [--pb]

MODEL may be gzip-compressed. For each graph input that is not an
initializer, in graph-input order (the order onnxruntime's session.inputNames
and tests/interop/ort_run.js use), OUTDIR/input_K.npy is written (with --pb,
OUTDIR/input_K.pb, an ONNX TensorProto with raw_data, instead):
  float, double, float16: standard normal;
  integer types: uniform integers in [0, 5] (small, so that counts, indices
  and shape-like inputs stay sensible);
  bool: uniform True/False.
Symbolic dims (dim_param) take the value given with --dim NAME=V, else 1;
dims with neither a value nor a name are 1 (an input without any shape
becomes a scalar). numpy's PCG64 generator seeded
with --seed (default 0) makes the files reproducible; the same seed gives
the same values for the same shapes.

One line per input is printed: K, name, dtype, shape.
Exit status 0, or 2 on bad arguments or an unsupported input type.
"""

import argparse
import gzip
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

INT_HIGH = 5


def load_model(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return onnx.load_from_string(data)


def graph_inputs(model):
    """The graph inputs that are not initializers, in graph-input order."""
    inits = {t.name for t in model.graph.initializer}
    inits |= {t.values.name for t in model.graph.sparse_initializer}
    return [i for i in model.graph.input if i.name not in inits]


def input_shape(vi, dims):
    shape = []
    for d in vi.type.tensor_type.shape.dim:
        if d.HasField("dim_value"):
            shape.append(d.dim_value)
        else:
            shape.append(dims.get(d.dim_param, 1) if d.dim_param else 1)
    return shape


def random_array(rng, dtype, shape):
    if dtype == np.bool_:
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if np.issubdtype(dtype, np.floating):
        return rng.standard_normal(size=shape).astype(dtype)
    return rng.integers(0, INT_HIGH, size=shape, endpoint=True).astype(dtype)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dim", action="append", default=[], metavar="NAME=V",
                    help="value of a symbolic dim (repeatable)")
    ap.add_argument("--pb", action="store_true", help="write input_K.pb TensorProtos")
    args = ap.parse_args()
    dims = {}
    for spec in args.dim:
        name, sep, val = spec.partition("=")
        if not sep or not name or not val.isdigit():
            ap.error("--dim wants NAME=V with V a non-negative integer, got %r" % spec)
        dims[name] = int(val)
    try:
        model = load_model(args.model)
        if not model.HasField("graph"):
            raise ValueError("not an ONNX model (no graph)")
    except Exception as e:  # unreadable file or not a model
        print("gen_inputs: %s: %s" % (args.model, e), file=sys.stderr)
        return 2
    os.makedirs(args.outdir, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    for k, vi in enumerate(graph_inputs(model)):
        if not vi.type.HasField("tensor_type"):
            print("gen_inputs: input %r is not a tensor" % vi.name, file=sys.stderr)
            return 2
        elem = vi.type.tensor_type.elem_type
        try:
            dtype = np.dtype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[elem])
        except KeyError:
            dtype = None
        # (python3-onnx 1.12 maps bfloat16 to float32: refuse it too)
        if (dtype is None or dtype.kind not in "fiub" or dtype.itemsize > 8
                or elem == onnx.TensorProto.BFLOAT16):
            print("gen_inputs: input %r has unsupported type %s" % (
                vi.name, onnx.TensorProto.DataType.Name(elem)), file=sys.stderr)
            return 2
        shape = input_shape(vi, dims)
        arr = random_array(rng, dtype.type, shape)
        if args.pb:
            with open(os.path.join(args.outdir, "input_%d.pb" % k), "wb") as f:
                f.write(numpy_helper.from_array(arr, vi.name).SerializeToString())
        else:
            np.save(os.path.join(args.outdir, "input_%d.npy" % k), arr)
        print("%d %s %s %s" % (k, vi.name, dtype.name, list(arr.shape)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
