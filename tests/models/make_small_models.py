#!/usr/bin/python3
"""Generate the small hand-built ONNX test models for onnxfold.

Same conventions as make_torch_models.py (whose helpers it uses): eval mode,
training=TrainingMode.PRESERVE, do_constant_folding=False, deterministic
weights (fill_scaled(), and for models with BatchNormalization
fill_calibrated(): the scaled pattern with BN statistics measured on a fixed
random batch, so that outputs depend on the input and on every parameter),
onnx.checker.check_model, gzip -9 with mtime 0 (byte-reproducible).
Outputs, in tests/models/small/:

* transformer_block_op{13,17}.onnx.gz
    nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128,
    batch_first=True) in eval mode (no Dropout nodes).  Input "input"
    [batch, seq, 64], output "output" [batch, seq, 64]; batch and seq are
    dim_params.  Opset 17 has LayerNormalization, opset 13 spells it out
    (ReduceMean, Sub, Pow, Sqrt, Div, Mul, Add).
* loop_if_op{13,17}.onnx.gz
    torch.jit.script of LoopIf below: a Loop whose trip count is the int64
    scalar input "count" (h = relu(Linear(h)); acc += h * (i + 1)), then an
    If on x.sum() > 0.  Input "input" [batch, 8] float and "count" int64 [];
    output "output".  The Loop body uses the Linear weights from the outer
    graph.  The script fails unless both an If and a Loop node are exported.
* shared_weight_conv_op13.onnx.gz
    Conv(3->8) -> BN -> Relu -> Conv_a(W) -> BN -> Relu -> Conv_b(W) -> Add
    (with Conv_a's Relu output) -> output: Conv_a and Conv_b use the same
    weight initializer W (only Conv_a is followed by a BatchNormalization, so
    fusing it must not rescale W in place).  Input "input" [batch, 3, 16, 16].
    The script fails unless one initializer feeds two Conv nodes.
* tiny_cnn_init_inputs_op13.onnx.gz
    make_torch_models.TinyCNN (Conv, BN, Relu, Conv(group 2), BN, Relu,
    GlobalAveragePool, Flatten, Gemm) with calibrated weights, exported with
    keep_initializers_as_inputs=True, so every initializer is also a graph
    input (overridable).  Input "input" [batch, 3, 32, 32].

Run: /usr/bin/python3 tests/models/make_small_models.py [--only NAME[,NAME]]
(NAME: transformer_block, loop_if, shared_weight_conv, tiny_cnn_init_inputs).
Takes a few seconds; exits 1 if any export or check failed.
"""

import argparse
import os
import sys
import time
from collections import Counter

import onnx
import torch
import torch.nn as nn

from make_torch_models import (REPO, TinyCNN, export_bytes, fill_calibrated,
                               fill_scaled, write_gz)

HERE = os.path.dirname(os.path.abspath(__file__))
SMALL_DIR = os.path.join(HERE, "small")


def op_counts(graph):
    """Node counts by op type, subgraphs (If/Loop/Scan bodies) included."""
    c = Counter()
    for n in graph.node:
        c[n.op_type] += 1
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                c.update(op_counts(a.g))
            for g in a.graphs:
                c.update(op_counts(g))
    return c


def no_top_identity(m):
    n_id = sum(1 for n in m.graph.node if n.op_type == "Identity")
    if n_id:
        raise RuntimeError("%d Identity nodes (deduplicated initializers?)" % n_id)


class LoopIf(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(8, 8)

    def forward(self, x, count):
        acc = torch.zeros_like(x)
        h = x
        for i in range(int(count)):
            h = torch.relu(self.lin(h))
            acc = acc + h * float(i + 1)
        if bool(x.sum() > 0):
            out = acc * 2.0 + x
        else:
            out = acc - x
        return out


class SharedWeightConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn0 = nn.BatchNorm2d(8)
        self.conv_a = nn.Conv2d(8, 8, 3, padding=1, bias=True)
        self.bn_a = nn.BatchNorm2d(8)
        self.conv_b = nn.Conv2d(8, 8, 3, padding=1, bias=True)
        self.conv_b.weight = self.conv_a.weight  # one tensor, two Convs

    def forward(self, x):
        x = torch.relu(self.bn0(self.stem(x)))
        a = torch.relu(self.bn_a(self.conv_a(x)))
        return self.conv_b(a) + a


def make_transformer_block():
    torch.manual_seed(0)
    model = nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128,
                                       batch_first=True)
    fill_scaled(model)
    model.eval()
    x = torch.zeros(2, 5, 64)
    axes = {"input": {0: "batch", 1: "seq"}, "output": {0: "batch", 1: "seq"}}
    for opset in (13, 17):
        data, m, _ = export_bytes(model, x, opset, ["input"], ["output"], axes)
        no_top_identity(m)
        if "Dropout" in op_counts(m.graph):
            raise RuntimeError("Dropout in an eval-mode export")
        yield "transformer_block_op%d" % opset, data, m


def make_loop_if():
    torch.manual_seed(0)
    model = LoopIf()
    fill_scaled(model)
    model.eval()
    scripted = torch.jit.script(model)
    x = torch.zeros(2, 8)
    count = torch.tensor(3, dtype=torch.int64)
    for opset in (13, 17):
        data, m, _ = export_bytes(scripted, (x, count), opset, ["input", "count"],
                                  ["output"])
        ops = op_counts(m.graph)
        if not ops["If"] or not ops["Loop"]:
            raise RuntimeError("export has %d If and %d Loop nodes, wanted both"
                               % (ops["If"], ops["Loop"]))
        yield "loop_if_op%d" % opset, data, m


def make_shared_weight_conv():
    torch.manual_seed(0)
    model = SharedWeightConv()
    fill_calibrated(model, torch.randn(4, 3, 16, 16, generator=torch.Generator().manual_seed(0)))
    model.eval()
    data, m, n_bn = export_bytes(model, torch.zeros(1, 3, 16, 16), 13, ["input"],
                                 ["output"])
    no_top_identity(m)
    inits = {t.name for t in m.graph.initializer}
    uses = Counter(n.input[1] for n in m.graph.node
                   if n.op_type == "Conv" and n.input[1] in inits)
    if n_bn != 2 or max(uses.values()) != 2:
        raise RuntimeError("wanted 2 BN and one weight used by 2 Convs, got %d BN, "
                           "uses %s" % (n_bn, dict(uses)))
    yield "shared_weight_conv_op13", data, m


def make_tiny_cnn_init_inputs():
    torch.manual_seed(0)
    model = TinyCNN()
    fill_calibrated(model, torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(0)))
    model.eval()
    data, m, _ = export_bytes(model, torch.zeros(1, 3, 32, 32), 13, ["input"],
                              ["output"], keep_initializers_as_inputs=True)
    no_top_identity(m)
    inputs = {i.name for i in m.graph.input}
    missing = [t.name for t in m.graph.initializer if t.name not in inputs]
    if missing or not m.graph.initializer:
        raise RuntimeError("initializers not listed as inputs: %s" % missing)
    yield "tiny_cnn_init_inputs_op13", data, m


MAKERS = {
    "transformer_block": make_transformer_block,
    "loop_if": make_loop_if,
    "shared_weight_conv": make_shared_weight_conv,
    "tiny_cnn_init_inputs": make_tiny_cnn_init_inputs,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="",
                    help="comma-separated subset of: %s" % ",".join(MAKERS))
    args = ap.parse_args()
    only = [s for s in args.only.split(",") if s]
    for s in only:
        if s not in MAKERS:
            ap.error("unknown model %r" % s)
    os.makedirs(SMALL_DIR, exist_ok=True)
    failures = []
    for name, maker in MAKERS.items():
        if only and name not in only:
            continue
        try:
            for stem, data, m in maker():
                out = os.path.join(SMALL_DIR, stem + ".onnx.gz")
                write_gz(out, data)
                ops = op_counts(m.graph)
                print("wrote %s (%d nodes, %d with subgraphs, %d BN, %d -> %d bytes)" % (
                    os.path.relpath(out, REPO), len(m.graph.node), sum(ops.values()),
                    ops["BatchNormalization"], len(data), os.path.getsize(out)),
                    flush=True)
        except Exception as e:  # record and continue
            msg = "%s: %s: %s" % (name, type(e).__name__,
                                  str(e).splitlines()[0] if str(e) else "")
            failures.append(msg)
            print("FAIL", msg, flush=True)
    if failures:
        print("%d failure(s):" % len(failures))
        for f in failures:
            print("  " + f)
        return 1
    return 0


if __name__ == "__main__":
    t0 = time.time()
    rc = main()
    print("elapsed: %.1fs" % (time.time() - t0))
    sys.exit(rc)
