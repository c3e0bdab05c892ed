#!/usr/bin/env bash
# The structural passes on crafted models (tests/models/make_pass_cases.py):
# each case says how many nodes of an op type (or initializers) must remain, so the pass must
# fire where it should and not where it must not (graph outputs keep their
# names, subgraph reads count); every optimized model must compute what the
# original computes (onnxfold verify, exact) and pass onnx.checker.
. "$(dirname "$0")/lib.sh"
O=$ONNXFOLD
cd "$work" || exit 1
py "$SRC/tests/models/make_pass_cases.py" . >gen.log 2>&1 || { cat gen.log; exit 1; }
while read -r f op want flag; do
    out="opt_$f"
    if ! "$O" optimize "$f" "$out" --verbose >"$f.log" 2>&1; then
        fail=$((fail + 1)); echo "FAIL: $f: optimize failed"; sed 's/^/    | /' "$f.log"; continue
    fi
    n=$(py -c "
import onnx
g = onnx.load('$out').graph
print(len(g.initializer) if '$op' == 'Initializers' else sum(n.op_type == '$op' for n in g.node))")
    if [ "$n" = "$want" ]; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL: $f: $n $op left, expected $want"; sed 's/^/    | /' "$f.log"; fi
    # a model with random operators computes other values on every run
    [ "$flag" = random ] || check "$f: same outputs" "$O" verify "$out" "$f" --seed 1 --rtol 0 --atol 0
    check "$f: graph outputs keep their names" py -c "
import onnx
a, b = onnx.load('$f'), onnx.load('$out')
assert [o.name for o in a.graph.output] == [o.name for o in b.graph.output]
onnx.checker.check_model(b, full_check=True)"
done <cases.txt
finish
