#!/usr/bin/python3
"""Generate the torchvision-based ONNX test models for onnxfold.

What it makes
-------------
* tests/models/torch/<arch>_op<N>.onnx.gz      (fill "pattern")
  tests/models/torch/<arch>_cal_op<N>.onnx.gz  (fill "calibrated")
    The (arch, fill, opsets) list is MODELS below: resnet18, mobilenet_v2,
    efficientnet_b0, densenet121 with the pattern fill at opsets 11..17
    and calibrated at 13; resnet50, mobilenet_v3_small, shufflenet_v2_x1_0,
    regnet_y_400mf calibrated at 11, 13, 17.
    torchvision models built with weights=None, put in eval() mode, and
    exported with training=TrainingMode.PRESERVE (BatchNormalization nodes
    stay in the graph) and do_constant_folding=False.  Input "input",
    shape 1x3x224x224 with dynamic batch dim "batch"; output "output".
    Every float parameter/buffer is overwritten with a deterministic,
    low-entropy pattern so the files are reproducible and gzip well:
    - pattern (fill_patterned): ((arange % 251) - 125) / 1000; BN
      running_var 0.5 + (arange % 7) / 10.  Outputs of these models do not
      depend on the input (activations die), so they suit structural tests.
    - calibrated (fill_calibrated): a pattern in [-1, 1] scaled per layer
      like LeCun's init, BN statistics measured on a fixed random batch.
      Outputs depend on the input and on every BN parameter.
    Each tensor's pattern is scaled by (1 + k/1024), k = tensor index, so no
    two tensors are equal (otherwise the exporter dedups them into Identity
    nodes).  num_batches_tracked is untouched.
    Files are written with gzip -9 and mtime=0 (byte-reproducible).
* examples/tiny_cnn.onnx (uncompressed)
    Conv(3->8,3x3,bias) -> BN -> Relu -> Conv(8->8,3x3,groups=2,no bias)
    -> BN -> Relu -> GlobalAveragePool -> Flatten -> Gemm(8->4), opset 13,
    input "input" 1x3x32x32 with dynamic batch "batch", random weights from
    torch.manual_seed(0), randomized BN running stats / affine params.

Every model is checked with onnx.checker.check_model.  An export failure at
some opset is reported and skipped; the script exits 1 if anything failed.

How to run (from anywhere; needs Debian's python3-torch/-torchvision/-onnx):
    /usr/bin/python3 tests/models/make_torch_models.py
Options:
    --only ARCH[,ARCH...]   regenerate only these archs (tiny_cnn included
                            in the names; default: everything)
No network access is needed; no pretrained weights are downloaded.
"""

import argparse
import gzip
import io
import math
import os
import sys
import time
import warnings

import onnx
import torch
import torch.nn as nn
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
TORCH_DIR = os.path.join(HERE, "torch")
TINY_PATH = os.path.join(REPO, "examples", "tiny_cnn.onnx")

ALL_OPSETS = [11, 12, 13, 14, 15, 16, 17]
SOME_OPSETS = [11, 13, 17]
# (arch, fill, opsets).  File: torch/<arch>_op<N>.onnx.gz for fill "pattern",
# torch/<arch>_cal_op<N>.onnx.gz for fill "calibrated" (see fill_calibrated).
# The pattern files (28, ~8.4 MB gzipped) are what the round-trip tests were
# built on; their outputs do not depend on the input (every activation dies
# on the way), so numerical tests want the calibrated ones (16, ~6.5 MB).
MODELS = [
    ("resnet18", "pattern", ALL_OPSETS),
    ("mobilenet_v2", "pattern", ALL_OPSETS),
    ("efficientnet_b0", "pattern", ALL_OPSETS),
    ("densenet121", "pattern", ALL_OPSETS),
    ("resnet50", "calibrated", SOME_OPSETS),
    ("mobilenet_v3_small", "calibrated", SOME_OPSETS),
    ("shufflenet_v2_x1_0", "calibrated", SOME_OPSETS),
    ("regnet_y_400mf", "calibrated", SOME_OPSETS),
    ("resnet18", "calibrated", [13]),
    ("mobilenet_v2", "calibrated", [13]),
    ("efficientnet_b0", "calibrated", [13]),
    ("densenet121", "calibrated", [13]),
]
ARCHS = sorted({arch for arch, _, _ in MODELS})
NORM_TYPES = (nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm)


def pattern_(t, k, is_running_var=False):
    """Overwrite t with a deterministic low-entropy pattern.

    k is the tensor's index in the model; the pattern is scaled by
    (1 + k/1024) so that no two tensors hold identical values.  (With
    identical values torch.onnx deduplicates the initializers and inserts
    Identity nodes, which would hide e.g. BN parameters behind Identity.)
    """
    n = t.numel()
    idx = torch.arange(n, dtype=torch.int64)
    if is_running_var:
        vals = 0.5 + (idx % 7).to(torch.float64) / 10.0
    else:
        vals = ((idx % 251) - 125).to(torch.float64) / 1000.0
    vals = vals * (1.0 + k / 1024.0)
    with torch.no_grad():
        t.copy_(vals.reshape(t.shape).to(t.dtype))


def fill_patterned(model):
    k = 0
    for name, p in model.named_parameters():
        if p.dtype.is_floating_point:
            pattern_(p.data, k)
            k += 1
    for name, b in model.named_buffers():
        if not b.dtype.is_floating_point:
            continue  # num_batches_tracked etc. stay as they are
        pattern_(b, k, is_running_var=name.endswith("running_var"))
        k += 1
    # sanity: nothing all-zero / NaN
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        if t.dtype.is_floating_point:
            assert torch.isfinite(t).all(), name
            if t.numel() > 1:
                assert (t != 0).any(), name
            if name.endswith("running_var"):
                assert (t > 0).all(), name


def unit_pattern(n, k):
    """n values ((37 i + 13 floor(i / 251) + 11 k) mod 251 - 125) / 125:
    in [-1, 1], mean ~0, phase set by the tensor index k.  Each block of 251
    values is a rotation of the one before (so it gzips well), and the
    sequence only repeats after 251 * 251 values, so the rows of a weight
    matrix (output channels) differ even past 251 of them."""
    idx = torch.arange(n, dtype=torch.int64)
    return (((idx * 37 + 13 * (idx // 251) + 11 * k) % 251) - 125).to(torch.float64) / 125.0


def fill_scaled(model):
    """Overwrite every float parameter and buffer with unit_pattern, scaled
    by its role: weights of rank >= 2 like LeCun's uniform init
    (u * sqrt(3 / fan_in), fan_in = elements per output channel);
    normalization scales 1 + u/4; other rank-1 parameters (biases, shifts)
    u/10; BN running_mean u/10 and running_var 3/4 + u/4.  As in pattern_,
    tensor k is also scaled by (1 + k/1024) so no two tensors are equal."""
    k = 0
    with torch.no_grad():
        for mod in model.modules():
            tensors = list(mod.named_parameters(recurse=False))
            tensors += list(mod.named_buffers(recurse=False))
            for name, t in tensors:
                if not t.dtype.is_floating_point:
                    continue  # num_batches_tracked
                u = unit_pattern(t.numel(), k) * (1.0 + k / 1024.0)
                if name == "running_var":
                    v = 0.75 + 0.25 * u
                elif name == "running_mean":
                    v = 0.1 * u
                elif isinstance(mod, NORM_TYPES) and name == "weight":
                    v = 1.0 + 0.25 * u
                elif t.dim() >= 2:
                    v = u * math.sqrt(3.0 / t[0].numel())
                else:
                    v = 0.1 * u
                t.copy_(v.reshape(t.shape).to(t.dtype))
                k += 1


def calibrate_bn(model, x):
    """Set every BatchNorm's running_mean/running_var to the statistics of
    the batch x, as a training pass with momentum=None would: computed in
    float64 on one thread, then rounded to bfloat16 precision (8 significant
    bits) so that last-bit differences between machines' math libraries do
    not change the stored bytes.  Leaves the model in eval mode."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    model.double().train()
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average: exactly this batch's stats
    with torch.no_grad():
        model(x.double())
        for bn in bns:
            bn.momentum = 0.1
            for t in (bn.running_mean, bn.running_var):
                t.copy_(t.to(torch.bfloat16).to(torch.float64))
    model.float().eval()
    torch.set_num_threads(threads)


def fill_calibrated(model, x):
    """fill_scaled, then calibrate_bn on x: activations keep unit scale
    through the network, so outputs depend on the input (unlike
    fill_patterned's) and stay of order 1-10."""
    fill_scaled(model)
    calibrate_bn(model, x)
    for name, t in list(model.named_parameters()) + list(model.named_buffers()):
        if t.dtype.is_floating_point:
            assert torch.isfinite(t).all(), name
            if name.endswith("running_var"):
                assert (t > 0).all(), name


def export_bytes(model, x, opset, input_names, output_names, dynamic_axes=None,
                 **export_kw):
    """Export model (eval mode, BN preserved, no constant folding); check it.

    dynamic_axes defaults to a "batch" dim 0 on the first input and output;
    export_kw goes to torch.onnx.export (e.g. keep_initializers_as_inputs).
    Returns (bytes, ModelProto, number of top-level BatchNormalization nodes).
    """
    if dynamic_axes is None:
        dynamic_axes = {input_names[0]: {0: "batch"}, output_names[0]: {0: "batch"}}
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, x, buf,
            export_params=True,
            opset_version=opset,
            training=torch.onnx.TrainingMode.PRESERVE,
            do_constant_folding=False,
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            **export_kw,
        )
    data = buf.getvalue()
    m = onnx.load_from_string(data)
    onnx.checker.check_model(m)
    n_bn = sum(1 for n in m.graph.node if n.op_type == "BatchNormalization")
    return data, m, n_bn


def write_gz(path, data):
    """Write data to path with gzip -9, empty name and mtime 0 (reproducible)."""
    with open(path, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f,
                           compresslevel=9, mtime=0) as gz:
            gz.write(data)


def build_arch(arch, fill):
    torch.manual_seed(0)
    ctor = getattr(torchvision.models, arch)
    model = ctor(weights=None)
    if fill == "pattern":
        fill_patterned(model)
    else:
        gen = torch.Generator().manual_seed(0)
        fill_calibrated(model, torch.randn(2, 3, 224, 224, generator=gen))
    model.eval()
    return model


def make_torch_models(archs, failures):
    os.makedirs(TORCH_DIR, exist_ok=True)
    x = torch.zeros(1, 3, 224, 224)
    for arch, fill, opsets in MODELS:
        if arch not in archs:
            continue
        model = build_arch(arch, fill)
        for opset in opsets:
            stem = arch if fill == "pattern" else arch + "_cal"
            out = os.path.join(TORCH_DIR, "%s_op%d.onnx.gz" % (stem, opset))
            t0 = time.time()
            try:
                data, m, n_bn = export_bytes(model, x, opset, ["input"], ["output"])
                if n_bn == 0:
                    raise RuntimeError("no BatchNormalization nodes in export")
                n_id = sum(1 for n in m.graph.node if n.op_type == "Identity")
                if n_id:
                    raise RuntimeError("%d Identity nodes (deduplicated "
                                       "initializers?)" % n_id)
            except Exception as e:  # record and continue
                msg = "%s opset %d: %s: %s" % (stem, opset, type(e).__name__,
                                              str(e).splitlines()[0] if str(e) else "")
                failures.append(msg)
                print("FAIL", msg, flush=True)
                continue
            write_gz(out, data)
            print("wrote %s (%d nodes, %d BN, %d -> %d bytes, %.1fs)" % (
                os.path.relpath(out, REPO), len(m.graph.node), n_bn, len(data),
                os.path.getsize(out), time.time() - t0), flush=True)


class TinyCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, bias=True)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 8, 3, groups=2, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.relu2 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)  # -> GlobalAveragePool
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(8, 4)            # -> Gemm

    def forward(self, x):
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        return self.fc(self.flatten(self.pool(x)))


def make_tiny(failures):
    torch.manual_seed(0)
    model = TinyCNN()
    with torch.no_grad():
        for bn in (model.bn1, model.bn2):
            bn.weight.copy_(torch.rand(8) + 0.5)
            bn.bias.copy_(torch.randn(8) * 0.1)
            bn.running_mean.copy_(torch.randn(8) * 0.1)
            bn.running_var.copy_(torch.rand(8) + 0.5)
    model.eval()
    x = torch.randn(1, 3, 32, 32)
    try:
        data, m, n_bn = export_bytes(model, x, 13, ["input"], ["output"])
        ops = [n.op_type for n in m.graph.node]
        want = ["Conv", "BatchNormalization", "Relu", "Conv",
                "BatchNormalization", "Relu", "GlobalAveragePool", "Flatten",
                "Gemm"]
        if ops != want:
            raise RuntimeError("unexpected op sequence %s" % ops)
    except Exception as e:
        failures.append("tiny_cnn: %s: %s" % (type(e).__name__, e))
        print("FAIL", failures[-1], flush=True)
        return
    os.makedirs(os.path.dirname(TINY_PATH), exist_ok=True)
    with open(TINY_PATH, "wb") as f:
        f.write(data)
    print("wrote %s (%d bytes)" % (os.path.relpath(TINY_PATH, REPO), len(data)),
          flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="",
                    help="comma-separated subset of: %s,tiny_cnn" % ",".join(ARCHS))
    args = ap.parse_args()
    only = [s for s in args.only.split(",") if s]
    for s in only:
        if s not in ARCHS and s != "tiny_cnn":
            ap.error("unknown model %r" % s)
    t0 = time.time()
    failures = []
    if not only or "tiny_cnn" in only:
        make_tiny(failures)
    make_torch_models([a for a in ARCHS if not only or a in only], failures)
    total = sum(os.path.getsize(os.path.join(TORCH_DIR, f))
                for f in os.listdir(TORCH_DIR)) if os.path.isdir(TORCH_DIR) else 0
    print("tests/models/torch total: %.2f MB" % (total / 1e6))
    print("elapsed: %.1fs" % (time.time() - t0))
    if failures:
        print("%d export failure(s):" % len(failures))
        for f in failures:
            print("  " + f)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
