#!/usr/bin/python3
"""Time onnxruntime on every committed test model; print a Markdown table.

Usage: /usr/bin/python3 tests/interop/ort_times.py [WORKDIR] [--repeat N]
                                                   [--opt LEVEL] [--threads N]

For each tests/models/torch/*.onnx.gz, tests/models/small/*.onnx.gz and
examples/tiny_cnn.onnx: gen_inputs.py (seed 0; batch 1, seq 16), then
ort_run.js --time (defaults: --opt disabled --threads 1 --repeat 3). Columns:
session creation time, median run time (ms of wall time), and the largest
|output| with the number of distinct output values (a check that the
patterned weights do not make the outputs degenerate). Needs node and the
repository's node_modules (scripts/deps.sh test). WORKDIR defaults to a
temporary folder that is removed afterwards. Exits 1 if any model fails.
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))


def models():
    out = sorted(glob.glob(os.path.join(REPO, "tests/models/torch/*.onnx.gz")))
    out += sorted(glob.glob(os.path.join(REPO, "tests/models/small/*.onnx.gz")))
    return out + [os.path.join(REPO, "examples/tiny_cnn.onnx")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("workdir", nargs="?")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--opt", default="disabled")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    work = args.workdir or tempfile.mkdtemp(prefix="ort_times.")
    node = os.environ.get("NODE", "node")
    print("| model | create (ms) | run (ms) | max abs output | distinct values |")
    print("|---|---:|---:|---:|---:|")
    failed = 0
    for path in models():
        name = os.path.basename(path).replace(".onnx.gz", "").replace(".onnx", "")
        d_in, d_out = os.path.join(work, name, "in"), os.path.join(work, name, "out")
        try:
            subprocess.run([sys.executable, os.path.join(HERE, "gen_inputs.py"), path, d_in,
                            "--dim", "batch=1", "--dim", "seq=16"],
                           check=True, stdout=subprocess.DEVNULL)
            r = subprocess.run([node, os.path.join(HERE, "ort_run.js"), path,
                                "--input-dir", d_in, "--output-dir", d_out, "--time",
                                "--repeat", str(args.repeat), "--opt", args.opt,
                                "--threads", str(args.threads)],
                               check=True, stdout=subprocess.PIPE, text=True)
        except subprocess.CalledProcessError as e:
            print("| %s | FAIL: %s |" % (name, e), flush=True)
            failed += 1
            continue
        t = json.loads(r.stdout)
        outs = [np.load(f) for f in sorted(glob.glob(os.path.join(d_out, "output_*.npy")))]
        mx = max(float(np.abs(o).max()) for o in outs)
        distinct = sum(len(np.unique(o)) for o in outs)
        print("| %s | %.0f | %.1f | %.3g | %d |" % (name, t["create_ms"], t["run_ms"], mx,
                                                    distinct), flush=True)
    if not args.workdir:
        shutil.rmtree(work)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
