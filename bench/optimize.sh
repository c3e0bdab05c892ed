#!/usr/bin/env bash
# bench/optimize.sh -- speed, memory and thoroughness of `onnxfold optimize`
# (issue #5), against `cp` and against onnxruntime's own graph optimizer,
# side by side in one run.
#
# Usage:
#     bench/optimize.sh [ONNXFOLD [MODELDIR]]
#         ONNXFOLD  onnxfold binary   (default: <repo>/build/onnxfold)
#         MODELDIR  generated models  (default: <repo>/bench/out; temporaries
#                   go to MODELDIR/optimize.tmp/, same file system)
#     Environment: RUNS=5 (timed runs per command), BIG_RUNS=3 (the same for
#     the 2.5 GiB model), VERIFY=1 (0 skips the numeric output checks),
#     SKIP_VGG=1, SKIP_BIG=1, SKIP_THOROUGH=1 (leave a part out), KEEP_BIG=1
#     (keep the generated 2.5 GiB model), KEEP_TMP=1, CP_FLAGS (as run.sh).
#
# Needs: the onnxfold build, node + the repository's node_modules
# (scripts/deps.sh test), /usr/bin/python3 with onnx and numpy,
# /usr/bin/time; python3-torch + torchvision only to generate vgg11_bn (once,
# 1-2 min, kept in MODELDIR) and bench/out/resnet50.onnx.  Disk: ~1.5 GB for
# the vgg11_bn part, ~7.6 GiB at peak for the big model (input, cp copy and
# optimized output, 2.5 GiB each; checked before, printed, removed after).
#
# What it measures:
#   1. speed, for resnet50 (tests/models/torch/resnet50_cal_op13, 102.5 MB,
#      53 BatchNormalization) and vgg11_bn (bench/gen_torch.py, 531 MB, 8 BN),
#      one group of alternating commands per model:
#        cp M x.onnx                  vs  onnxfold optimize --no-sync M y.onnx
#        cp M xs.onnx && sync xs.onnx vs  onnxfold optimize M ys.onnx (fsync)
#        node bench/ort_optimize.js M z.onnx --opt basic   (onnxruntime: load,
#             optimize, save the optimized model; node start-up included)
#      -> ratios optimize/cp (target <= 1.5, both pairings), onnxfold
#         --no-sync / onnxruntime (target < 1: onnxfold faster; neither
#         syncs), peak RSS of onnxfold / file size (target <= 2.2), peak RSS
#         of onnxruntime (info); the output must have no BatchNormalization
#         left and (VERIFY=1) compute what the input computes: onnxruntime
#         runs both on one seed-0 image: max|a-b| / max|a| within the bound
#         of tests/scripts/interop_models.sh, max(1e-4, 2 x onnxruntime's
#         own basic-level vs unoptimized disagreement on the same input)
#         (folding BN into the weights changes the float rounding: on
#         resnet50 onnxruntime's own fusion is off by 1.1e-4), else FAIL.
#   2. a 2.5 GiB model with external data (bench/gen_big_external.py: 40 x
#      Conv 4096x4096 + BN + Relu, one weights.bin), BIG_RUNS alternating:
#        cp model.onnx weights.bin DIR/      vs
#        onnxfold optimize --no-sync model.onnx OUT/model.onnx --external-data weights.bin
#      -> ratio (target <= 1.5), peak RSS (target < 512 MiB), every BN fused
#         (0 BatchNormalization, 40 Conv in the output), VERIFY=1: onnxruntime
#         runs input and output model on one random input, the same bound.
#   3. thoroughness, for every tests/models/torch/*_cal_* model plus
#      bench/out/resnet50.onnx (gen_models.py) and vgg11_bn: nodes and
#      initializers of the original, of onnxruntime's basic-level optimized
#      model (ort_optimize.js) and of onnxfold's (default passes), and the
#      BatchNormalization nodes left after onnxfold -- in all, and those that
#      follow a Conv/Gemm whose output only they use (the fusable ones:
#      densenet121's BNs after a Concat have nothing to fold into, onnxruntime
#      keeps them too).  Target per model: onnxfold nodes <= onnxruntime
#      basic nodes and 0 fusable BN left.  Counts by bench/graph_stats.py
#      (the onnx package, independent of onnxfold).
#   Then the tables: figure / measured / target / PASS, MISS or FAIL (FAIL:
#   the command failed or its output is wrong), and the thoroughness table.
#   Exit status: 0 if every target is met, 1 otherwise, 2 on a usage error.
#
# Method: bench/lib.sh (one warm-up, then alternating runs, median time, max
# peak RSS from /usr/bin/time, previous outputs deleted and `sync` before
# every run, outside the timed region).

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
BIG_RUNS=${BIG_RUNS:-3}
VERIFY=${VERIFY:-1}
check_runs
case "$BIG_RUNS" in '' | *[!0-9]* | 0) echo "optimize.sh: BIG_RUNS must be a positive integer" >&2; exit 2 ;; esac
if [ ! -x "$BIN" ]; then
    echo "optimize.sh: onnxfold binary not found or not executable: $BIN (build it first)" >&2
    exit 2
fi
ORT_OPT=$ROOT/bench/ort_optimize.js
ORT_RUN=$ROOT/tests/interop/ort_run.js
if ! command -v node >/dev/null || ! (cd "$ROOT" && node -e 'require("onnxruntime-node")') 2>/dev/null; then
    echo "optimize.sh: node or onnxruntime-node missing: run scripts/deps.sh test" >&2
    exit 2
fi

mkdir -p "$OUTDIR/optimize"
BENCH_TMP_PARENT=$OUTDIR
bench_init optimize
cp_cmd "$TMP"
BIG=$OUTDIR/big_conv_bn
bench_cleanup_extra() {
    if [ "${KEEP_BIG:-0}" != 1 ]; then rm -rf "$BIG"; fi
}

echo "onnxfold:  $BIN ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "runtime:   onnxruntime-node $(cd "$ROOT" && node -p 'require("onnxruntime-node/package.json").version'), node $(node --version)"
echo "machine:   $(machine_note)"
echo "runs:      $RUNS timed (+1 warm-up) per command ($BIG_RUNS for the big model), alternating;"
echo "           median time, max peak RSS; cp: ${CP[*]}"

fig() {
    if failed "$1"; then echo "n/a ($(why_failed "$1"))"; else echo "$2"; fi
}
mib() { calc_fmt '%.1f' 'k / 1024' k="$1"; }
# judged LABEL VALUE OP LIMIT OK: a row judged against OP LIMIT, FAIL unless OK=1.
judged() {
    if [ "$5" != 1 ]; then row "$1" "$2" "$3 $4" FAIL
    else row "$1" "$2" "$3 $4" "$(judge "$2" "$3" "$4")"; fi
}
# stats FILE...: bench/graph_stats.py lines ("nodes inits bn fusable conv bytes path")
stats() { "$PY" "$ROOT/bench/graph_stats.py" "$@" 2>>"$TMP/stats.err"; }
# same_outputs A B IN: onnxruntime runs model A (--opt disabled and basic) and
# model B (--opt disabled) on the inputs in IN; sets V_REL = max|b - a| /
# max|a| (rel_error; FAIL when they cannot be compared) and V_BOUND = the
# interop test's bound (interop_bound: max(1e-4, 2 x onnxruntime's own basic
# vs disabled disagreement on A)).
same_outputs() {
    rm -rf "$TMP/va" "$TMP/vb" "$TMP/vc"
    V_REL=FAIL V_BOUND=1e-4
    if ! node "$ORT_RUN" "$1" --input-dir "$3" --output-dir "$TMP/va" 2>"$TMP/va.err" ||
        ! node "$ORT_RUN" "$2" --input-dir "$3" --output-dir "$TMP/vb" 2>"$TMP/vb.err"; then
        sed 's/^/   ! /' "$TMP/va.err" "$TMP/vb.err" | head -n 5 >&2
        return
    fi
    node "$ORT_RUN" "$1" --input-dir "$3" --output-dir "$TMP/vc" --opt basic 2>/dev/null
    V_BOUND=$(interop_bound "$TMP/va" "$TMP/vc")
    V_REL=$(rel_error "$TMP/vb" "$TMP/va")
    rm -rf "$TMP/va" "$TMP/vb" "$TMP/vc"
}
# error_row REL BOUND: the output-error row (FAIL above the bound: wrong output).
error_row() {
    local st
    case "$1" in
        skipped | n/a) st=info ;;
        *) if [ "$(judge "$1" '<=' "$2")" = PASS ]; then st=PASS; else st=FAIL; fi ;;
    esac
    row "output error optimized vs original (max abs diff / max)" "$1" "<= $2" "$st"
}

# ------------------------------------------------------------------ models
RESNET=$OUTDIR/optimize/resnet50_cal_op13.onnx
gunzip_to "$ROOT/tests/models/torch/resnet50_cal_op13.onnx.gz" "$RESNET"
VGG=$OUTDIR/vgg11_bn_op13.onnx
VGG_WHY=""
if [ "${SKIP_VGG:-0}" = 1 ]; then
    VGG_WHY="SKIP_VGG=1"
elif [ ! -e "$VGG" ]; then
    echo "== generating vgg11_bn with bench/gen_torch.py (1-2 min, ~3 GiB of memory)"
    "$PY" "$ROOT/bench/gen_torch.py" "$OUTDIR" >"$TMP/gen_torch.log" 2>&1 ||
        { VGG_WHY="gen_torch.py failed"; tail -n 3 "$TMP/gen_torch.log" >&2; }
fi
GEN_RESNET=$OUTDIR/resnet50.onnx
if [ ! -e "$GEN_RESNET" ] && [ "${SKIP_THOROUGH:-0}" != 1 ]; then
    echo "== generating bench/out/resnet50.onnx with bench/gen_models.py --only resnet50"
    "$PY" "$ROOT/bench/gen_models.py" "$OUTDIR" --only resnet50 >"$TMP/gen_models.log" 2>&1 ||
        tail -n 3 "$TMP/gen_models.log" >&2
fi

# ------------------------------------------------------------------ 1. speed
# speed NAME MODEL: the five-command group and its rows.
speed() {
    local name=$1 model=$2 fsz in v=n/a bound=1e-4 bn
    fsz=$(size_of "$model")
    echo "== $name: cp vs onnxfold optimize vs onnxruntime basic ($(basename "$model"))"
    section "-- $name ($(basename "$model"), $(calc_fmt '%.1f' 's / 1e6' s="$fsz") MB)"
    CMD_cp=("${CP[@]}" "$model" "$TMP/x.onnx")
    CMD_ofn=("$BIN" optimize --no-sync "$model" "$TMP/y.onnx")
    # shellcheck disable=SC2016
    CMD_cps=(bash -c '"$@" && sync "${@: -1}"' bash "${CP[@]}" "$model" "$TMP/xs.onnx")
    CMD_ofs=("$BIN" optimize "$model" "$TMP/ys.onnx")
    CMD_ort=(node "$ORT_OPT" "$model" "$TMP/z.onnx" --opt basic)
    prep_cp() { rm -f "$TMP/x.onnx"; }
    prep_ofn() { rm -f "$TMP/y.onnx"; }
    prep_cps() { rm -f "$TMP/xs.onnx"; }
    prep_ofs() { rm -f "$TMP/ys.onnx"; }
    prep_ort() { rm -f "$TMP/z.onnx"; }
    bench_group cp ofn cps ofs ort

    # correctness of onnxfold's output: no BN left, same outputs
    local ok=1 bn_txt=n/a
    if failed ofn || failed ofs; then
        ok=0
    else
        read -r _ _ bn _ <<<"$(stats "$TMP/y.onnx")"
        bn_txt=$bn
        [ "$bn" = 0 ] || ok=0
        v=skipped
        if [ "$VERIFY" != 0 ]; then
            in=$OUTDIR/optimize/$name.in
            [ -e "$in/input_0.npy" ] ||
                "$PY" "$ROOT/tests/interop/gen_inputs.py" "$model" "$in" --seed 0 >/dev/null
            same_outputs "$model" "$TMP/y.onnx" "$in"
            v=$V_REL bound=$V_BOUND
            [ "$(judge "$v" '<=' "$bound")" = PASS ] || ok=0
        fi
    fi
    local t_cp t_ofn t_cps t_ofs t_ort rss
    t_cp=$(median_time cp); t_ofn=$(median_time ofn)
    t_cps=$(median_time cps); t_ofs=$(median_time ofs); t_ort=$(median_time ort)
    rss=$(max_rss ofs)
    row "cp (s)" "$(fig cp "$t_cp")" "-" info
    row "onnxfold optimize --no-sync (s)" "$(fig ofn "$t_ofn")" "-" info
    judged "ratio optimize --no-sync / cp" "$(fig ofn "$(calc 'b / a' a="$t_cp" b="$t_ofn")")" "<=" 1.5 "$ok"
    row "cp + sync (s)" "$(fig cps "$t_cps")" "-" info
    row "onnxfold optimize, fsync (s)" "$(fig ofs "$t_ofs")" "-" info
    judged "ratio optimize / cp + sync" "$(fig ofs "$(calc 'b / a' a="$t_cps" b="$t_ofs")")" "<=" 1.5 "$ok"
    row "onnxruntime basic load+optimize+save (s)" "$(fig ort "$t_ort")" "-" info
    row "  of which session creation (ms)" "$(fig ort "$(calc_fmt '%.0f' x x="$(json_field ort create_ms)")")" "-" info
    if failed ort; then
        row "ratio optimize --no-sync / onnxruntime" "$(fig ort n/a)" "< 1" FAIL
    else
        judged "ratio optimize --no-sync / onnxruntime" "$(fig ofn "$(calc 'b / a' a="$t_ort" b="$t_ofn")")" "<" 1 "$ok"
    fi
    row "peak RSS onnxfold optimize (MiB)" "$(fig ofs "$(mib "$rss")")" "-" info
    judged "peak RSS onnxfold / file size" "$(fig ofs "$(calc 'r * 1024 / s' r="$rss" s="$fsz")")" "<=" 2.2 "$ok"
    row "peak RSS onnxruntime basic (MiB)" "$(fig ort "$(mib "$(max_rss ort)")")" "-" info
    row "BatchNormalization left after onnxfold" "$bn_txt" "0" \
        "$([ "$bn_txt" = 0 ] && echo PASS || echo FAIL)"
    error_row "$v" "$bound"
    rm -f "$TMP/x.onnx" "$TMP/y.onnx" "$TMP/xs.onnx" "$TMP/ys.onnx" "$TMP/z.onnx"
}

speed resnet50 "$RESNET"
if [ -z "$VGG_WHY" ] && [ -e "$VGG" ]; then
    speed vgg11_bn "$VGG"
else
    section "-- vgg11_bn"
    row "vgg11_bn speed" "n/a (${VGG_WHY:-no $VGG})" "-" "$([ "${SKIP_VGG:-0}" = 1 ] && echo info || echo FAIL)"
fi

# ------------------------------------------------------------------ 2. big external
if [ "${SKIP_BIG:-0}" != 1 ]; then
    echo "== big external: gen_big_external.py, then cp vs onnxfold optimize --external-data"
    section "-- 2.5 GiB Conv+BN model, external data (bench/gen_big_external.py)"
    s=$(now)
    gen_ok=1
    "$PY" "$ROOT/bench/gen_big_external.py" "$BIG" >"$TMP/gen_big.log" 2>&1 ||
        { gen_ok=0; tail -n 3 "$TMP/gen_big.log" >&2; }
    e=$(now)
    if [ "$gen_ok" = 1 ]; then
        dsz=$(size_of "$BIG/weights.bin"); msz=$(size_of "$BIG/model.onnx")
        need=$(((dsz + msz) * 3))
        avail=$(($(df -P -k "$OUTDIR" | awk 'NR == 2 { print $4 }') * 1024))
        row "external data size (GiB)" "$(calc 's / 1073741824' s="$dsz")" "-" info
        if grep -q ' exists ' "$TMP/gen_big.log"; then
            row "generation time (s)" "n/a (kept from an earlier run)" "-" info
        else
            row "generation time (s)" "$(calc 'e - s' e="$e" s="$s")" "-" info
        fi
        row "disk needed at peak: input + cp + output (GiB)" "$(calc 'n / 1073741824' n="$need")" "-" info
    fi
    if [ "$gen_ok" != 1 ]; then
        row "big model" "n/a (gen_big_external.py failed)" "-" FAIL
    elif [ "$avail" -lt $((need - dsz - msz + 268435456)) ]; then
        row "big model" "n/a (only $((avail >> 20)) MiB free)" "-" FAIL
    else
        mkdir -p "$TMP/big_cp" "$TMP/big_of"
        CMD_bcp=("${CP[@]}" "$BIG/model.onnx" "$BIG/weights.bin" "$TMP/big_cp/")
        CMD_bof=("$BIN" optimize --no-sync "$BIG/model.onnx" "$TMP/big_of/model.onnx"
            --external-data weights.bin)
        prep_bcp() { rm -f "$TMP/big_cp/"*; }
        prep_bof() { rm -f "$TMP/big_of/"*; }
        RUNS_SAVED=$RUNS RUNS=$BIG_RUNS
        bench_group bcp bof
        RUNS=$RUNS_SAVED
        rm -f "$TMP/big_cp/"*
        ok=1 bn=n/a conv=n/a v=n/a bound=1e-4
        if failed bof; then
            ok=0
        else
            read -r _ _ bn _ conv _ <<<"$(stats "$TMP/big_of/model.onnx")"
            { [ "$bn" = 0 ] && [ "$conv" = 40 ]; } || ok=0
            v=skipped
            if [ "$VERIFY" != 0 ]; then
                "$PY" "$ROOT/tests/interop/gen_inputs.py" "$BIG/model.onnx" "$TMP/big_in" --seed 0 >/dev/null
                same_outputs "$BIG/model.onnx" "$TMP/big_of/model.onnx" "$TMP/big_in"
                v=$V_REL bound=$V_BOUND
                [ "$(judge "$v" '<=' "$bound")" = PASS ] || ok=0
            fi
        fi
        t_cp=$(median_time bcp); t_of=$(median_time bof); rss=$(max_rss bof)
        row "cp model.onnx weights.bin (s)" "$(fig bcp "$t_cp")" "-" info
        row "onnxfold optimize --no-sync --external-data (s)" "$(fig bof "$t_of")" "-" info
        judged "ratio optimize / cp" "$(fig bof "$(calc 'b / a' a="$t_cp" b="$t_of")")" "<=" 1.5 "$ok"
        judged "peak RSS onnxfold optimize (MiB)" "$(fig bof "$(mib "$rss")")" "<" 512 "$ok"
        row "BatchNormalization / Conv after onnxfold" "$bn / $conv" "0 / 40" \
            "$([ "$bn" = 0 ] && [ "$conv" = 40 ] && echo PASS || echo FAIL)"
        error_row "$v" "$bound"
        rm -rf "$TMP/big_of" "$TMP/big_cp" "$TMP/big_in"
    fi
fi

# ------------------------------------------------------------------ 3. thoroughness
TH_LINES=()
if [ "${SKIP_THOROUGH:-0}" != 1 ]; then
    echo "== thoroughness: onnxfold optimize vs onnxruntime basic on every model"
    th=$TMP/th
    mkdir -p "$th"
    models=()
    for f in "$ROOT"/tests/models/torch/*_cal_*.onnx.gz; do models+=("$f"); done
    [ -e "$GEN_RESNET" ] && models+=("$GEN_RESNET")
    [ -e "$VGG" ] && [ "${SKIP_VGG:-0}" != 1 ] && models+=("$VGG")
    n_ok=0 n_all=0 bn_left=0 bn_na=0
    for f in "${models[@]}"; do
        base=$(basename "${f%.gz}" .onnx)
        [ "$f" = "$GEN_RESNET" ] && base="resnet50 (gen_models.py)"
        src=$f
        case "$f" in *.gz) src=$th/x.onnx; gunzip -c "$f" >"$src" ;; esac
        rm -f "$th/of.onnx" "$th/ort.onnx"
        of_why="" ort_why=""
        "$BIN" optimize --no-sync "$src" "$th/of.onnx" >"$th/of.log" 2>&1 ||
            of_why=$(grep -m 1 . "$th/of.log" | cut -c 1-50)
        node "$ORT_OPT" "$src" "$th/ort.onnx" --opt basic >"$th/ort.log" 2>&1 ||
            ort_why=$(grep -m 1 . "$th/ort.log" | cut -c 1-50)
        mapfile -t st < <(stats "$src" "$th/ort.onnx" "$th/of.onnx")
        read -r n0 i0 b0 _ <<<"${st[0]:-n/a n/a n/a}"
        read -r n1 i1 _ <<<"${st[1]:-n/a n/a}"
        read -r n2 i2 b2 f2 _ <<<"${st[2]:-n/a n/a n/a n/a}"
        [ -n "$ort_why" ] && n1="n/a" i1="n/a"
        [ -n "$of_why" ] && n2="n/a" i2="n/a" b2="n/a" f2="n/a"
        n_all=$((n_all + 1))
        status=PASS
        if [ -n "$of_why" ]; then status=FAIL
        elif ! awk -v a="$n2" -v b="$n1" 'BEGIN { exit !(a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/ && a + 0 <= b + 0) }' ||
            [ "$f2" != 0 ]; then status=MISS
        fi
        [ "$status" = PASS ] && n_ok=$((n_ok + 1))
        case "$f2" in n/a) bn_na=1 ;; *) bn_left=$((bn_left + f2)) ;; esac
        TH_LINES+=("$base|$n0|$n1|$n2|$i0|$i1|$i2|$b0|$b2|$f2|$status${of_why:+ ($of_why)}${ort_why:+ (onnxruntime: $ort_why)}")
    done
    rm -rf "$th"
    section "-- thoroughness (table below)"
    row "models with onnxfold nodes <= onnxruntime basic, no fusable BN" "$n_ok / $n_all" "all" \
        "$([ "$n_ok" = "$n_all" ] && echo PASS || echo MISS)"
    row "fusable BatchNormalization left after onnxfold (all models)" \
        "$([ "$bn_na" = 1 ] && echo "n/a" || echo "$bn_left")" "0" \
        "$([ "$bn_na" = 0 ] && [ "$bn_left" = 0 ] && echo PASS || echo MISS)"
fi

# ------------------------------------------------------------------ tables
echo
print_table
if [ "${#TH_LINES[@]}" -gt 0 ]; then
    echo
    echo "thoroughness: main-graph nodes and initializers, original / onnxruntime basic / onnxfold;"
    echo "BN: BatchNormalization in the original / left after onnxfold (of which fusable)"
    fmt='%-34s %17s %17s %14s  %s\n'
    # shellcheck disable=SC2059
    printf "$fmt" model "nodes" "initializers" "BN" status
    # shellcheck disable=SC2059
    printf "$fmt" ----- "orig/ort/fold" "orig/ort/fold" "orig/left(f)" ------
    for l in "${TH_LINES[@]}"; do
        IFS='|' read -r b n0 n1 n2 i0 i1 i2 b0 b2 f2 st <<<"$l"
        # shellcheck disable=SC2059
        printf "$fmt" "$b" "$n0/$n1/$n2" "$i0/$i1/$i2" "$b0/$b2($f2)" "$st"
    done
fi
finish
