#!/usr/bin/env bash
# Runs a Python test script from tests/scripts with the Python that has python3-onnx.
set -u
exec "${PYTHON:-/usr/bin/python3}" "$SRC/tests/scripts/$1" "${@:2}"
