#!/usr/bin/env bash
# bench/slice.sh [ONNXFOLD [OUTDIR]] -- the figures of issue #8 for `onnxfold
# slice`, measured side by side in one run:
#
#   1. speed: `slice --per-node` of resnet50 against one `optimize` of it
#      (slicing optimizes first, then writes ~120 standalone models with their
#      SHA-256): ratio slice / optimize, target <= 2;
#   2. storage: the slices of that folder hold each initializer once -- the
#      bytes of all slice files summed against the optimized model's size;
#   3. balance: `slice --segments N` for N = 2, 4, 8, 16 on resnet50 and
#      densenet121: the most expensive slice's constraint estimate against the
#      mean (target <= 1.25 where the node granularity allows: a single node
#      costing more than the mean makes a bound no cut can reach -- the row
#      says so);
#   4. run-slices: the chain's outputs against `run` of the optimized model
#      (bit-identical, cmp).
#
# Models: the committed exports tests/models/torch/resnet50_cal_op13.onnx.gz
# and densenet121_op13.onnx.gz (gunzipped into OUTDIR/slice).
# Method: bench/lib.sh (one warm-up, then RUNS alternating runs, median).
# Exit status: 0 if every target is met, 1 otherwise, 2 on a usage error.

# shellcheck disable=SC2034,SC2317
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
PY=/usr/bin/python3

if [ "$#" -gt 2 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    exit 2
fi
BIN=$(realpath -m "${1:-$ROOT/build/onnxfold}")
OUTDIR=$(realpath -m "${2:-$ROOT/bench/out}")
check_runs
if [ ! -x "$BIN" ]; then
    echo "slice.sh: onnxfold binary not found or not executable: $BIN (build it first)" >&2
    exit 2
fi
mkdir -p "$OUTDIR/slice"
BENCH_TMP_PARENT=$OUTDIR
bench_init slice
M=$OUTDIR/slice
for name in resnet50_cal_op13 densenet121_op13; do
    [ -s "$M/$name.onnx" ] || gunzip -c "$ROOT/tests/models/torch/$name.onnx.gz" >"$M/$name.onnx"
done
R50=$M/resnet50_cal_op13.onnx

echo "onnxfold:  $BIN ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "machine:   $(machine_note)"
echo "runs:      $RUNS timed (+1 warm-up) per command, alternating; median time"

# 1. speed
CMD_opt=("$BIN" optimize --no-sync "$R50" "$TMP/opt.onnx")
prep_opt() { rm -f "$TMP/opt.onnx"; }
CMD_slice=("$BIN" slice --no-sync --quiet "$R50" "$TMP/slices")
prep_slice() { rm -rf "$TMP/slices"; }
bench_group opt slice
t_opt=$(median_time opt)
t_slice=$(median_time slice)
section "-- resnet50 (resnet50_cal_op13.onnx, $(calc_fmt '%.1f' 'b / 1e6' b="$(size_of "$R50")") MB)"
row "onnxfold optimize --no-sync (s)" "$t_opt" "-" info
row "onnxfold slice --per-node --no-sync (s)" "$t_slice" "-" info
ratio=$(calc 'b / a' a="$t_opt" b="$t_slice")
row "ratio slice / optimize" "$ratio" "<= 2" "$(judge "$ratio" "<=" 2)"

# 2. storage (the folder of the last timed run)
"$BIN" optimize --no-sync "$R50" "$TMP/opt.onnx" >/dev/null 2>&1
n_slices=$(ls "$TMP/slices"/slice_*.onnx 2>/dev/null | wc -l)
slice_bytes=$(cat "$TMP/slices"/slice_*.onnx* 2>/dev/null | wc -c)
opt_bytes=$(size_of "$TMP/opt.onnx" 2>/dev/null || echo n/a)
row "slices written" "$n_slices" "-" info
storage=$(calc 'b / a' a="$opt_bytes" b="$slice_bytes")
row "bytes of all slices / optimized model" "$storage" "<= 1.01" "$(judge "$storage" "<=" 1.01)"

# 4. run-slices against run of the optimized model
"$PY" "$ROOT/tests/interop/gen_inputs.py" "$TMP/opt.onnx" "$TMP/in" --seed 1 >/dev/null 2>&1
if "$BIN" run "$TMP/opt.onnx" --input-dir "$TMP/in" --output-dir "$TMP/whole" >/dev/null 2>&1 &&
    "$BIN" run-slices "$TMP/slices" --input-dir "$TMP/in" --output-dir "$TMP/chain" --quiet >/dev/null 2>&1 &&
    cmp -s "$TMP/whole/output_0.pb" "$TMP/chain/output_0.pb"; then
    row "run-slices output = run of the optimized model (cmp)" "identical" "identical" PASS
else
    row "run-slices output = run of the optimized model (cmp)" "different" "identical" FAIL
fi

# 3. balance
for name in resnet50_cal_op13 densenet121_op13; do
    section "-- --segments N on $name: most expensive slice / mean (constraints)"
    for n in 2 4 8 16; do
        rm -rf "$TMP/seg"
        if ! "$BIN" slice --no-sync --quiet "$M/$name.onnx" "$TMP/seg" --segments "$n" >/dev/null 2>"$TMP/seg.err"; then
            row "N=$n" "FAIL" "<= 1.25" FAIL
            continue
        fi
        read -r ratio bound < <("$PY" - "$TMP/seg/metadata.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
costs = [s["cost"]["constraints"] for s in m["slices"]]
mean = sum(costs) / len(costs)
# no cut can do better than the most expensive single node
node_max = 0
for s in m["slices"]:
    if len(s["nodes"]) == 1:
        node_max = max(node_max, s["cost"]["constraints"])
print(f"{max(costs) / mean:.3f} {max(1.25, node_max / mean):.3f}")
PY
)
        if [ "$bound" = "1.250" ]; then
            row "N=$n" "$ratio" "<= 1.25" "$(judge "$ratio" "<=" 1.25)"
        else
            row "N=$n (one node alone costs $bound x the mean)" "$ratio" "<= $bound" "$(judge "$ratio" "<=" "$bound")"
        fi
    done
done

echo
print_table
finish
