#!/usr/bin/python3
"""Generate a > 2 GiB Conv + BatchNormalization model with external data.

Usage:
    /usr/bin/python3 bench/gen_big_external.py OUTDIR [--layers 40]
                     [--channels 4096] [--no-check] [--force]

Writes OUTDIR/model.onnx and OUTDIR/weights.bin: a chain of LAYERS blocks

    X [1, C, 1, 1] -> Conv(C -> C, 1x1, no bias) -> BatchNormalization -> Relu
                   -> ... (LAYERS times) -> Y [1, C, 1, 1]

opset 13 (IR 7). With the defaults (C = 4096, 40 layers) each Conv weight is
[4096, 4096, 1, 1] float32 = 64 MiB and the model holds 2560 MiB of Conv
weights plus 40 x 4 BatchNormalization vectors of 16 KiB, 2.50 GiB in all:
over protobuf's 2 GiB limit, so it can only exist with external data. Every
initializer lives in the single file weights.bin (data_location EXTERNAL,
location / offset / length; offsets are multiples of 4096, tensors back to
back in graph order); model.onnx itself is a few KB.

The values are deterministic patterns, no randomness and no torch, written
one tensor at a time so memory stays at ~2 x 64 MiB and generation is bounded
by the disk: the Conv weight of layer k is the base pattern
((37 i + 13 floor(i / 251)) mod 251 - 125) / 125 (in [-1, 1]) times
sqrt(6 / C) * (1 + k / 1024) (He-uniform scale, so activations keep their
size through the Relus; no two layers equal); BatchNormalization scale
1 + u/4, bias u/10, mean u/10, var 1 + u/4 with u in [-1, 1] a pattern that
depends on the layer. Running it (onnxruntime or onnxfold) gives outputs of
order 1.

Validation (unless --no-check): onnx.load(model, load_external_data=False),
onnx.checker.check_model by path (it checks that weights.bin exists) and the
size of weights.bin against the declared lengths. Files are written under
temporary names and renamed into place, model.onnx last: an interrupted run
never leaves a model that a later run would take as complete. An existing
complete pair is kept unless --force.

Prints the sizes and the time taken. Exit status 0, 1 on a failed check, 2
on bad arguments. Needs python3-onnx and python3-numpy.
"""

import argparse
import os
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper

ALIGN = 4096


def base_pattern(n):
    i = np.arange(n, dtype=np.int64)
    v = ((37 * i + 13 * (i // 251)) % 251 - 125).astype(np.float32)
    v *= np.float32(1.0 / 125.0)
    return v


def vector(c, k, j):
    """A [c] pattern in [-1, 1] for BN parameter j of layer k."""
    i = np.arange(c, dtype=np.int64)
    return (((29 * i + 17 * k + 53 * j) % 201 - 100) / 100.0).astype(np.float32)


def external(name, dims, location, offset, length):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", str(offset)), ("length", str(length))):
        e = t.external_data.add()
        e.key = key
        e.value = value
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--layers", type=int, default=40)
    ap.add_argument("--channels", type=int, default=4096)
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()
    if a.layers < 1 or a.channels < 1:
        ap.error("--layers and --channels must be positive")
    c, n_layers = a.channels, a.layers
    os.makedirs(a.outdir, exist_ok=True)
    model_path = os.path.join(a.outdir, "model.onnx")
    data_name = "weights.bin"
    data_path = os.path.join(a.outdir, data_name)

    w_bytes = c * c * 4
    v_bytes = c * 4
    pad = lambda n: (n + ALIGN - 1) // ALIGN * ALIGN  # noqa: E731
    expected = n_layers * (pad(w_bytes) + 4 * pad(v_bytes))
    if (not a.force and os.path.exists(model_path) and os.path.exists(data_path)
            and os.path.getsize(data_path) >= expected - ALIGN):
        m = onnx.load(model_path, load_external_data=False)
        if len(m.graph.node) == 3 * n_layers and m.graph.input[0].type.tensor_type.shape.dim[1].dim_value == c:
            print("%s exists (use --force to rewrite it)" % model_path)
            return 0

    t0 = time.time()
    base = base_pattern(c * c)
    inits, nodes = [], []
    offset = 0
    tmp_data = data_path + ".part"
    with open(tmp_data, "wb") as f:

        def put(name, dims, arr):
            nonlocal offset
            raw = arr.astype("<f4", copy=False)
            f.seek(offset)
            raw.tofile(f)
            inits.append(external(name, dims, data_name, offset, raw.nbytes))
            offset = pad(offset + raw.nbytes)

        x = "X"
        scale = np.float32(np.sqrt(6.0 / c))
        for k in range(n_layers):
            w = base * (scale * np.float32(1.0 + k / 1024.0))
            put("conv%d.weight" % k, [c, c, 1, 1], w)
            del w
            put("bn%d.scale" % k, [c], 1.0 + vector(c, k, 0) / 4)
            put("bn%d.bias" % k, [c], vector(c, k, 1) / 10)
            put("bn%d.mean" % k, [c], vector(c, k, 2) / 10)
            put("bn%d.var" % k, [c], 1.0 + vector(c, k, 3) / 4)
            conv_out, bn_out = "conv%d" % k, "bn%d" % k
            y = "Y" if k == n_layers - 1 else "relu%d" % k
            nodes.append(helper.make_node("Conv", [x, "conv%d.weight" % k], [conv_out],
                                          name="Conv_%d" % k, kernel_shape=[1, 1]))
            nodes.append(helper.make_node(
                "BatchNormalization",
                [conv_out, "bn%d.scale" % k, "bn%d.bias" % k, "bn%d.mean" % k, "bn%d.var" % k],
                [bn_out], name="BatchNormalization_%d" % k, epsilon=1e-5))
            nodes.append(helper.make_node("Relu", [bn_out], [y], name="Relu_%d" % k))
            x = y
        f.truncate(offset)
    graph = helper.make_graph(
        nodes, "big_conv_bn",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, c, 1, 1])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, c, 1, 1])],
        inits)
    model = helper.make_model(graph, producer_name="onnxfold bench/gen_big_external.py",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    tmp_model = model_path + ".part"
    with open(tmp_model, "wb") as f:
        f.write(model.SerializeToString())
    os.replace(tmp_data, data_path)
    os.replace(tmp_model, model_path)
    t1 = time.time()

    if not a.no_check:
        m = onnx.load(model_path, load_external_data=False)
        onnx.checker.check_model(model_path)
        declared = max(int(dict((e.key, e.value) for e in t.external_data)["offset"]) +
                       int(dict((e.key, e.value) for e in t.external_data)["length"])
                       for t in m.graph.initializer)
        if os.path.getsize(data_path) < declared:
            print("gen_big_external: %s is %d bytes, the model declares %d" %
                  (data_path, os.path.getsize(data_path), declared), file=sys.stderr)
            return 1
    print("wrote %s (%d bytes, %d nodes, %d initializers) + %s (%d bytes = %.2f GiB) in %.1f s"
          % (model_path, os.path.getsize(model_path), len(nodes), len(inits), data_path,
             os.path.getsize(data_path), os.path.getsize(data_path) / 2**30, t1 - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
