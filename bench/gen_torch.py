#!/usr/bin/python3
"""Export a large torchvision model for benchmarks (not committed: ~500 MB).

Usage:
    /usr/bin/python3 bench/gen_torch.py OUTDIR [--arch vgg11_bn] [--opset 13]
                                        [--fill calibrated|pattern] [--force]

Writes OUTDIR/<arch>_op<N>.onnx (default vgg11_bn at opset 13: 133 M
parameters, ~507 MiB, 36 nodes of which 8 BatchNormalization), exported
exactly as tests/models/make_torch_models.py exports the committed test models
(whose helpers it uses): weights=None, eval mode,
training=TrainingMode.PRESERVE so BatchNormalization stays,
do_constant_folding=False, input "input" batch x 3 x 224 x 224 with a dynamic
"batch" dim, output "output", checked with onnx.checker.check_model.

--fill calibrated (default) is fill_calibrated(): the deterministic weight
pattern scaled per layer, with BatchNorm statistics measured on a fixed batch
of two random images (float64; 35-60 s for vgg11_bn on one core), so
outputs depend on the input. --fill pattern is the original fill_patterned(),
instant, but its outputs do not depend on the input.

An existing output is kept unless --force. The file is written to a temporary
name and renamed into place. Needs python3-torch, python3-torchvision,
python3-onnx (Debian); nothing is downloaded. Peak memory is about 3 GB.
Exit status 0, 1 if the export or check failed, 2 on bad arguments.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "models"))

import make_torch_models as mtm  # noqa: E402  (after the path is set)
import torch  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--arch", default="vgg11_bn", help="a torchvision.models constructor")
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--fill", choices=["calibrated", "pattern"], default="calibrated")
    ap.add_argument("--force", action="store_true", help="overwrite an existing file")
    args = ap.parse_args()
    if not callable(getattr(mtm.torchvision.models, args.arch, None)):
        ap.error("unknown torchvision model %r" % args.arch)
    os.makedirs(args.outdir, exist_ok=True)
    out = os.path.join(args.outdir, "%s_op%d.onnx" % (args.arch, args.opset))
    if os.path.exists(out) and not args.force:
        print("%s exists (use --force to rewrite it)" % out)
        return 0
    t0 = time.time()
    try:
        model = mtm.build_arch(args.arch, args.fill)
        t1 = time.time()
        data, m, n_bn = mtm.export_bytes(model, torch.zeros(1, 3, 224, 224), args.opset,
                                         ["input"], ["output"])
    except Exception as e:  # report, exit 1
        print("FAIL %s opset %d: %s: %s" % (args.arch, args.opset, type(e).__name__,
                                            str(e).splitlines()[0] if str(e) else ""))
        return 1
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, out)
    print("wrote %s (%d nodes, %d BatchNormalization, %d bytes; fill %.1fs, export %.1fs)" % (
        out, len(m.graph.node), n_bn, len(data), t1 - t0, time.time() - t1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
