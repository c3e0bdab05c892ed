#!/usr/bin/env bash
# A plain `cmake -S . -B DIR && cmake --build DIR` needs only the build
# dependencies: where cmocka is not installed, the tests are left out with a
# message saying so, the library and the command still build, and
# -DONNXFOLD_TESTS=ON fails at configure time naming what is missing.
# cmocka is hidden by pointing pkg-config at a folder that holds only
# libprotobuf-c.pc (PKG_CONFIG_LIBDIR replaces the default search path).
source "$(dirname "$0")/lib.sh"
pcdir="$work/pkgconfig"
mkdir -p "$pcdir"
pc=$(pkg-config --variable=pcfiledir libprotobuf-c)/libprotobuf-c.pc
check "libprotobuf-c.pc found" test -f "$pc"
ln -s "$pc" "$pcdir/"
export PKG_CONFIG_LIBDIR="$pcdir" PKG_CONFIG_PATH=""
check "cmocka is hidden" bash -c '! pkg-config --exists cmocka'

cmake -S "$SRC" -B "$work/build" >"$work/configure.log" 2>&1
rc=$?
check "configures without cmocka" bash -c "[ $rc -eq 0 ] || { cat '$work/configure.log'; false; }"
check "says the tests are not built" grep -q "cmocka not found: tests are not built" \
    "$work/configure.log"
cmake --build "$work/build" -j2 >"$work/build.log" 2>&1
rc=$?
check "builds without cmocka" bash -c "[ $rc -eq 0 ] || { tail -20 '$work/build.log'; false; }"
check "the command was built" test -x "$work/build/onnxfold"
check "the shared library was built" test -f "$work/build/libonnxfold.so"
check "no test was built" bash -c "! ls '$work/build/tests/test_'* 2>/dev/null"
check "the command runs" "$work/build/onnxfold" info "$SRC/examples/tiny_cnn.onnx"

cmake -S "$SRC" -B "$work/build-on" -DONNXFOLD_TESTS=ON >"$work/configure-on.log" 2>&1
rc=$?
check "ONNXFOLD_TESTS=ON without cmocka fails" test "$rc" -ne 0
check "and says why" grep -q "ONNXFOLD_TESTS=ON but cmocka was not found" "$work/configure-on.log"
finish
