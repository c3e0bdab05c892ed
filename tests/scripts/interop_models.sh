#!/usr/bin/env bash
# onnxfold against onnxruntime (onnxruntime-node 1.30, the independent
# reference) on the committed exported models:
#  - run: onnxfold's executor gives what onnxruntime gives on the original
#    model, within 1e-4 * max|reference| (issue #4);
#  - optimize: every BatchNormalization that follows a Conv, ConvTranspose or
#    Gemm whose output it alone reads is gone (a BN before a Conv, as in
#    DenseNet's pre-activation layers, has nothing to fuse into), the node count
#    is at most onnxruntime's own basic-level optimized model, the optimized
#    model loads in onnxruntime and passes onnx.checker, and onnxruntime on it
#    agrees with onnxruntime on the original within 1e-4 * max|reference|
#    (issue #5).
# The bound: 1e-4 * max|reference|, or, when onnxruntime itself cannot keep
# it — its own basic-level optimized model against its unoptimized run (deep
# float32 networks such as resnet50 differ by up to ~3e-4 between two correct
# summation orders) — twice onnxruntime's own disagreement; the line printed
# for each model says which bound applied.
# The sanitizer build runs a small subset (INTEROP_MODELS overrides the list).
. "$(dirname "$0")/lib.sh"
O=$ONNXFOLD
M="$SRC/tests/models"
node_ok=$(cd "$SRC" && node -e 'require("onnxruntime-node"); console.log("ok")' 2>/dev/null)
[ "$node_ok" = ok ] || { echo "onnxruntime-node is not installed (scripts/deps.sh test)"; echo "0 passed, 1 failed"; exit 1; }
if [ -n "${INTEROP_MODELS:-}" ]; then
    models=$INTEROP_MODELS
elif [ "${SANITIZE:-0}" = 1 ]; then
    models="small/loop_if_op13 small/transformer_block_op17 small/shared_weight_conv_op13 torch/mobilenet_v3_small_cal_op13 ../../examples/tiny_cnn"
else
    models="small/loop_if_op13 small/loop_if_op17 small/transformer_block_op13 small/transformer_block_op17
            small/shared_weight_conv_op13 small/tiny_cnn_init_inputs_op13 ../../examples/tiny_cnn
            torch/resnet18_cal_op13 torch/resnet18_op11 torch/resnet18_op17
            torch/mobilenet_v2_cal_op13 torch/mobilenet_v2_op11 torch/mobilenet_v2_op17
            torch/efficientnet_b0_cal_op13 torch/efficientnet_b0_op11 torch/efficientnet_b0_op17
            torch/densenet121_cal_op13 torch/densenet121_op11 torch/densenet121_op17
            torch/mobilenet_v3_small_cal_op11 torch/mobilenet_v3_small_cal_op13 torch/mobilenet_v3_small_cal_op17
            torch/shufflenet_v2_x1_0_cal_op11 torch/shufflenet_v2_x1_0_cal_op13 torch/shufflenet_v2_x1_0_cal_op17
            torch/regnet_y_400mf_cal_op11 torch/regnet_y_400mf_cal_op13 torch/regnet_y_400mf_cal_op17
            torch/resnet50_cal_op11 torch/resnet50_cal_op13 torch/resnet50_cal_op17"
fi
ort() { node "$SRC/tests/interop/ort_run.js" "$@"; }
# fused_bn_left MODEL: BatchNormalization nodes that a fusion could remove.
fused_bn_left() { py "$SRC/tests/interop/fusable_bn.py" "$1"; }
count() { py -c "import onnx,sys; m=onnx.load(sys.argv[1]); print(sum(n.op_type == sys.argv[2] for n in m.graph.node) if len(sys.argv) > 2 else len(m.graph.node))" "$@"; }
for rel in $models; do
    name=$(basename "$rel")
    d="$work/$name"
    mkdir -p "$d"
    src="$M/$rel.onnx.gz"
    if [ -f "$src" ]; then gunzip -c "$src" >"$d/model.onnx"; else cp "$M/$rel.onnx" "$d/model.onnx"; fi
    py "$SRC/tests/interop/gen_inputs.py" "$d/model.onnx" "$d/in" --seed 1 >/dev/null 2>&1 ||
        { fail=$((fail + 1)); echo "FAIL: $name: gen_inputs"; continue; }
    if ! ort "$d/model.onnx" --input-dir "$d/in" --output-dir "$d/ref" 2>"$d/ort.err"; then
        fail=$((fail + 1)); echo "FAIL: $name: onnxruntime on the original: $(cat "$d/ort.err")"; continue
    fi
    bound=1e-4
    if ort "$d/model.onnx" --input-dir "$d/in" --output-dir "$d/ortbasic" --opt basic >/dev/null 2>&1; then
        noise=$(py -c "
import numpy as np, glob, os
worst = 0.0
for f in sorted(glob.glob('$d/ref/output_*.npy')):
    a, b = np.load(f), np.load(os.path.join('$d/ortbasic', os.path.basename(f)))
    if a.dtype.kind == 'f' and a.size:
        m = float(np.nanmax(np.abs(a)))
        if m > 0: worst = max(worst, float(np.nanmax(np.abs(a.astype(np.float64) - b))) / m)
print(f'{worst:.3g}')")
        bound=$(py -c "print(max(1e-4, 2 * $noise))")
        echo "  $name: onnxruntime basic vs unoptimized: $noise * max|ref|; bound $bound"
    fi
    check "$name: run agrees with onnxruntime" sh -c "'$O' run '$d/model.onnx' --input-dir '$d/in' --output-dir '$d/mine' --npy >/dev/null &&
        '$PYTHON' '$SRC/tests/interop/compare_npy.py' '$d/mine' '$d/ref' --atol-rel $bound"
    # a model whose weights are also graph inputs keeps its BN unless frozen
    # (overridable initializers are not constants): check both
    freeze=""
    case "$name" in *init_inputs*)
        check "$name: overridable weights: BN kept by default" sh -c "'$O' optimize '$d/model.onnx' '$d/kept.onnx' >/dev/null &&
            [ \$($PYTHON -c \"import onnx; print(sum(n.op_type == 'BatchNormalization' for n in onnx.load('$d/kept.onnx').graph.node))\") -gt 0 ]"
        freeze=--freeze-initializers ;;
    esac
    if ! "$O" optimize "$d/model.onnx" "$d/opt.onnx" $freeze >"$d/opt.log" 2>&1; then
        fail=$((fail + 1)); echo "FAIL: $name: optimize"; sed 's/^/    | /' "$d/opt.log" | tail -5; continue
    fi
    bn_before=$(fused_bn_left "$d/model.onnx")
    bn_after=$(fused_bn_left "$d/opt.onnx")
    check "$name: every BatchNormalization after a Conv/Gemm fused ($bn_before before, $bn_after left)" test "$bn_after" -eq 0
    ort "$d/model.onnx" --input-dir "$d/in" --output-dir "$d/unused" --opt basic --save-optimized "$d/ort_basic.onnx" >/dev/null 2>&1
    ours=$(count "$d/opt.onnx"); theirs=$(count "$d/ort_basic.onnx" 2>/dev/null || echo 0)
    echo "  $name: nodes $(count "$d/model.onnx") original, $theirs onnxruntime basic, $ours onnxfold"
    check "$name: node count $ours <= onnxruntime basic $theirs" test "$ours" -le "$theirs"
    check "$name: optimized passes onnx.checker" py -c "import onnx; onnx.checker.check_model(onnx.load('$d/opt.onnx'))"
    check "$name: onnxruntime on the optimized model agrees with the original" sh -c "
        node '$SRC/tests/interop/ort_run.js' '$d/opt.onnx' --input-dir '$d/in' --output-dir '$d/optref' &&
        '$PYTHON' '$SRC/tests/interop/compare_npy.py' '$d/optref' '$d/ref' --atol-rel $bound"
    rm -rf "$d/unused" "$d/ortbasic"
done
finish
