#!/usr/bin/env bash
# bench/infer.sh -- inference speed of `onnxfold run` against onnxruntime
# (issue #4: onnxfold <= 3x onnxruntime), side by side in one run.
#
# Usage:
#     bench/infer.sh [ONNXFOLD [MODELDIR]]
#         ONNXFOLD  onnxfold binary   (default: <repo>/build/onnxfold; the
#                   static library libonnxfold.a beside it is used to build
#                   bench/time_run.c)
#         MODELDIR  work folder       (default: <repo>/bench/out; models are
#                   decompressed to MODELDIR/infer/, temporaries go to
#                   MODELDIR/infer.tmp/)
#     Environment: RUNS=5 (timed runs per command), REPEAT=3 (runs inside one
#     process for the in-process figures), THREADS="1 2", MODELS="resnet18
#     resnet50", RESNET50=FILE (another resnet50, e.g. bench/out/resnet50.onnx
#     from gen_models.py; default the committed resnet50_cal_op13), VERIFY=1
#     (0 skips the output comparison), KEEP_TMP=0.
#
# Needs: the onnxfold build, node and the repository's node_modules
# (scripts/deps.sh test), /usr/bin/python3 with numpy (gen_inputs.py,
# compare_npy.py), /usr/bin/time, cc (for time_run).  Builds only time_run.
#
# What it measures, per model (resnet18_cal_op13 and resnet50_cal_op13 from
# tests/models/torch, batch 1, one seed-0 image from tests/interop/gen_inputs.py)
# and thread count T (1, then 2):
#   whole process (start, load, plan, run, write the outputs), one group of
#   alternating commands:
#     onnxfold run M --threads T --input-dir IN --output-dir OUT --npy
#     node tests/interop/ort_run.js M --threads T --opt disabled ... --time
#     node tests/interop/ort_run.js M --threads T --opt all ... --time   (T > 1)
#   -> median wall times, ratio onnxfold / onnxruntime (target <= 3: at T=1
#      against --opt disabled, the same graph; at T=2 against --opt all,
#      onnxruntime's default; the other pairing is shown as info), peak RSS
#      of each (node's own ~50 MB included).  node's start-up (~50-100 ms)
#      is part of onnxruntime's whole-process time.
#   in process, a second group:
#     bench/time_run M --threads T --repeat REPEAT   (the static library)
#     node tests/interop/ort_run.js M --threads T --opt disabled --repeat REPEAT --time
#   -> load + plan (onnxfold) / session creation (onnxruntime) and the run
#      time (median of the REPEAT runs of a process, then median over the
#      RUNS processes), ratio of run times (info).
#   Outputs: onnxfold's output is compared with onnxruntime's (--opt
#   disabled): max|a-b| / max|b| (tests/interop/compare_npy.py), target: the
#   bound of tests/scripts/interop_models.sh, max(1e-4, 2 x onnxruntime's own
#   basic-level vs unoptimized disagreement on the same input; two extra
#   untimed onnxruntime runs per model), MISS beyond; beyond max(1e-3, that
#   bound) the result counts as wrong and the ratio rows turn FAIL (a fast
#   but wrong run cannot pass).  At 2 threads onnxruntime --opt all against
#   --opt disabled is shown too, for scale.
#
# A command that fails (onnxfold: e.g. an operator not implemented yet) is
# shown as "n/a (operator Conv missing)" with status FAIL instead of stopping
# the script.  Exit status: 0 if every target is met, 1 otherwise, 2 on a
# usage error.  Method: bench/lib.sh (warm-up, alternating runs, median,
# /usr/bin/time peak RSS, sync outside the timed region).

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
REPEAT=${REPEAT:-3}
THREADS=${THREADS:-1 2}
MODELS=${MODELS:-resnet18 resnet50}
VERIFY=${VERIFY:-1}
check_runs
case "$REPEAT" in '' | *[!0-9]* | 0) echo "infer.sh: REPEAT must be a positive integer" >&2; exit 2 ;; esac
for t in $THREADS; do
    case "$t" in *[!0-9]* | 0) echo "infer.sh: THREADS must be positive integers" >&2; exit 2 ;; esac
done
if [ ! -x "$BIN" ]; then
    echo "infer.sh: onnxfold binary not found or not executable: $BIN (build it first)" >&2
    exit 2
fi
ORT_RUN=$ROOT/tests/interop/ort_run.js
if ! command -v node >/dev/null || ! (cd "$ROOT" && node -e 'require("onnxruntime-node")') 2>/dev/null; then
    echo "infer.sh: node or onnxruntime-node missing: run scripts/deps.sh test" >&2
    exit 2
fi

declare -A SRC=(
    [resnet18]=$ROOT/tests/models/torch/resnet18_cal_op13.onnx.gz
    [resnet50]=${RESNET50:-$ROOT/tests/models/torch/resnet50_cal_op13.onnx.gz}
)
for m in $MODELS; do
    if [ -z "${SRC[$m]:-}" ] || [ ! -e "${SRC[$m]}" ]; then
        echo "infer.sh: unknown model or missing file: $m (${SRC[$m]:-})" >&2
        exit 2
    fi
done

BENCH_TMP_PARENT=$OUTDIR
mkdir -p "$OUTDIR/infer"
bench_init infer

# ------------------------------------------------------------------ time_run
# Built against the static library beside the binary, once per library build.
LIB=$(dirname "$BIN")/libonnxfold.a
TIME_RUN=$(dirname "$BIN")/bench_time_run
TIME_RUN_WHY=""
if [ ! -e "$LIB" ]; then
    TIME_RUN_WHY="no $LIB"
elif [ ! -x "$TIME_RUN" ] || [ "$LIB" -nt "$TIME_RUN" ] || [ "$ROOT/bench/time_run.c" -nt "$TIME_RUN" ]; then
    # shellcheck disable=SC2046
    if ! cc -O2 -std=c11 -Wall -Wextra -I"$ROOT/include" "$ROOT/bench/time_run.c" "$LIB" \
        $(pkg-config --libs libprotobuf-c 2>/dev/null || echo -lprotobuf-c) -lpthread -lm \
        -o "$TIME_RUN" 2>"$TMP/time_run.build"; then
        sed 's/^/   ! /' "$TMP/time_run.build" | head -n 5 >&2
        TIME_RUN_WHY="time_run does not build"
    fi
fi

echo "onnxfold:  $BIN ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "runtime:   onnxruntime-node $(cd "$ROOT" && node -p 'require("onnxruntime-node/package.json").version'), node $(node --version)"
echo "machine:   $(machine_note)"
echo "runs:      $RUNS timed (+1 warm-up) per command, alternating; median time, max RSS;"
echo "           in-process: $REPEAT runs per process, median"

# judge_ratio LABEL RATIO LIMIT OK: the ratio row (FAIL unless OK=1).
judge_ratio() {
    if [ "$4" != 1 ]; then row "$1" "$2" "<= $3" FAIL
    else row "$1" "$2" "<= $3" "$(judge "$2" '<=' "$3")"; fi
}
# fig NAME VALUE: VALUE, or "n/a (reason)" when command NAME failed.
fig() {
    if failed "$1"; then echo "n/a ($(why_failed "$1"))"; else echo "$2"; fi
}
mib() { calc_fmt '%.1f' 'k / 1024' k="$1"; }

for m in $MODELS; do
    src=${SRC[$m]}
    model=$OUTDIR/infer/$(basename "${src%.gz}")
    case "$src" in *.gz) gunzip_to "$src" "$model" ;; *) model=$src ;; esac
    in=$OUTDIR/infer/$(basename "${model%.onnx}").in
    if [ ! -e "$in/input_0.npy" ] || [ "$model" -nt "$in/input_0.npy" ]; then
        "$PY" "$ROOT/tests/interop/gen_inputs.py" "$model" "$in" --seed 0 >/dev/null ||
            { echo "infer.sh: gen_inputs.py failed on $model" >&2; exit 2; }
    fi
    # the agreement bound of tests/scripts/interop_models.sh for this input
    bound=1e-4
    if [ "$VERIFY" != 0 ]; then
        rm -rf "$TMP/nd" "$TMP/nb"
        node "$ORT_RUN" "$model" --input-dir "$in" --output-dir "$TMP/nd" 2>/dev/null &&
            node "$ORT_RUN" "$model" --input-dir "$in" --output-dir "$TMP/nb" --opt basic 2>/dev/null &&
            bound=$(interop_bound "$TMP/nd" "$TMP/nb")
        rm -rf "$TMP/nd" "$TMP/nb"
    fi
    wrong=$(awk -v b="$bound" 'BEGIN { printf "%.1e", (b > 1e-3 ? b : 1e-3) }')
    for T in $THREADS; do
        tag="$m, $T thread$([ "$T" = 1 ] || echo s)"
        echo "== $tag: onnxfold run vs onnxruntime ($(basename "$model"))"
        section "-- $tag ($(basename "$model"), $(calc_fmt '%.1f' 's / 1e6' s="$(size_of "$model")") MB)"
        CMD_of=("$BIN" run "$model" --threads "$T" --input-dir "$in" --output-dir "$TMP/of" --npy)
        CMD_od=(node "$ORT_RUN" "$model" --threads "$T" --opt disabled --input-dir "$in"
            --output-dir "$TMP/od" --time)
        CMD_oa=(node "$ORT_RUN" "$model" --threads "$T" --opt all --input-dir "$in"
            --output-dir "$TMP/oa" --time)
        prep_of() { rm -rf "$TMP/of"; }
        prep_od() { rm -rf "$TMP/od"; }
        prep_oa() { rm -rf "$TMP/oa"; }
        if [ "$T" = 1 ]; then bench_group of od; else bench_group of od oa; fi

        # outputs agree?  rel = max|onnxfold - onnxruntime| / max|onnxruntime|:
        # within $bound (interop test's bound) or MISS; beyond $wrong the
        # result is wrong (the speed rows turn FAIL).
        agree=1 rel=skipped
        if failed of || failed od; then
            agree=0 rel="n/a"
        elif [ "$VERIFY" != 0 ]; then
            rel=$(rel_error "$TMP/of" "$TMP/od")
            [ "$(judge "$rel" '<=' "$wrong")" = PASS ] || agree=0
        fi

        t_of=$(median_time of); t_od=$(median_time od)
        row "onnxfold run, whole process (s)" "$(fig of "$t_of")" "-" info
        row "onnxruntime --opt disabled, whole process (s)" "$(fig od "$t_od")" "-" info
        c_od=$(json_field od create_ms); r_od=$(json_field od run_ms)
        row "  of which session creation / first run (ms)" \
            "$(fig od "$(calc_fmt '%.0f' 'c' c="$c_od") / $(calc_fmt '%.0f' 'r' r="$r_od")")" "-" info
        r1=$(calc 'a / b' a="$t_of" b="$t_od")
        if [ "$T" = 1 ]; then
            judge_ratio "ratio onnxfold / onnxruntime (disabled)" "$(fig of "$r1")" 3 "$agree"
        else
            row "ratio onnxfold / onnxruntime (disabled)" "$(fig of "$r1")" "-" info
            t_oa=$(median_time oa)
            row "onnxruntime --opt all, whole process (s)" "$(fig oa "$t_oa")" "-" info
            r2=$(calc 'a / b' a="$t_of" b="$t_oa")
            if failed oa; then agree_a=0; else agree_a=$agree; fi
            judge_ratio "ratio onnxfold / onnxruntime (all)" "$(fig of "$(fig oa "$r2")")" 3 "$agree_a"
        fi
        case "$rel" in
            skipped | n/a) st=info ;;
            FAIL) st=FAIL ;;
            *) if [ "$agree" = 1 ]; then st=$(judge "$rel" '<=' "$bound"); else st=FAIL; fi ;;
        esac
        row "output error vs onnxruntime (max abs diff / max)" "$rel" "<= $bound" "$st"
        if [ "$T" != 1 ] && ! failed oa && ! failed od && [ "$VERIFY" != 0 ]; then
            row "  onnxruntime all vs disabled, same measure" "$(rel_error "$TMP/oa" "$TMP/od")" "-" info
        fi
        row "peak RSS onnxfold run (MiB)" "$(fig of "$(mib "$(max_rss of)")")" "-" info
        row "peak RSS onnxruntime disabled (MiB)" "$(fig od "$(mib "$(max_rss od)")")" "-" info
        [ "$T" = 1 ] || row "peak RSS onnxruntime all (MiB)" "$(fig oa "$(mib "$(max_rss oa)")")" "-" info
        # keep for the thread-scaling rows
        eval "T_OF_${m}_$T=\$t_of"

        # in-process figures
        CMD_if=("$TIME_RUN" "$model" --threads "$T" --repeat "$REPEAT" --input-dir "$in")
        CMD_io=(node "$ORT_RUN" "$model" --threads "$T" --opt disabled --input-dir "$in"
            --output-dir "$TMP/io" --repeat "$REPEAT" --time)
        prep_io() { rm -rf "$TMP/io"; }
        if [ -n "$TIME_RUN_WHY" ]; then
            bench_group io
            CMD_if=(false)
            echo "$TIME_RUN_WHY" >"$TMP/err.if"
            echo "0 n/a 1" >"$TMP/res.if"
        else
            bench_group if io
        fi
        lp=$(json_field if create_ms); ri=$(json_field if run_ms)
        cio=$(json_field io create_ms); rio=$(json_field io run_ms)
        row "in-process onnxfold load + plan (ms)" "$(fig if "$(calc_fmt '%.1f' x x="$lp")")" "-" info
        row "in-process onnxfold run (ms)" "$(fig if "$(calc_fmt '%.1f' x x="$ri")")" "-" info
        row "in-process onnxruntime create (ms)" "$(fig io "$(calc_fmt '%.1f' x x="$cio")")" "-" info
        row "in-process onnxruntime run (ms)" "$(fig io "$(calc_fmt '%.1f' x x="$rio")")" "-" info
        row "in-process run ratio onnxfold / onnxruntime" "$(fig if "$(fig io "$(calc 'a / b' a="$ri" b="$rio")")")" "-" info
    done
    # thread scaling of onnxfold's whole process
    read -ra th <<<"$THREADS"
    if [ "${#th[@]}" -ge 2 ]; then
        a=T_OF_${m}_${th[0]} b=T_OF_${m}_${th[-1]}
        row "$m onnxfold speed-up ${th[-1]} threads vs ${th[0]} (whole process)" \
            "$(calc 'a / b' a="${!a:-n/a}" b="${!b:-n/a}")" "-" info
    fi
done

echo
print_table
finish
