#!/usr/bin/python3
"""onnx.checker on every slice of a slice folder, in one process.

Usage:
    /usr/bin/python3 tests/interop/check_slices.py DIR

Every DIR/slice_*.onnx (name order) is loaded with onnx.load (external data
beside it is read) and checked with onnx.checker.check_model(full_check=True):
the structural check and strict shape inference. Every slice is tried,
whatever failed before. Prints one line per failure,
"check_slices: DIR/slice_K.onnx: <the checker's message>", then
"check_slices: DIR: N slices, M pass".
Exit status: 0 when every slice passes (and there is at least one), 1
otherwise, 2 on bad arguments.
"""

import os
import re
import sys

import onnx


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        print("usage: check_slices.py DIR (a slice folder)", file=sys.stderr)
        return 2
    d = sys.argv[1]
    files = sorted(f for f in os.listdir(d) if re.match(r"^slice_\d+\.onnx$", f))
    good = 0
    for f in files:
        path = os.path.join(d, f)
        try:
            onnx.checker.check_model(onnx.load(path), full_check=True)
            good += 1
        except Exception as e:  # checker, shape inference or load error
            msg = " ".join(str(e).split())
            print("check_slices: %s: %s: %s" % (path, type(e).__name__, msg[:400]))
    print("check_slices: %s: %d slices, %d pass" % (d, len(files), good))
    return 0 if files and good == len(files) else 1


if __name__ == "__main__":
    sys.exit(main())
