#!/usr/bin/env bash
# fuse-conv-bn on crafted models, one per case of ../shared/PITFALLS.md
# ("Conv + BatchNormalization fusion" and "Other fusions" 2): each must fire
# (the BN/Mul/Add is gone) or must not (the graph keeps it), and in every case
# the optimized model computes what the original computes (onnxfold verify
# with the executor; the interop test also checks onnxruntime).
. "$(dirname "$0")/lib.sh"
O=$ONNXFOLD
cd "$work" || exit 1
py "$SRC/tests/models/make_fusion_cases.py" . >gen.log 2>&1 || { cat gen.log; echo "generation failed"; exit 1; }
# case FILE EXPECT(fused|kept) [OP [RTOL ATOL]]: optimize, check the verdict,
# verify outputs (float32 within 1e-4 relative; float16 models within a few of
# its ulps: the fused weights are rounded to float16 once, where the original
# rounds the Conv output and then the BN output).
case_() {
    local f=$1 want=$2 op=${3:-BatchNormalization} rtol=${4:-1e-4} atol=${5:-1e-5}
    local out="opt_$f"
    if ! "$O" optimize "$f" "$out" --verbose >"$f.log" 2>&1; then
        fail=$((fail + 1)); echo "FAIL: $f: optimize failed"; sed 's/^/    | /' "$f.log"; return
    fi
    local n
    n=$("$PYTHON" -c "import onnx,sys; m=onnx.load('$out'); print(sum(n.op_type=='$op' for n in m.graph.node))")
    if { [ "$want" = fused ] && [ "$n" -ne 0 ]; } || { [ "$want" = kept ] && [ "$n" -eq 0 ]; }; then
        fail=$((fail + 1)); echo "FAIL: $f: expected $op $want, $n left"; sed 's/^/    | /' "$f.log"; return
    fi
    pass=$((pass + 1))
    check "$f: outputs unchanged" "$O" verify "$out" "$f" --seed 3 --rtol "$rtol" --atol "$atol"
    check "$f: passes onnx.checker" "$PYTHON" -c "import onnx; onnx.checker.check_model(onnx.load('$out'))"
}
case_ conv_bn.onnx fused
case_ conv_bn_nobias.onnx fused
case_ conv_bn_empty_bias_slot.onnx fused
case_ conv_bn_1d.onnx fused
case_ conv_bn_3d.onnx fused
case_ conv_bn_grouped.onnx fused
case_ conv_bn_depthwise.onnx fused
case_ conv_bn_eps.onnx fused
case_ conv_bn_f16.onnx fused BatchNormalization 4e-3 4e-3
case_ conv_bn_double.onnx fused
case_ convt_bn_group2.onnx fused
case_ gemm_bn_transb_beta.onnx fused
case_ gemm_bn_no_c.onnx fused
case_ matmul_bn_2d.onnx fused
case_ matmul_bn_3d.onnx kept
case_ shared_weight_two_bn.onnx fused
case_ shared_weight_other_conv.onnx fused
case_ conv_output_is_graph_output.onnx kept
case_ conv_output_two_readers.onnx kept
case_ conv_output_read_in_subgraph.onnx kept
case_ bn_training_mode.onnx kept
case_ bn_training_outputs_used.onnx kept
case_ bn_op13_training_outputs_unused.onnx kept
case_ bn_var_eps_not_positive.onnx kept
case_ bn_params_not_constant.onnx kept
case_ conv_bias_not_constant.onnx kept
case_ conv_mul_channel.onnx fused Mul
case_ conv_add_channel.onnx fused Add
case_ conv_mul_scalar.onnx fused Mul
case_ conv_mul_wrong_axis.onnx kept Mul
case_ conv_add_spatial.onnx kept Add
check "overridable weight: refused with the flag named" sh -c "
'$O' optimize conv_bn_weight_is_input.onnx o.onnx --verbose | grep -q -- '--freeze-initializers' &&
'$PYTHON' -c \"import onnx; assert any(n.op_type == 'BatchNormalization' for n in onnx.load('o.onnx').graph.node)\""
check "overridable weight: --freeze-initializers fuses" sh -c "
'$O' optimize conv_bn_weight_is_input.onnx o2.onnx --freeze-initializers &&
'$PYTHON' -c \"import onnx; assert not any(n.op_type == 'BatchNormalization' for n in onnx.load('o2.onnx').graph.node)\""
check "shared weight: the original weight stays while another Conv reads it" "$PYTHON" -c "
import onnx
m = onnx.load('opt_shared_weight_other_conv.onnx')
names = [i.name for i in m.graph.initializer]
assert 'w' in names, names
convs = [n for n in m.graph.node if n.op_type == 'Conv']
assert len({c.input[1] for c in convs}) == 2"
check "shared weight by two fused Convs: the original weight is gone" "$PYTHON" -c "
import onnx
m = onnx.load('opt_shared_weight_two_bn.onnx')
assert 'w' not in [i.name for i in m.graph.initializer]"
check "f16 weights stay float16" "$PYTHON" -c "
import onnx
m = onnx.load('opt_conv_bn_f16.onnx')
assert all(i.data_type == onnx.TensorProto.FLOAT16 for i in m.graph.initializer)"
check "fused Gemm has beta 1 and keeps alpha" "$PYTHON" -c "
import onnx
m = onnx.load('opt_gemm_bn_transb_beta.onnx')
g = [n for n in m.graph.node if n.op_type == 'Gemm'][0]
a = {x.name: onnx.helper.get_attribute_value(x) for x in g.attribute}
assert abs(a.get('beta', 1.0) - 1.0) < 1e-9 and abs(a['alpha'] - 0.75) < 1e-9, a"
check "the BN output name is kept by the fused Conv" "$PYTHON" -c "
import onnx
m = onnx.load('opt_conv_bn.onnx')
assert [n.output[0] for n in m.graph.node if n.op_type == 'Conv'] == ['y']"
# Weights of 1 MiB and more kept in external data are fused on demand
# (passes/scale_weight.c: computed a chunk at a time when OUT is written):
# every producer layout, float16 and double, a weight fused twice (BN, then
# Mul), an Add that keeps the weight, two identical branches.
for f in big_conv_bn big_conv_bn_double big_convt_bn_group2 big_gemm_bn_transb_beta \
    big_matmul_bn big_two_branches; do
    case_ $f.onnx fused
done
case_ big_conv_bn_f16.onnx fused BatchNormalization 4e-3 4e-3
case_ big_conv_bn_mul.onnx fused Mul
case_ big_conv_add.onnx fused Add
# External tensors may start at any offset of their file: the same models
# with every tensor one byte past an aligned offset (the sanitizer build
# stopped on a misaligned float load in scale_weight.c)
py - <<'EOF'
import onnx
for name in ('big_conv_bn', 'big_conv_bn_f16'):
    m = onnx.load(name + '.onnx', load_external_data=False)
    src, data = open(name + '.onnx.data', 'rb').read(), bytearray()
    for t in m.graph.initializer:
        kv = {e.key: e for e in t.external_data}
        if not kv:
            continue
        off, n = int(kv['offset'].value), int(kv['length'].value)
        data += b'\0' * ((1 - len(data)) % 64 or 64)  # to 1 mod 64
        kv['offset'].value, kv['location'].value = str(len(data)), name + '_odd.onnx.data'
        data += src[off:off + n]
    open(name + '_odd.onnx.data', 'wb').write(data)
    onnx.save(m, name + '_odd.onnx')
EOF
case_ big_conv_bn_odd.onnx fused
case_ big_conv_bn_f16_odd.onnx fused BatchNormalization 4e-3 4e-3
check "misaligned external weights: --internal --verify" \
    "$O" optimize big_conv_bn_odd.onnx odd_inl.onnx --internal --verify
check "on-demand fused weights are written to OUT's data file" "$PYTHON" -c "
import onnx
m = onnx.load('opt_big_conv_bn_mul.onnx', load_external_data=False)
w = [i for i in m.graph.initializer if list(i.dims) == [256, 128, 3, 3]]
assert len(w) == 1 and w[0].data_location == onnx.TensorProto.EXTERNAL, w"
check "on-demand fused weights: --internal writes them inline" sh -c "
'$O' optimize big_conv_bn.onnx inl.onnx --internal && test ! -e inl.onnx.data &&
'$O' verify inl.onnx big_conv_bn.onnx --seed 5"
check "on-demand fused weights: --verify runs them" "$O" optimize big_conv_bn_mul.onnx ver.onnx --verify
check "two identical fused branches are stored once" "$PYTHON" -c "
import onnx
m = onnx.load('opt_big_two_branches.onnx')
assert sum(list(i.dims) == [256, 128, 3, 3] for i in m.graph.initializer) == 1"
# Peak memory: 4 Conv+BN blocks with 64 MiB weights (256 MiB in external
# data); fused whole in memory, the weights alone would take 256 MiB twice.
mkdir -p big4o
check "generate a 256 MiB Conv+BN model" py "$SRC/bench/gen_big_external.py" big4 --layers 4 --no-check
if [ -x /usr/bin/time ]; then
    check "256 MiB model: optimize" /usr/bin/time -f '%M' -o rss4 "$O" optimize --no-sync \
        big4/model.onnx big4o/model.onnx --external-data weights.bin
    rss=$(tail -n 1 rss4 2>/dev/null || echo 0)
    echo "peak RSS of optimize on the 256 MiB model: $((rss / 1024)) MiB"
    # ~10 MiB (~120 MiB under ASan); fused whole in memory it is over 500 MiB
    check "256 MiB model: peak RSS under 200 MiB (weights fused on demand)" test "$rss" -lt $((200 * 1024))
else
    echo "note: /usr/bin/time is missing (apt-get install time): peak RSS not measured"
    check "256 MiB model: optimize" "$O" optimize --no-sync big4/model.onnx big4o/model.onnx \
        --external-data weights.bin
fi
check "256 MiB model: BN fused" "$PYTHON" -c "
import onnx
m = onnx.load('big4o/model.onnx', load_external_data=False)
assert not any(n.op_type == 'BatchNormalization' for n in m.graph.node)"
check "256 MiB model: outputs unchanged" "$O" verify big4o/model.onnx big4/model.onnx --seed 2
rm -rf big4 big4o
finish
