#!/usr/bin/env bash
# Installs the Debian 12 packages onnxfold needs, when run as root; otherwise
# names the missing ones and how to install them. Usage:
#   scripts/deps.sh build   # compiler, CMake, protobuf-c
#   scripts/deps.sh test    # build + cmocka, python3-onnx, clang (fuzzer),
#                           # clang-format, cppcheck, git, time
set -u
build_pkgs="build-essential cmake pkg-config libprotobuf-c-dev protobuf-c-compiler"
test_pkgs="$build_pkgs libcmocka-dev python3-onnx python3-numpy clang libclang-rt-14-dev clang-format cppcheck git time"
case "${1:-build}" in
build) want=$build_pkgs ;;
test) want=$test_pkgs ;;
*) echo "usage: scripts/deps.sh build|test" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "onnxfold needs these Debian packages:$missing" >&2
    echo "install them with: sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null ||
    { echo "apt-get install failed for:$missing" >&2; exit 1; }
