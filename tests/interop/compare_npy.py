#!/usr/bin/python3
"""Compare the outputs in two folders, B being the reference.

Usage:
    /usr/bin/python3 tests/interop/compare_npy.py DIR_A DIR_B [--atol-rel 1e-4]

Pairs DIR_A/output_K.npy with DIR_B/output_K.npy (an output_K.pb TensorProto
is read where there is no .npy). Both folders must hold the same K = 0..n-1.
A pair passes when dtype and shape agree and
  floats:          max|a - b| <= atol_rel * max|b|  (over finite b; NaN must
                   meet NaN and +-inf the same inf, position by position);
  integers, bool:  every element equal.
One line per output: name, dtype, shape, max abs diff, bound, ok/FAIL.
Exit status: 0 when every output passes, 1 otherwise (also when a file is
missing or unreadable, or when no outputs are found), 2 on bad arguments.
"""

import argparse
import os
import re
import sys

import numpy as np

OUT_RE = re.compile(r"^output_(\d+)\.(npy|pb)$")


def output_files(d):
    """{K: path} for the output_K files in d (.npy preferred over .pb)."""
    found = {}
    for f in sorted(os.listdir(d)):
        m = OUT_RE.match(f)
        if m:
            k = int(m.group(1))
            if k not in found or m.group(2) == "npy":
                found[k] = os.path.join(d, f)
    return found


def load(path):
    if path.endswith(".npy"):
        return np.load(path, allow_pickle=False)
    from onnx import TensorProto, numpy_helper  # only needed for .pb files
    t = TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def compare(a, b, atol_rel):
    """Returns (ok, max abs diff, bound, note)."""
    if a.dtype != b.dtype:
        return False, float("nan"), 0.0, "dtype %s, reference %s" % (a.dtype, b.dtype)
    if a.shape != b.shape:
        return False, float("nan"), 0.0, "shape %s, reference %s" % (list(a.shape), list(b.shape))
    if a.dtype.kind in "iub":
        diff = np.abs(a.astype(object) - b.astype(object)) if a.dtype.kind != "b" else (a != b)
        bad = int(np.count_nonzero(a != b))
        mx = float(diff.max()) if a.size else 0.0
        return bad == 0, mx, 0.0, "exact" if bad == 0 else "%d element(s) differ" % bad
    a64 = a.astype(np.float64)
    b64 = b.astype(np.float64)
    nan_a, nan_b = np.isnan(a64), np.isnan(b64)
    inf_a, inf_b = np.isinf(a64), np.isinf(b64)
    finite_b = b64[np.isfinite(b64)]
    bound = atol_rel * (float(np.abs(finite_b).max()) if finite_b.size else 0.0)
    if not np.array_equal(nan_a, nan_b):
        n = int(np.count_nonzero(nan_a != nan_b))
        return False, float("nan"), bound, "NaN in %d place(s) where the other has none" % n
    if not np.array_equal(inf_a, inf_b) or not np.array_equal(a64[inf_b], b64[inf_b]):
        return False, float("inf"), bound, "infinities differ"
    both = np.isfinite(a64) & np.isfinite(b64)
    mx = float(np.abs(a64[both] - b64[both]).max()) if both.any() else 0.0
    return mx <= bound, mx, bound, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir_a")
    ap.add_argument("dir_b", help="the reference")
    ap.add_argument("--atol-rel", type=float, default=1e-4)
    args = ap.parse_args()
    if args.atol_rel < 0:
        ap.error("--atol-rel must be >= 0")
    for d in (args.dir_a, args.dir_b):
        if not os.path.isdir(d):
            print("compare_npy: %s: no such folder" % d)
            return 1
    fa, fb = output_files(args.dir_a), output_files(args.dir_b)
    keys = sorted(set(fa) | set(fb))
    if not keys:
        print("compare_npy: no output_K.npy files in %s or %s" % (args.dir_a, args.dir_b))
        return 1
    fails = 0
    if keys != list(range(len(keys))):
        print("compare_npy: outputs are not numbered 0..%d: %s" % (len(keys) - 1, keys))
        fails += 1
    for k in keys:
        name = "output_%d" % k
        if k not in fa or k not in fb:
            print("%s: FAIL: missing in %s" % (name, args.dir_b if k in fa else args.dir_a))
            fails += 1
            continue
        try:
            a, b = load(fa[k]), load(fb[k])
        except Exception as e:  # unreadable or malformed file
            print("%s: FAIL: cannot read: %s" % (name, e))
            fails += 1
            continue
        ok, mx, bound, note = compare(a, b, args.atol_rel)
        print("%s %s %s: max|a-b| %.3g, bound %.3g%s: %s" % (
            name, b.dtype, list(b.shape), mx, bound, " (%s)" % note if note else "",
            "ok" if ok else "FAIL"))
        fails += not ok
    return 0 if fails == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
