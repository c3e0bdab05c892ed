#!/usr/bin/env bash
# `onnxfold slice` on the example model and small crafted ones: every mode
# writes a folder whose slices pass onnx.checker and whose metadata.json
# matches its files (SHA-256, inputs and outputs, nodes covering the graph
# once, in order); the folder is put in place whole; bad options and a
# non-empty OUTDIR are refused with exit 2 and nothing written.
. "$(dirname "$0")/lib.sh"
O=$ONNXFOLD
cd "$work" || exit 1
M=$SRC/examples/tiny_cnn.onnx

# check_folder DIR MODEL: the metadata agrees with the files and with MODEL
check_folder() {
    py - "$1" "$2" <<'EOF'
import hashlib, json, os, sys
import onnx
d, model = sys.argv[1], sys.argv[2]
meta = json.load(open(os.path.join(d, 'metadata.json')))
assert meta['schema'] == 1
src = onnx.load(model)
assert [i['name'] for i in meta['outputs']] == [o.name for o in src.graph.output]
produced = {i['name'] for i in meta['inputs']}
nodes = []
for k, s in enumerate(meta['slices']):
    assert s['index'] == k and s['file'] == 'slice_%04d.onnx' % k
    path = os.path.join(d, s['file'])
    assert hashlib.sha256(open(path, 'rb').read()).hexdigest() == s['sha256'], s['file']
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    assert [i.name for i in m.graph.input] == [i['name'] for i in s['inputs']], s['file']
    assert [o.name for o in m.graph.output] == [o['name'] for o in s['outputs']], s['file']
    for i in s['inputs']:
        assert i['name'] in produced, (s['file'], i['name'], 'read before it is produced')
    produced |= {o['name'] for o in s['outputs']}
    nodes += [n.name for n in m.graph.node]
    assert [n.name for n in m.graph.node] == s['nodes']
    used = {x for n in m.graph.node for x in n.input}
    for t in m.graph.initializer:
        assert t.name in used, (s['file'], t.name, 'initializer not read')
for o in meta['outputs']:
    assert o['name'] in produced, (o['name'], 'never produced')
print(len(meta['slices']))
EOF
}

# slice_ok NAME EXPECTED_COUNT ARGS...: slices M, checks the folder and the count
slice_ok() {
    local name=$1 want=$2
    shift 2
    rm -rf out
    if ! "$O" slice "$@" out >"$name.log" 2>&1; then
        fail=$((fail + 1)); echo "FAIL: $name: slice failed"; sed 's/^/    | /' "$name.log"; return
    fi
    local n
    if ! n=$(check_folder out "$1" 2>&1); then
        fail=$((fail + 1)); echo "FAIL: $name: folder check"; echo "$n" | sed 's/^/    | /'; return
    fi
    if [ -n "$want" ] && [ "$n" != "$want" ]; then
        fail=$((fail + 1)); echo "FAIL: $name: $n slices, expected $want"; return
    fi
    pass=$((pass + 1))
}

# tiny_cnn optimized: Conv Relu Conv Relu Flatten Gemm
nodes=$(py -c "import onnx; print(len(onnx.load('$M').graph.node))")
slice_ok per_node "" "$M" --per-node
slice_ok strict_per_node "" "$M" --strict-per-node --no-optimize
check "strict per node on the unoptimized model: one slice per node" \
    test "$(py -c "import json; print(len(json.load(open('out/metadata.json'))['slices']))")" = "$nodes"
slice_ok segments_2 2 "$M" --segments 2
slice_ok segments_1 1 "$M" --segments 1
slice_ok at_relu1 2 "$M" --at /relu1/Relu_output_0
slice_ok max_cost_0 "" "$M" --max-cost 0
check "max-cost 0: every node over budget is reported" \
    py -c "import json; m=json.load(open('out/metadata.json')); assert m['over_budget'], m['over_budget']"
# Conv Relu Conv Relu | Flatten Gemm
slice_ok supported 2 "$M" --segments 1 --supported-ops Conv,Relu
check "supported ops: slices marked provable or not" \
    py -c "import json; m=json.load(open('out/metadata.json')); assert [s['provable'] for s in m['slices']] == [True, False]"
printf '# prover ops\nConv\n  Relu  \n\n' >ops.txt
slice_ok supported_file "" "$M" --segments 1 --supported-ops-file ops.txt

# bad input: exit 2, one line, nothing written
expect_fail2 "--at unknown tensor" "no tensor 'nope'" "$O" slice "$M" bad1 --at nope
no_leftovers "--at unknown: no folder" . bad1
expect_fail2 "--at graph input" "graph input or an initializer" "$O" slice "$M" bad2 --at input
expect_fail2 "--at out of order" "computed before the previous cut" \
    "$O" slice "$M" bad3 --at /relu2/Relu_output_0,/relu1/Relu_output_0
expect_fail2 "--segments too many" "--segments 99" "$O" slice "$M" bad4 --segments 99
expect_fail2 "--segments 0" "--segments needs a count" "$O" slice "$M" bad5 --segments 0
expect_fail2 "--max-cost negative" "--max-cost needs a budget" "$O" slice "$M" bad6 --max-cost -1
expect_fail2 "two modes" "give one of" "$O" slice "$M" bad7 --segments 2 --per-node
expect_fail2 "missing model" "cannot open" "$O" slice nothere.onnx bad8
ls -A | grep -q '^bad' && { fail=$((fail + 1)); echo "FAIL: a refused slice left $(ls -A | grep '^bad')"; }
mkdir full && echo keep >full/mine.txt
expect_fail2 "non-empty OUTDIR" "exists and is not empty" "$O" slice "$M" full
check "non-empty OUTDIR left alone" test "$(cat full/mine.txt)" = keep
check "--overwrite replaces it" "$O" slice "$M" full --overwrite --quiet
check "replaced whole" sh -c "test ! -e full/mine.txt && test -f full/metadata.json"
ln -s full link
expect_fail2 "OUTDIR a symlink" "symbolic link" "$O" slice "$M" link --overwrite
echo x >afile
expect_fail2 "OUTDIR a file" "not a folder" "$O" slice "$M" afile
mkdir empty
check "empty OUTDIR is fine" "$O" slice "$M" empty --quiet
check "no staging folder left" sh -c "! ls -A | grep -q stage"
# broken graphs sliced as they are (--no-optimize skips the optimizer, which
# verifies the graph): refused, not cut into slices that cannot run
py - <<'EOF'
import onnx
from onnx import helper as h, TensorProto as T
X = h.make_tensor_value_info
def save(nodes, out, name):
    g = h.make_graph(nodes, 'g', [X('x', T.FLOAT, [4])], [X(out, T.FLOAT, [4])])
    m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)])
    m.ir_version = 8
    onnx.save(m, name)
save([h.make_node('Add', ['x', 'b'], ['a'], name='n1'), h.make_node('Relu', ['a'], ['b'], name='n2')],
     'b', 'cycle.onnx')
save([h.make_node('Add', ['x', 'nowhere'], ['a'], name='n1')], 'a', 'dangling.onnx')
save([h.make_node('Relu', ['x'], ['a'], name='n1'), h.make_node('Neg', ['x'], ['a'], name='n2')],
     'a', 'twice.onnx')
EOF
expect_fail2 "--no-optimize: a cycle" "produced later" "$O" slice cycle.onnx bad9 --no-optimize
expect_fail2 "--no-optimize: an undefined input" "'nowhere' is not defined" \
    "$O" slice dangling.onnx bad9 --no-optimize
expect_fail2 "--no-optimize: a name defined twice" "defined more than once" \
    "$O" slice twice.onnx bad9 --no-optimize --strict-per-node
no_leftovers "broken graphs: no folder" . bad9
# --overwrite on the folder holding the model (or a folder above it) would
# delete the model: refused, the model left in place
mkdir -p own/sub && cp "$M" own/sub/m.onnx
expect_fail2 "--overwrite: OUTDIR is the model's folder" "holds the model being sliced" \
    "$O" slice own/sub/m.onnx own/sub --overwrite
expect_fail2 "--overwrite: OUTDIR above the model" "holds the model being sliced" \
    "$O" slice own/sub/m.onnx ./own/ --overwrite
check "the model is still there" cmp "$M" own/sub/m.onnx
# ... nor the folder holding its external data
mkdir -p extm/weights
py -c "
import onnx
onnx.save(onnx.load('$M'), 'extm/m.onnx', save_as_external_data=True, location='weights/w.bin',
          size_threshold=0)"
expect_fail2 "--overwrite: OUTDIR holds the model's external data" "holds the model being sliced" \
    "$O" slice extm/m.onnx extm/weights --overwrite
check "the external data is still there" test -s extm/weights/w.bin
# value_info on every value (as shape-inferred exports have) costs time in
# proportion, not slices x entries: 20,000 nodes cut one per node
py - <<'EOF'
import onnx, numpy as np
from onnx import helper as h, TensorProto as T, numpy_helper as nh
X = h.make_tensor_value_info
nodes, prev = [], 'x'
for i in range(10000):
    nodes += [h.make_node('Add', [prev, 'c'], ['a%d' % i]), h.make_node('Relu', ['a%d' % i], ['r%d' % i])]
    prev = 'r%d' % i
g = h.make_graph(nodes, 'g', [X('x', T.FLOAT, [4])], [X(prev, T.FLOAT, [4])],
                 [nh.from_array(np.ones(4, np.float32), 'c')])
m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)])
m.ir_version = 8
onnx.save(m, 'chain.onnx')
m.graph.value_info.extend(X(n.output[0], T.FLOAT, [4]) for n in nodes)
onnx.save(m, 'chain_vi.onnx')
EOF
# user CPU time in ms (the files' cost is system time and varies with the disk)
timed() {
    local TIMEFORMAT=%3U t
    t=$({ time "$O" slice "$1" "$2" --strict-per-node --no-optimize --no-sync --quiet 2>/dev/null; } 2>&1) &&
        [ -f "$2/metadata.json" ] && echo "${t/./}" | sed 's/^0*//; s/^$/0/'
}
if t_plain=$(timed chain.onnx sl_plain) && t_vi=$(timed chain_vi.onnx sl_vi); then
    check "value_info: $t_vi ms of CPU vs $t_plain ms without" \
        test "$t_vi" -lt $((2 * t_plain + 2000))
    check "value_info: each slice keeps the entries of the values it does not hand on" sh -c \
        "'$O' slice chain_vi.onnx sl_vi2 --segments 3 --no-optimize --quiet && '$PYTHON' -c \"
import onnx
for k in range(3):
    g = onnx.load('sl_vi2/slice_%04d.onnx' % k).graph
    inner = [o for n in g.node for o in n.output if o not in {x.name for x in g.output}]
    assert [v.name for v in g.value_info] == inner and len(inner) > 6000, k
\""
else
    fail=$((fail + 1)); echo "FAIL: slicing the value_info chain"
fi
rm -rf sl_plain sl_vi sl_vi2
# costs that saturate (dims declared near 2^40): sums saturate too instead of
# wrapping, so nodes each over the budget are not merged into one slice
py - <<'EOF'
import onnx
from onnx import helper as h, TensorProto as T
X, N = h.make_tensor_value_info, 2 ** 40
nodes = [h.make_node('MatMul', ['x', 'x'], ['a'], name='mm1'),
         h.make_node('MatMul', ['a', 'a'], ['b'], name='mm2'), h.make_node('Relu', ['b'], ['c'], name='r')]
m = h.make_model(h.make_graph(nodes, 'g', [X('x', T.FLOAT, [N, N])], [X('c', T.FLOAT, [N, N])]),
                 opset_imports=[h.make_opsetid('', 13)])
m.ir_version = 8
onnx.save(m, 'huge.onnx')
EOF
check "--max-cost under saturated costs: every node over it alone" sh -c \
    "'$O' slice huge.onnx sl_huge --max-cost 18446744073709551614 --no-optimize --quiet &&
     '$PYTHON' -c \"import json; m = json.load(open('sl_huge/metadata.json')); assert len(m['slices']) == 3 and len(m['over_budget']) == 3, m['over_budget']\""
rm -rf sl_huge
# an OUTDIR name near the 255-byte limit is valid: its staging folder too
long=$(printf 'd%.0s' $(seq 1 250))
check "OUTDIR named with 250 bytes" "$O" slice "$M" "$long" --quiet
check "  ... in place, nothing staged left" sh -c "test -f '$long/metadata.json' && ! ls -A | grep -q stage"
check "  ... --overwrite replaces it" "$O" slice "$M" "$long" --overwrite --quiet
rm -rf "$long"
# a tensor name that is not UTF-8 cannot be written exactly into
# metadata.json (it became U+FFFD there, so the chain by name broke): refused
py - <<'EOF'
import onnx
from onnx import helper as h, TensorProto as T
X = h.make_tensor_value_info
g = h.make_graph([h.make_node('Relu', ['x'], ['MARK'], name='n1'), h.make_node('Neg', ['MARK'], ['y'], name='n2')],
                 'g', [X('x', T.FLOAT, [4])], [X('y', T.FLOAT, [4])])
m = h.make_model(g, opset_imports=[h.make_opsetid('', 13)])
m.ir_version = 8
open('badname.onnx', 'wb').write(m.SerializeToString().replace(b'MARK', b'MA\xffK'))
EOF
expect_fail2 "a crossing tensor name not UTF-8" "is not valid UTF-8" \
    "$O" slice badname.onnx bad10 --strict-per-node
no_leftovers "not UTF-8: no folder" . bad10
many=$(seq 1 5000 | sed 's/^/t/' | paste -sd, -)
expect_fail2 "--at with more than 4096 names says so" "1 to 4096 of them" "$O" slice "$M" bad_many --at "$many"
expect_fail2 "--supported-ops with more than 4096 says so" "1 to 4096 of them" "$O" slice "$M" bad_many2 --supported-ops "$many"
finish
