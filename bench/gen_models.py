#!/usr/bin/python3
"""Generate the benchmark models for onnxfold.

Usage:
    /usr/bin/python3 bench/gen_models.py OUTDIR [--only NAME ...] [--no-check]

NAME is one of: resnet50, big_external, chain_10k, chain_100k,
chain_relu_add_100k (default: all).

Creates, in OUTDIR (skipping every model that already exists and is complete):

  resnet50.onnx
      torchvision resnet50 (weights=None -> random init, fixed seed), eval
      mode, with random BatchNorm parameters (so the exporter's Conv+BN
      folding yields distinct biases), exported with torch.onnx.export at
      opset 13 for a 1x3x224x224 input.  All 108 initializers are inline;
      the file is ~100 MB.

  big_external/model.onnx + big_external/weights.bin
      A model whose weights live in ONNX external data: 5 float32
      initializers of shape [11520, 10240] (450 MiB each, 2250 MiB in total,
      i.e. > 2 GiB) stored back to back in weights.bin (offsets are multiples
      of 4096).  Each TensorProto has data_location=EXTERNAL and external_data
      entries location/offset/length.  The graph is
          X[1,10240] -> Add W0 -> Mul W1 -> Add W2 -> Mul W3 -> Add W4
                     -> Mul s (a 1-element inline initializer) -> Y
      weights.bin is written chunk by chunk (16 MiB at a time) with patterned
      data ((i + 7*k) % 1000) * 0.001, so memory stays small; the ModelProto
      is built with onnx.helper and manual external_data entries (onnx.save's
      external-data conversion is not used).

  chain_10k.onnx, chain_100k.onnx
      A straight chain of 10,000 / 100,000 nodes on an [8, 8] float tensor
      cycling through Add, Mul, Relu, Transpose(perm), Gemm(alpha, beta,
      transB), LeakyRelu(alpha), Mul, Softmax(axis).  Add/Mul/Gemm nodes each
      get their own small initializer (32-256 bytes, i.e. below onnxfold's
      default 1024-byte external threshold); the others carry attributes
      (Relu carries neither).  Used to check that load+save time scales
      linearly with graph size.

  chain_relu_add_100k.onnx
      A chain of 100,000 nodes on a [4] float tensor alternating Add (even
      nodes, each with its own 4-float initializer) and Relu (odd nodes);
      ~5 MiB.  Used to measure peak memory per node: the file is almost all
      graph structure, so peak RSS / 100,000 is what a node costs.

Every file is written to a temporary name and renamed into place, so an
interrupted run never leaves a half-written model that a later run would skip.

Validation (unless --no-check): onnx.checker.check_model on the in-memory
model for resnet50 and the chains; for big_external the model is re-read with
onnx.load(..., load_external_data=False), checked with onnx.checker by path
(which also checks that the external-data locations exist) and the size of
weights.bin is compared with the sum of the declared lengths.

Requires: python3-onnx, python3-numpy, python3-torch, python3-torchvision
(Debian packages; no network access needed, no weights are downloaded).
"""

import argparse
import os
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13

# ---------------------------------------------------------------- helpers


def log(msg):
    print(msg, flush=True)


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return "%.1f %s" % (n, unit) if unit != "B" else "%d B" % n
        n /= 1024.0
    return str(n)


def save_atomic(model, path):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(model.SerializeToString())
    os.replace(tmp, path)


# ---------------------------------------------------------------- resnet50


def gen_resnet50(outdir, check):
    path = os.path.join(outdir, "resnet50.onnx")
    if os.path.exists(path):
        log("resnet50: exists, skipping (%s)" % path)
        return
    import torch
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None).eval()
    # Default BatchNorm init (weight 1, bias 0, mean 0, var 1) makes every
    # folded Conv bias zero, and the exporter then dedups them into Identity
    # nodes; random BN parameters give distinct tensors like a trained model.
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.normal_(0.0, 0.1)
                mod.running_mean.normal_(0.0, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
    x = torch.randn(1, 3, 224, 224)
    tmp = path + ".tmp"
    with torch.no_grad():
        torch.onnx.export(model, x, tmp, opset_version=OPSET,
                          input_names=["input"], output_names=["output"],
                          do_constant_folding=True)
    if check:
        onnx.checker.check_model(onnx.load(tmp))
    os.replace(tmp, path)
    log("resnet50: wrote %s (%s)" % (path, human(os.path.getsize(path))))


# ---------------------------------------------------------------- big_external

BIG_SHAPE = (11520, 10240)          # 117,964,800 floats = 450 MiB
BIG_COUNT = 5
BIG_CHUNK_ELEMS = 4 * 1024 * 1024   # 16 MiB of float32 per write
BIG_ALIGN = 4096


def big_external_layout():
    """Return [(name, offset, length)] for the external tensors."""
    nbytes = int(np.prod(BIG_SHAPE)) * 4
    out, off = [], 0
    for k in range(BIG_COUNT):
        out.append(("W%d" % k, off, nbytes))
        off += nbytes
        off = (off + BIG_ALIGN - 1) // BIG_ALIGN * BIG_ALIGN
    return out


def big_external_complete(d):
    model = os.path.join(d, "model.onnx")
    weights = os.path.join(d, "weights.bin")
    if not (os.path.exists(model) and os.path.exists(weights)):
        return False
    name, off, length = big_external_layout()[-1]
    return os.path.getsize(weights) == off + length


def write_big_weights(path):
    layout = big_external_layout()
    total = layout[-1][1] + layout[-1][2]
    tmp = path + ".tmp"
    n = int(np.prod(BIG_SHAPE))
    t0 = time.time()
    with open(tmp, "wb") as f:
        for k, (name, off, length) in enumerate(layout):
            if f.tell() < off:
                f.write(b"\0" * (off - f.tell()))
            assert f.tell() == off
            for start in range(0, n, BIG_CHUNK_ELEMS):
                stop = min(n, start + BIG_CHUNK_ELEMS)
                idx = np.arange(start, stop, dtype=np.int64)
                chunk = ((idx + 7 * k) % 1000).astype(np.float32)
                chunk *= np.float32(0.001)
                f.write(chunk.astype("<f4", copy=False).tobytes())
            log("  big_external: %s written (%s)" % (name, human(length)))
        assert f.tell() == total
    os.replace(tmp, path)
    log("  big_external: weights.bin %s in %.1f s" % (human(total), time.time() - t0))


def build_big_model():
    layout = big_external_layout()
    inits = []
    for name, off, length in layout:
        t = TensorProto()
        t.name = name
        t.data_type = TensorProto.FLOAT
        t.dims.extend(BIG_SHAPE)
        t.data_location = TensorProto.EXTERNAL
        for key, val in (("location", "weights.bin"),
                         ("offset", str(off)),
                         ("length", str(length))):
            e = t.external_data.add()
            e.key = key
            e.value = val
        inits.append(t)
    # A tiny inline initializer so the model mixes inline and external data.
    inits.append(numpy_helper.from_array(np.array([0.5], dtype=np.float32), "s"))

    nodes, prev = [], "X"
    for k, (name, _, _) in enumerate(layout):
        op = "Add" if k % 2 == 0 else "Mul"
        out = "t%d" % k
        nodes.append(helper.make_node(op, [prev, name], [out], name="n%d" % k))
        prev = out
    nodes.append(helper.make_node("Mul", [prev, "s"], ["Y"], name="scale"))

    graph = helper.make_graph(
        nodes, "big_external",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, BIG_SHAPE[1]])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, list(BIG_SHAPE))],
        initializer=inits)
    model = helper.make_model(graph, producer_name="onnxfold-bench",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    return model


def gen_big_external(outdir, check):
    d = os.path.join(outdir, "big_external")
    if big_external_complete(d):
        log("big_external: exists, skipping (%s)" % d)
        return
    os.makedirs(d, exist_ok=True)
    model_path = os.path.join(d, "model.onnx")
    weights_path = os.path.join(d, "weights.bin")
    # model.onnx is written last: its presence + a full-size weights.bin
    # means the pair is complete.
    if os.path.exists(model_path):
        os.remove(model_path)
    write_big_weights(weights_path)
    model = build_big_model()
    tmp = model_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(model.SerializeToString())
    if check:
        check_big_external(tmp)
    os.replace(tmp, model_path)
    log("big_external: wrote %s (%s) + weights.bin (%s)" % (
        model_path, human(os.path.getsize(model_path)),
        human(os.path.getsize(weights_path))))


def check_big_external(model_path):
    d = os.path.dirname(model_path)
    m = onnx.load(model_path, load_external_data=False)
    # By path (the proto itself is tiny, its data is external): the checker
    # also verifies that each external location exists next to the model.
    onnx.checker.check_model(model_path)
    wsize = os.path.getsize(os.path.join(d, "weights.bin"))
    ext = 0
    for t in m.graph.initializer:
        if t.data_location != TensorProto.EXTERNAL:
            continue
        kv = {e.key: e.value for e in t.external_data}
        off, length = int(kv["offset"]), int(kv["length"])
        assert length == int(np.prod(t.dims)) * 4, t.name
        assert off + length <= wsize, t.name
        ext += length
    assert ext == BIG_COUNT * int(np.prod(BIG_SHAPE)) * 4
    assert ext > 2 * 1024 ** 3
    log("  big_external: check ok (%d external tensors, %s external data)" % (
        BIG_COUNT, human(ext)))


# ---------------------------------------------------------------- chains

CHAIN_DIM = 8
CHAIN_CYCLE = ["Add", "Mul", "Relu", "Transpose", "Gemm", "LeakyRelu",
               "Mul", "Softmax"]


def build_chain(n_nodes, seed=0):
    rng = np.random.default_rng(seed)
    D = CHAIN_DIM
    nodes, inits = [], []
    prev = "X"
    for i in range(n_nodes):
        op = CHAIN_CYCLE[i % len(CHAIN_CYCLE)]
        out = "Y" if i == n_nodes - 1 else "v%d" % i
        nm = "%s_%d" % (op.lower(), i)
        if op in ("Add", "Mul"):
            if op == "Add":
                w = rng.standard_normal(D).astype(np.float32) * 0.1
            else:
                w = (1.0 + rng.standard_normal(D) * 0.01).astype(np.float32)
            wn = "w%d" % i
            inits.append(numpy_helper.from_array(w, wn))
            nodes.append(helper.make_node(op, [prev, wn], [out], name=nm))
        elif op == "Relu":
            nodes.append(helper.make_node("Relu", [prev], [out], name=nm))
        elif op == "Transpose":
            nodes.append(helper.make_node("Transpose", [prev], [out], name=nm,
                                          perm=[1, 0]))
        elif op == "Gemm":
            b = (np.eye(D) + rng.standard_normal((D, D)) * 0.01).astype(np.float32)
            c = (rng.standard_normal(D) * 0.01).astype(np.float32)
            bn, cn = "B%d" % i, "C%d" % i
            inits.append(numpy_helper.from_array(b, bn))
            inits.append(numpy_helper.from_array(c, cn))
            nodes.append(helper.make_node("Gemm", [prev, bn, cn], [out], name=nm,
                                          alpha=0.5 + (i % 7) * 0.25,
                                          beta=1.0, transB=(i // 8) % 2))
        elif op == "LeakyRelu":
            nodes.append(helper.make_node("LeakyRelu", [prev], [out], name=nm,
                                          alpha=0.01 * (1 + i % 5)))
        elif op == "Softmax":
            nodes.append(helper.make_node("Softmax", [prev], [out], name=nm,
                                          axis=(i // 8) % 2))
        else:
            raise AssertionError(op)
        prev = out
    graph = helper.make_graph(
        nodes, "chain_%d" % n_nodes,
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [D, D])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [D, D])],
        initializer=inits)
    return helper.make_model(graph, producer_name="onnxfold-bench",
                             opset_imports=[helper.make_opsetid("", OPSET)])


RELU_ADD_DIM = 4


def build_relu_add_chain(n_nodes, seed=0):
    rng = np.random.default_rng(seed)
    D = RELU_ADD_DIM
    nodes, inits = [], []
    prev = "X"
    for i in range(n_nodes):
        out = "Y" if i == n_nodes - 1 else "v%d" % i
        if i % 2 == 0:
            wn = "w%d" % i
            w = (rng.standard_normal(D) * 0.1).astype(np.float32)
            inits.append(numpy_helper.from_array(w, wn))
            nodes.append(helper.make_node("Add", [prev, wn], [out], name="add_%d" % i))
        else:
            nodes.append(helper.make_node("Relu", [prev], [out], name="relu_%d" % i))
        prev = out
    graph = helper.make_graph(
        nodes, "chain_relu_add_%d" % n_nodes,
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [D])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [D])],
        initializer=inits)
    return helper.make_model(graph, producer_name="onnxfold-bench",
                             opset_imports=[helper.make_opsetid("", OPSET)])


def gen_chain(outdir, n_nodes, label, check, build=build_chain):
    path = os.path.join(outdir, "%s.onnx" % label)
    if os.path.exists(path):
        log("%s: exists, skipping (%s)" % (label, path))
        return
    t0 = time.time()
    model = build(n_nodes)
    if check:
        onnx.checker.check_model(model)
    save_atomic(model, path)
    log("%s: wrote %s (%s, %d nodes, %d initializers) in %.1f s" % (
        label, path, human(os.path.getsize(path)), len(model.graph.node),
        len(model.graph.initializer), time.time() - t0))


# ---------------------------------------------------------------- main

ALL = ["resnet50", "big_external", "chain_10k", "chain_100k",
       "chain_relu_add_100k"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--only", nargs="+", choices=ALL, default=ALL)
    ap.add_argument("--no-check", action="store_true",
                    help="skip onnx.checker validation")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    check = not args.no_check
    for name in args.only:
        t0 = time.time()
        if name == "resnet50":
            gen_resnet50(args.outdir, check)
        elif name == "big_external":
            gen_big_external(args.outdir, check)
        elif name == "chain_10k":
            gen_chain(args.outdir, 10_000, name, check)
        elif name == "chain_100k":
            gen_chain(args.outdir, 100_000, name, check)
        elif name == "chain_relu_add_100k":
            gen_chain(args.outdir, 100_000, name, check, build_relu_add_chain)
        log("  (%s: %.1f s)" % (name, time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
