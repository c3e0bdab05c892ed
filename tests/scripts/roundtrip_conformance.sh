#!/usr/bin/env bash
# Lossless round trip on every model of the ONNX conformance suite (and on
# tests/models/features.onnx and examples/):
# `onnxfold convert` each one, then compare original and copy field by field
# with python3-onnx (tests/scripts/onnx_compare.py). Also reports how many
# copies are byte-identical, requires every copy to pass the graph check of
# `onnxfold info` (the verifier), and fails if any model is refused or changed.
set -u
suite="$SHARED/onnx-node-tests/v1.22.0"
out="$WORK/roundtrip_conformance"
rm -rf "$out" && mkdir -p "$out" || exit 1
[ -d "$suite" ] || { echo "conformance suite missing: $suite"; echo "0 passed, 1 failed"; exit 1; }
list="$out/pairs.tsv"
: >"$list"
refused=0 total=0 same=0
for dir in "$suite"/*/; do
    name=$(basename "$dir")
    [ -f "$dir/model.onnx" ] || continue
    total=$((total + 1))
    if "$ONNXFOLD" convert "$dir/model.onnx" "$out/$name.onnx" 2>"$out/err"; then
        printf '%s\t%s\n' "$dir/model.onnx" "$out/$name.onnx" >>"$list"
        cmp -s "$dir/model.onnx" "$out/$name.onnx" && same=$((same + 1))
        # The IR built from it must satisfy the verifier (SSA, scopes, order, uses).
        if ! "$ONNXFOLD" info "$out/$name.onnx" | grep -q '^check: ok$'; then
            refused=$((refused + 1))
            echo "CHECK FAILED $name: $("$ONNXFOLD" info "$out/$name.onnx" | grep '^check:')"
        fi
    else
        refused=$((refused + 1))
        echo "REFUSED $name: $(cat "$out/err")"
    fi
done
# The repository's own models: every format feature in one file, the example.
for f in "$SRC"/tests/models/features.onnx "$SRC"/examples/*.onnx; do
    name=own_$(basename "$f")
    if "$ONNXFOLD" convert "$f" "$out/$name" 2>"$out/err"; then
        printf '%s\t%s\n' "$f" "$out/$name" >>"$list"
    else
        refused=$((refused + 1))
        echo "REFUSED $f: $(cat "$out/err")"
    fi
done
echo "models: $total, converted: $((total - refused)), byte-identical: $same"
[ "$total" -ge 1765 ] || { echo "expected 1765 models, found $total"; refused=$((refused + 1)); }
"$PYTHON" "$SRC/tests/scripts/onnx_compare.py" --batch "$list" | tail -n 20
cmp_status=${PIPESTATUS[0]}
rm -rf "$out"
if [ "$refused" -ne 0 ] || [ "$cmp_status" -ne 0 ]; then
    echo "round trip failed: $refused refused, compare exit $cmp_status"
    exit 1
fi
