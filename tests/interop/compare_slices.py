#!/usr/bin/python3
"""Compare every slice's outputs from two runs, in one process.

Usage:
    /usr/bin/python3 tests/interop/compare_slices.py MINE REF [--atol-rel 1e-4]

MINE and REF hold one folder per slice (slice_K/, as `onnxfold run-slices
--per-slice` and `ort_load_all.js --run` write them), each with output_J.npy
or output_J.pb. Every slice_K/ of REF must be in MINE and hold the same
outputs; each pair is compared as compare_npy.py does (REF the reference:
floats within atol_rel * max|ref|, integers and bools exact). Prints one line
per failing output, then "compare_slices: N slices, M outputs, worst
max|a-b| / max|ref| R".
Exit status: 0 when every output passes, 1 otherwise, 2 on bad arguments.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_npy import compare, load, output_files  # noqa: E402

import numpy as np  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mine")
    ap.add_argument("ref")
    ap.add_argument("--atol-rel", type=float, default=1e-4)
    args = ap.parse_args()
    for d in (args.mine, args.ref):
        if not os.path.isdir(d):
            print("compare_slices: %s: no such folder" % d)
            return 2
    subs = sorted(s for s in os.listdir(args.ref) if s.startswith("slice_"))
    fails = outputs = 0
    worst = 0.0
    for s in subs:
        fa = output_files(os.path.join(args.mine, s)) if os.path.isdir(os.path.join(args.mine, s)) else {}
        fb = output_files(os.path.join(args.ref, s))
        if sorted(fa) != sorted(fb) or not fb:
            print("compare_slices: %s: outputs %s, reference %s: FAIL" % (s, sorted(fa), sorted(fb)))
            fails += 1
            continue
        for k in sorted(fb):
            a, b = load(fa[k]), load(fb[k])
            ok, mx, bound, note = compare(a, b, args.atol_rel)
            outputs += 1
            if b.dtype.kind == "f" and b.size:
                finite = np.abs(b[np.isfinite(b)])
                m = float(finite.max()) if finite.size else 0.0
                if m > 0 and mx == mx:
                    worst = max(worst, mx / m)
            if not ok:
                fails += 1
                print("compare_slices: %s/output_%d %s %s: max|a-b| %.3g, bound %.3g%s: FAIL" % (
                    s, k, b.dtype, list(b.shape), mx, bound, " (%s)" % note if note else ""))
    print("compare_slices: %d slices, %d outputs, worst max|a-b| / max|ref| %.3g" % (len(subs), outputs, worst))
    return 0 if subs and fails == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
