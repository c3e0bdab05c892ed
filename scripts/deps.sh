#!/usr/bin/env bash
# Installs the Debian 12 packages onnxfold needs, when run as root; otherwise
# names the missing ones and how to install them. Usage:
#   scripts/deps.sh build   # compiler, CMake, protobuf-c
#   scripts/deps.sh test    # build + cmocka, python3-onnx, clang (fuzzer),
#                           # clang-format, cppcheck, git, time, and Node.js
#                           # with npm (nodejs npm, when `node` or `npm` is
#                           # missing), then onnxruntime-node into the
#                           # repository's node_modules (npm ci, from
#                           # package-lock.json) for tests/interop
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
build_pkgs="build-essential cmake pkg-config libprotobuf-c-dev protobuf-c-compiler"
test_pkgs="$build_pkgs libcmocka-dev python3-onnx python3-numpy clang libclang-rt-14-dev clang-format cppcheck git time"
mode=${1:-build}
case "$mode" in
build) want=$build_pkgs ;;
test) want=$test_pkgs ;;
*) echo "usage: scripts/deps.sh build|test" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node.js may come from elsewhere than Debian (its npm bundled): ask for
# Debian's packages only when a command is missing.
if [ "$mode" = test ] && ! { command -v node && command -v npm; } >/dev/null; then
    missing="$missing nodejs npm"
fi
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "onnxfold needs these Debian packages:$missing" >&2
        echo "install them with: sudo apt-get install -y$missing" >&2
        exit 1
    fi
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null ||
        { echo "apt-get install failed for:$missing" >&2; exit 1; }
fi
[ "$mode" = test ] || exit 0
# onnxruntime-node ships its CPU library inside the npm package; its install
# script would only fetch CUDA binaries (which cannot be downloaded here), so
# it is skipped twice over: ONNXRUNTIME_NODE_INSTALL=skip, --ignore-scripts.
if [ ! -f "$repo/node_modules/onnxruntime-node/package.json" ]; then
    echo "installing onnxruntime-node into $repo/node_modules (npm ci)"
    (cd "$repo" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts --no-audit --no-fund >/dev/null) ||
        { echo "npm ci failed in $repo" >&2; exit 1; }
fi
(cd "$repo" && node -e 'require("onnxruntime-node")') ||
    { echo "onnxruntime-node does not load: remove $repo/node_modules and run scripts/deps.sh test again" >&2; exit 1; }
