#!/usr/bin/python3
"""Per-layer Conv timing: onnxfold against onnxruntime on the convolutions of a model.

Usage:
    /usr/bin/python3 bench/conv_layers.py MODEL.onnx OUTDIR [--runs R] [--threads N]
        [--run-model build/bench_run_model] [--ort-compare bench/ort_compare.js]

For every distinct convolution of MODEL (input shape, weight shape, strides,
pads, dilations, group; shapes from onnx shape inference) a one-node model
OUTDIR/conv_K.onnx is written with the weights and bias as initializers (random,
fixed seed). Each is run by bench_run_model (onnxfold) and by ort_compare.js
(onnxruntime-node, intraOpNumThreads N, graphOptimizationLevel 'disabled') on
the same input; the outputs are compared (1e-4 * max|ort|) and the minimum wall
time of R runs (default 20) of each is reported, with the count of such layers
in MODEL and the totals weighted by that count. The minimum is used because
the machine may be shared: it is the figure least disturbed by other work.

Requires python3-onnx and python3-numpy; node with onnxruntime-node for the
comparison.
"""

import argparse
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference


def conv_layers(path):
    m = onnx.load(path)
    m = shape_inference.infer_shapes(m)
    shapes = {}
    for vi in list(m.graph.value_info) + list(m.graph.input) + list(m.graph.output):
        t = vi.type.tensor_type
        if t.HasField("shape"):
            shapes[vi.name] = [d.dim_value if d.HasField("dim_value") else 1 for d in t.shape.dim]
    inits = {t.name: t for t in m.graph.initializer}
    layers = {}
    for n in m.graph.node:
        if n.op_type != "Conv":
            continue
        x = shapes.get(n.input[0])
        w = list(inits[n.input[1]].dims) if n.input[1] in inits else shapes.get(n.input[1])
        if x is None or w is None:
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        for k, v in list(attrs.items()):
            if isinstance(v, bytes):
                attrs[k] = v.decode()
            elif isinstance(v, list):
                attrs[k] = tuple(v)
        has_bias = len(n.input) > 2 and n.input[2] != ""
        key = (tuple(x), tuple(w), has_bias, tuple(sorted(attrs.items())))
        layers[key] = layers.get(key, 0) + 1
    return layers


def write_model(path, x, w, has_bias, attrs, rng):
    inits = [numpy_helper.from_array((rng.random(w) - 0.5).astype(np.float32), "W")]
    inputs = ["X", "W"]
    if has_bias:
        inits.append(numpy_helper.from_array((rng.random([w[0]]) - 0.5).astype(np.float32), "B"))
        inputs.append("B")
    node = helper.make_node("Conv", inputs, ["Y"], **dict(attrs))
    g = helper.make_graph([node], "conv", [helper.make_tensor_value_info("X", TensorProto.FLOAT, x)],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("outdir")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--run-model", default=os.path.join(here, "..", "build", "bench_run_model"))
    ap.add_argument("--ort-compare", default=os.path.join(here, "ort_compare.js"))
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    rng = np.random.default_rng(0)
    layers = conv_layers(a.model)
    print(f"{'layer':<52} {'count':>5} {'GFLOP':>7} {'onnxfold ms':>11} {'ort ms':>8} {'ratio':>6}  check")
    tot_of = tot_ort = tot_flop = 0.0
    for i, ((x, w, has_bias, attrs), count) in enumerate(sorted(layers.items(), key=lambda kv: -np.prod(kv[0][1]) * kv[0][0][2])):
        d = dict(attrs)
        path = os.path.join(a.outdir, f"conv_{i}.onnx")
        write_model(path, list(x), list(w), has_bias, attrs, rng)
        data = os.path.join(a.outdir, f"conv_{i}")
        os.makedirs(data, exist_ok=True)
        r = subprocess.run([a.run_model, path, "--threads", str(a.threads), "--runs", str(a.runs),
                            "--save", data], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"conv_{i}: onnxfold failed: {r.stderr.strip()}")
            continue
        of = float(re.search(r"min ([0-9.]+) ms", r.stdout).group(1))
        r2 = subprocess.run(["node", a.ort_compare, path, data, "--threads", str(a.threads),
                             "--runs", str(a.runs)], capture_output=True, text=True)
        m = re.search(r"min ([0-9.]+) ms", r2.stdout)
        if not m:
            print(f"conv_{i}: onnxruntime failed: {r2.stderr.strip()[:200]}")
            continue
        ort = float(m.group(1))
        ok = "OK" if r2.returncode == 0 else "DIFFERENT"
        # output spatial size from the saved output is not needed: FLOPs from geometry
        out_hw = 1
        for k, (xi, ki) in enumerate(zip(x[2:], w[2:])):
            s = d.get("strides", (1,) * 8)[k]
            p = d.get("pads", (0,) * 16)
            dl = d.get("dilations", (1,) * 8)[k]
            out_hw *= (xi + p[k] + p[k + len(x) - 2] - ((ki - 1) * dl + 1)) // s + 1
        flop = 2.0 * x[0] * w[0] * np.prod(w[1:]) * out_hw / 1e9
        desc = f"X{list(x)} W{list(w)} s{d.get('strides', (1,))[0]} g{d.get('group', 1)}"
        print(f"{desc:<52} {count:>5} {flop:>7.3f} {of:>11.2f} {ort:>8.2f} {of / ort:>6.2f}  {ok}")
        tot_of += of * count
        tot_ort += ort * count
        tot_flop += flop * count
    if tot_ort:
        print(f"{'total (weighted by count)':<52} {'':>5} {tot_flop:>7.2f} {tot_of:>11.1f} {tot_ort:>8.1f} "
              f"{tot_of / tot_ort:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
