#!/usr/bin/env bash
# Lossless round trip on the torchvision exports committed (gzipped) in
# tests/models/torch (44 models, see tests/models/README.md): resnet18,
# mobilenet_v2, efficientnet_b0, densenet121 at opsets 11-17 (and calibrated
# at 13); resnet50, mobilenet_v3_small, shufflenet_v2_x1_0, regnet_y_400mf
# (calibrated) at opsets 11, 13, 17. Each is converted, compared field by
# field with python3-onnx, and checked byte-identical; info must report its
# BatchNormalization nodes.
set -u
out="$WORK/roundtrip_torch"
rm -rf "$out" && mkdir -p "$out" || exit 1
pass=0 fail=0
for gz in "$SRC"/tests/models/torch/*.onnx.gz; do
    name=$(basename "$gz" .gz)
    gunzip -c "$gz" >"$out/$name"
    if ! "$ONNXFOLD" convert "$out/$name" "$out/rt_$name" 2>"$out/err"; then
        echo "FAIL $name: convert: $(cat "$out/err")"
        fail=$((fail + 1))
    elif ! "$PYTHON" "$SRC/tests/scripts/onnx_compare.py" "$out/$name" "$out/rt_$name"; then
        echo "FAIL $name: differs after round trip"
        fail=$((fail + 1))
    elif ! cmp -s "$out/$name" "$out/rt_$name"; then
        echo "FAIL $name: equal field by field but not byte-identical"
        fail=$((fail + 1))
    elif ! "$ONNXFOLD" info "$out/$name" >"$out/info" ||
        ! grep -q '^  BatchNormalization [1-9]' "$out/info" || ! grep -q '^check: ok$' "$out/info"; then
        echo "FAIL $name: info does not list BatchNormalization nodes or the graph check fails"
        cat "$out/info"
        fail=$((fail + 1))
    else
        pass=$((pass + 1))
    fi
    rm -f "$out/$name" "$out/rt_$name"
done
[ "$pass" -ge 44 ] || { echo "expected 44 models, passed $pass"; fail=$((fail + 1)); }
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
