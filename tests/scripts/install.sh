#!/usr/bin/env bash
# `cmake --install` puts the library (static and shared), the header, the
# command and a pkg-config file in place, and a program built with
# `pkg-config --cflags --libs onnxfold` against the installed copy loads,
# verifies, summarises and saves a model through the public API alone.
set -u
work="$WORK/install"
rm -rf "$work" && mkdir -p "$work" || exit 1
build=$(dirname "$ONNXFOLD")
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi; }

cmake --install "$build" --prefix "$work/prefix" >"$work/install.log" 2>&1
rc=$?
check "cmake --install succeeds" '[ $rc -eq 0 ] || { cat "$work/install.log"; false; }'
libdir=$(find "$work/prefix" -name libonnxfold.a -printf '%h\n' | head -n 1)
check "static library installed" '[ -n "$libdir" ] && [ -f "$libdir/libonnxfold.a" ]'
check "shared library installed" '[ -f "$libdir/libonnxfold.so" ]'
check "header installed" '[ -f "$work/prefix/include/onnxfold.h" ]'
check "command installed" '[ -x "$work/prefix/bin/onnxfold" ]'
check "pkg-config file installed" '[ -f "$libdir/pkgconfig/onnxfold.pc" ]'
check "installed command runs" '"$work/prefix/bin/onnxfold" --version | grep -q "^onnxfold "'

# The shared library exports exactly the functions the header declares
# (ONNXFOLD_API): no internals, none of protobuf-c's generated onnx__* names.
header="$work/prefix/include/onnxfold.h"
grep -o 'ONNXFOLD_API [^(]*(' "$header" | grep -o 'onnxfold_[a-z0-9_]*($' | tr -d '(' | sort >"$work/api.txt"
nm -D --defined-only "$libdir/libonnxfold.so" | awk '{ print $NF }' | sort >"$work/exported.txt"
check "the header declares the API ($(wc -l <"$work/api.txt") functions)" '[ -s "$work/api.txt" ]'
# every function the header declares is marked ONNXFOLD_API (one that is not
# would be declared but missing from the library; names after "(*" are
# function-pointer types)
cc -E -P "$header" | tr '\n' ' ' |
    perl -ne 'while (/(?<!\(\*)(?<!\( \*)\b(onnxfold_[a-z0-9_]+)\s*\(/g) { print "$1\n" }' |
    sort -u >"$work/declared.txt"
check "every function the header declares is marked ONNXFOLD_API" \
    'diff "$work/declared.txt" "$work/api.txt" >"$work/decl.diff" || { head -20 "$work/decl.diff"; false; }'
check "libonnxfold.so exports exactly the header's functions" \
    'diff "$work/api.txt" "$work/exported.txt" >"$work/exports.diff" || { head -20 "$work/exports.diff"; false; }'

cat >"$work/use.c" <<'C'
#include <onnxfold.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    onnxfold_error err;
    onnxfold_model *m;
    if (onnxfold_model_load(argv[1], &m, &err) != ONNXFOLD_OK) {
        fprintf(stderr, "load: %s\n", err.message);
        return 1;
    }
    if (onnxfold_model_verify(m, &err) != ONNXFOLD_OK) return 2;
    onnxfold_info *info;
    if (onnxfold_model_info(m, &info, &err) != ONNXFOLD_OK) return 3;
    printf("nodes=%llu inputs=%zu first=%s\n", (unsigned long long)info->n_nodes,
           info->n_inputs, info->inputs[0].name);
    onnxfold_info_free(info);
    if (onnxfold_model_save(m, argv[2], NULL, &err) != ONNXFOLD_OK) return 4;
    onnxfold_model *bad;
    if (onnxfold_model_load_memory("junk", 4, &bad, &err) != ONNXFOLD_ERR_FORMAT) return 5;
    if (strstr(err.message, "not an ONNX model") == NULL) return 6;
    onnxfold_model_free(m);
    (void)argc;
    return 0;
}
C
export PKG_CONFIG_PATH="$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs onnxfold 2>"$work/pc.err")
check "pkg-config knows onnxfold" '[ -n "$flags" ] || { cat "$work/pc.err"; false; }'
# shellcheck disable=SC2086
# A sanitized library needs a sanitized program (the runtime must come first).
san=""
[ "${SANITIZE:-0}" = 1 ] && san="-fsanitize=address,undefined"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Werror $san -o "$work/use" "$work/use.c" $flags >"$work/cc.log" 2>&1
rc=$?
check "program builds against the installed library" '[ $rc -eq 0 ] || { cat "$work/cc.log"; false; }'
out=$(LD_LIBRARY_PATH="$libdir" "$work/use" "$SRC/examples/tiny_cnn.onnx" "$work/copy.onnx" 2>&1)
check "program runs through the public API ($out)" '[ "$out" = "nodes=9 inputs=1 first=input" ]'
check "program used the shared library" 'LD_LIBRARY_PATH="$libdir" ldd "$work/use" | grep -q "$libdir/libonnxfold.so"'
check "its saved copy is byte-identical" 'cmp -s "$SRC/examples/tiny_cnn.onnx" "$work/copy.onnx"'
rm -rf "$work"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
