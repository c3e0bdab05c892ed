#!/usr/bin/env bash
# bench/run.sh -- time and memory benchmark of `onnxfold convert` (load+save).
#
# Usage:
#     bench/run.sh [ONNXFOLD [MODELDIR]]
#         ONNXFOLD  onnxfold binary          (default: <repo>/build/onnxfold)
#         MODELDIR  generated models folder  (default: <repo>/bench/out)
#     Environment: RUNS=5 (timed runs per command), VERIFY=1 (0 skips the
#     output check), KEEP_TMP=0 (1 keeps MODELDIR/tmp), CP_FLAGS (extra cp
#     flags, see "cp baseline" below).
#
# Builds nothing.  Runs bench/gen_models.py MODELDIR first if any model is
# missing (a first run takes ~25 s and needs ~2.5 GB of disk; the large
# outputs written below need another ~4.5 GB while they exist).
#
# What it measures (side by side, in one run):
#   1. resnet50 (~100 MB, all tensors inline), two pairs:
#        cp resnet50.onnx TMP/x.onnx   vs   onnxfold convert --no-sync ... TMP/y.onnx
#        cp ... && sync TMP/xs.onnx    vs   onnxfold convert ... TMP/ys.onnx (fsync)
#      -> median time of each, both ratios (target <= 1.5), the mixed ratio
#         (durable convert vs plain cp, info), peak RSS of onnxfold in KiB and
#         peak RSS / file size (target <= 2.2).
#   2. big_external (2.2 GiB of external data in weights.bin):
#        cp big_external/weights.bin TMP/ext_cp/weights.bin   vs
#        onnxfold convert big_external/model.onnx TMP/ext_out/model.onnx \
#                 --external-data weights.bin
#      -> peak RSS of onnxfold (target < 256 MiB) and time ratio convert/cp
#         (reported, no target).
#   3. scaling: onnxfold convert chain_10k.onnx vs chain_100k.onnx (10,000 vs
#      100,000 nodes) -> time ratio 100k/10k (target <= 12, i.e. near linear).
#   4. memory per node: onnxfold convert chain_relu_add_100k.onnx (100,000
#      nodes, Add with a 4-float initializer / Relu alternating, ~5 MiB) ->
#      peak RSS / 100,000 in bytes (target <= 500).
#   Then a table of measured values, targets and PASS / MISS (FAIL when a
#   command exits non-zero or its output does not verify).  Exit status: 0 if
#   every target is met, 1 otherwise, 2 on a usage error.
#
# Method and fairness choices:
#   * TMP is MODELDIR/tmp (same file system as the inputs, not /tmp); it is
#     deleted at exit unless KEEP_TMP=1.
#   * Each command is run once as a warm-up (so inputs are in the page cache
#     for both sides), then RUNS times, alternating the two commands of a pair
#     (A B A B ...), so drift affects both alike.  Reported time = median.
#   * Before every run (warm-up included) the previous output is deleted and
#     `sync` is called -- outside the timed region, for cp and onnxfold alike,
#     so neither pays for flushing the other's dirty pages.  No sync inside
#     the timed region: both are timed to the point where the data has been
#     handed to the page cache (what a user sees when the command returns).
#   * Wall time: bash $EPOCHREALTIME (or `date +%s.%N`) around the command,
#     which runs under /usr/bin/time -f %M for its peak RSS; that wrapper
#     costs the same for cp and onnxfold.  Reported peak RSS = the maximum
#     over the timed runs.  Without /usr/bin/time (Debian package `time`)
#     times are still measured but RSS figures are n/a (MISS).
#   * cp baseline: plain `cp` (GNU cp 9 on ext4 copies with copy_file_range,
#     in the kernel: a strict baseline).  On file systems where cp would make a
#     reflink (btrfs, xfs, bcachefs, zfs) `--reflink=never` is added, or it
#     can be forced with CP_FLAGS=--reflink=never.
#   * Correctness: after the timed runs each output is compared with its
#     input by bench/verify_output.py (structure, initializer bytes, inline/
#     external placement); a mismatch turns that case into FAIL.
#   * Timings of ~10 ms (chain_10k) include ~1-2 ms of process start-up,
#     which slightly favours the scaling ratio.

# CMD_* arrays and prep_* functions are used indirectly (by name) below.
# shellcheck disable=SC2034,SC2317
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3
BIN=$(realpath -m "${1:-$ROOT/build/onnxfold}")
MODELS=$(realpath -m "${2:-$ROOT/bench/out}")
RUNS=${RUNS:-5}
VERIFY=${VERIFY:-1}
KEEP_TMP=${KEEP_TMP:-0}
TMP=$MODELS/tmp

if [ "$#" -gt 2 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    exit 2
fi
if [ ! -x "$BIN" ]; then
    echo "run.sh: onnxfold binary not found or not executable: $BIN" >&2
    echo "        build it first (this script builds nothing)" >&2
    exit 2
fi
case "$RUNS" in ''|*[!0-9]*|0) echo "run.sh: RUNS must be a positive integer" >&2; exit 2;; esac

TIME_BIN=$(command -v /usr/bin/time || true)
if [ -z "$TIME_BIN" ]; then
    echo "run.sh: /usr/bin/time not found: peak RSS will be n/a" >&2
    echo "        (install it with: apt-get install time)" >&2
fi

# ------------------------------------------------------------------ models
need_gen=0
for f in resnet50.onnx big_external/model.onnx big_external/weights.bin \
         chain_10k.onnx chain_100k.onnx chain_relu_add_100k.onnx; do
    [ -e "$MODELS/$f" ] || need_gen=1
done
if [ "$need_gen" = 1 ]; then
    echo "== generating models in $MODELS"
    "$PY" "$ROOT/bench/gen_models.py" "$MODELS" || { echo "run.sh: gen_models.py failed" >&2; exit 2; }
fi

cleanup() {
    if [ "$KEEP_TMP" != 1 ]; then rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rm -rf "$TMP"
mkdir -p "$TMP"

CP=(cp)
if [ -n "${CP_FLAGS:-}" ]; then
    # shellcheck disable=SC2206
    CP+=($CP_FLAGS)
else
    case "$(stat -f -c %T "$TMP")" in
        btrfs|xfs|bcachefs|zfs) CP+=(--reflink=never) ;;
    esac
fi

# ------------------------------------------------------------------ helpers
now() {
    if [ -n "${EPOCHREALTIME:-}" ]; then echo "$EPOCHREALTIME"; else date +%s.%N; fi
}

# run_once NAME: run the command in array CMD_NAME once; append
# "<wall_s> <peak_rss_kib|n/a> <exit_code>" to $TMP/res.NAME.
run_once() {
    local name=$1 s e rc rss=n/a
    local -n cmd="CMD_$name"
    "prep_$name"
    sync
    s=$(now)
    if [ -n "$TIME_BIN" ]; then
        "$TIME_BIN" -f '%M' -o "$TMP/time.$name" "${cmd[@]}" \
            >"$TMP/stdout.$name" 2>"$TMP/stderr.$name"
        rc=$?
    else
        "${cmd[@]}" >"$TMP/stdout.$name" 2>"$TMP/stderr.$name"
        rc=$?
    fi
    e=$(now)
    if [ -n "$TIME_BIN" ]; then
        rss=$(tail -n 1 "$TMP/time.$name")
        case "$rss" in ''|*[!0-9]*) rss=n/a ;; esac
    fi
    awk -v s="$s" -v e="$e" -v r="$rss" -v c="$rc" \
        'BEGIN { printf "%.6f %s %d\n", e - s, r, c }' >>"$TMP/res.$name"
    if [ "$rc" != 0 ]; then
        echo "   ! $name exited with status $rc: ${cmd[*]}" >&2
        sed 's/^/   ! /' "$TMP/stderr.$name" | head -n 5 >&2
    fi
    return "$rc"
}

# bench_pair A B: warm-up A, B; then RUNS x (A, B).  B may be empty.
bench_pair() {
    local a=$1 b=${2:-} i
    rm -f "$TMP/res.$a" ${b:+"$TMP/res.$b"}
    run_once "$a"; [ -n "$b" ] && run_once "$b"
    rm -f "$TMP/res.$a" ${b:+"$TMP/res.$b"}   # warm-up is not counted
    for ((i = 1; i <= RUNS; i++)); do
        run_once "$a"; [ -n "$b" ] && run_once "$b"
    done
    return 0
}

# median_time NAME / max_rss NAME / failed NAME
median_time() {
    awk '{ print $1 }' "$TMP/res.$1" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.4f", v[(NR + 1) / 2];
                                  else printf "%.4f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
max_rss() {
    awk 'BEGIN { m = -1 } $2 == "n/a" { na = 1 } $2 != "n/a" && $2 > m { m = $2 }
         END { if (na || m < 0) print "n/a"; else print m }' "$TMP/res.$1"
}
failed() {
    awk '$3 != 0 { f = 1 } END { exit !f }' "$TMP/res.$1"
}
# calc EXPR with variables: calc 'a / b' a=1 b=2 ; prints n/a if any is n/a
calc() {
    local expr=$1 v args=(); shift
    for v in "$@"; do
        case "$v" in *=n/a|*=) echo n/a; return ;; esac
        args+=(-v "$v")
    done
    awk "${args[@]}" "BEGIN { x = $expr; printf \"%.3f\", x }"
}

ROWS=()
OVERALL=0
# row LABEL VALUE TARGET STATUS
row() { ROWS+=("$1|$2|$3|$4"); case "$4" in MISS|FAIL) OVERALL=1 ;; esac; }
# judge VALUE OP LIMIT -> PASS / MISS (MISS if n/a)
judge() {
    if [ "$1" = n/a ]; then echo MISS; return; fi
    awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
        ok = (op == "<=") ? (v <= l) : (op == "<") ? (v < l) : 0
        print ok ? "PASS" : "MISS" }'
}
verify() {  # verify CASE IN OUT [flags] -> "ok" or "FAIL"
    local vcase=$1; shift
    if [ "$VERIFY" = 0 ]; then echo skipped; return; fi
    if "$PY" "$ROOT/bench/verify_output.py" "$@" >"$TMP/verify.$vcase" 2>&1; then
        echo ok
    else
        sed 's/^/   ! /' "$TMP/verify.$vcase" | tail -n 10 >&2
        echo FAIL
    fi
}
size_of() { stat -c %s "$1"; }

echo "onnxfold: $BIN"
echo "models:   $MODELS   runs: $RUNS (+1 warm-up), median time, max RSS"
echo "cp:       ${CP[*]}"

# ------------------------------------------------------------------ 1. resnet50
# Two fair pairs: onnxfold's default save fsyncs before renaming (durable), so
# it is timed against `cp` followed by `sync FILE` (the same durability);
# `convert --no-sync` hands the data to the page cache as plain `cp` does.
echo "== resnet50: cp vs onnxfold convert (durable and --no-sync)"
RESNET=$MODELS/resnet50.onnx
CMD_cp_resnet=("${CP[@]}" "$RESNET" "$TMP/x.onnx")
CMD_cv_resnet=("$BIN" convert --no-sync "$RESNET" "$TMP/y.onnx")
CMD_cps_resnet=(bash -c '"$@" && sync "${@: -1}"' bash "${CP[@]}" "$RESNET" "$TMP/xs.onnx")
CMD_cvs_resnet=("$BIN" convert "$RESNET" "$TMP/ys.onnx")
prep_cp_resnet() { rm -f "$TMP/x.onnx"; }
prep_cv_resnet() { rm -f "$TMP/y.onnx"; }
prep_cps_resnet() { rm -f "$TMP/xs.onnx"; }
prep_cvs_resnet() { rm -f "$TMP/ys.onnx"; }
bench_pair cp_resnet cv_resnet
bench_pair cps_resnet cvs_resnet
t_cp=$(median_time cp_resnet); t_cv=$(median_time cv_resnet)
t_cps=$(median_time cps_resnet); t_cvs=$(median_time cvs_resnet)
rss=$(max_rss cvs_resnet); fsz=$(size_of "$RESNET")
r_time=$(calc 'b / a' a="$t_cp" b="$t_cv")
r_time_s=$(calc 'b / a' a="$t_cps" b="$t_cvs")
r_time_mixed=$(calc 'b / a' a="$t_cp" b="$t_cvs")
r_rss=$(calc 'r * 1024 / s' r="$rss" s="$fsz")
v=$(verify resnet "$RESNET" "$TMP/ys.onnx" --expect-inline)
[ "$v" = ok ] && ! cmp -s "$RESNET" "$TMP/y.onnx" && v=FAIL
rm -f "$TMP/x.onnx" "$TMP/y.onnx" "$TMP/xs.onnx" "$TMP/ys.onnx"
row "resnet50 file size (MiB)" "$(calc 's / 1048576' s="$fsz")" "-" info
row "resnet50 cp time (s)" "$t_cp" "-" info
row "resnet50 convert --no-sync time (s)" "$t_cv" "-" info
row "resnet50 cp+sync time (s)" "$t_cps" "-" info
row "resnet50 convert time (s)" "$t_cvs" "-" info
if failed cv_resnet || failed cvs_resnet || [ "$v" = FAIL ]; then
    row "resnet50 ratio --no-sync / cp" "$r_time" "<= 1.5" FAIL
    row "resnet50 ratio convert / cp+sync" "$r_time_s" "<= 1.5" FAIL
    row "resnet50 peak RSS (KiB)" "$rss" "-" info
    row "resnet50 peak RSS / file size" "$r_rss" "<= 2.2" FAIL
else
    row "resnet50 ratio --no-sync / cp" "$r_time" "<= 1.5" "$(judge "$r_time" '<=' 1.5)"
    row "resnet50 ratio convert / cp+sync" "$r_time_s" "<= 1.5" "$(judge "$r_time_s" '<=' 1.5)"
    row "resnet50 peak RSS (KiB)" "$rss" "-" info
    row "resnet50 peak RSS / file size" "$r_rss" "<= 2.2" "$(judge "$r_rss" '<=' 2.2)"
fi
row "resnet50 ratio convert / cp (unfair)" "$r_time_mixed" "-" info
row "resnet50 output verified" "$v" "ok" "$([ "$v" = FAIL ] && echo FAIL || echo info)"

# ------------------------------------------------------------------ 2. external
echo "== big_external: cp weights.bin vs onnxfold convert --external-data"
EXT=$MODELS/big_external
mkdir -p "$TMP/ext_cp" "$TMP/ext_out"
CMD_cp_ext=("${CP[@]}" "$EXT/weights.bin" "$TMP/ext_cp/weights.bin")
CMD_cv_ext=("$BIN" convert "$EXT/model.onnx" "$TMP/ext_out/model.onnx" --external-data weights.bin)
prep_cp_ext() { rm -f "$TMP/ext_cp/weights.bin"; }
prep_cv_ext() { rm -f "$TMP/ext_out/model.onnx" "$TMP/ext_out/weights.bin"; }
bench_pair cp_ext cv_ext
t_cp=$(median_time cp_ext); t_cv=$(median_time cv_ext)
rss=$(max_rss cv_ext)
rss_mib=$(calc 'r / 1024' r="$rss")
r_time=$(calc 'b / a' a="$t_cp" b="$t_cv")
rm -f "$TMP/ext_cp/weights.bin"
v=$(verify ext "$EXT/model.onnx" "$TMP/ext_out/model.onnx" --expect-external weights.bin)
rm -rf "$TMP/ext_cp" "$TMP/ext_out"
row "external data size (MiB)" "$(calc 's / 1048576' s="$(size_of "$EXT/weights.bin")")" "-" info
row "external cp weights.bin time (s)" "$t_cp" "-" info
row "external convert time (s)" "$t_cv" "-" info
row "external time ratio convert/cp" "$r_time" "-" info
if failed cv_ext || [ "$v" = FAIL ]; then
    row "external peak RSS (MiB)" "$rss_mib" "< 256" FAIL
else
    row "external peak RSS (MiB)" "$rss_mib" "< 256" "$(judge "$rss_mib" '<' 256)"
fi
row "external output verified" "$v" "ok" "$([ "$v" = FAIL ] && echo FAIL || echo info)"

# ------------------------------------------------------------------ 3. scaling
echo "== scaling: onnxfold convert chain_10k vs chain_100k"
CMD_cv_10k=("$BIN" convert "$MODELS/chain_10k.onnx" "$TMP/c10k.onnx")
CMD_cv_100k=("$BIN" convert "$MODELS/chain_100k.onnx" "$TMP/c100k.onnx")
prep_cv_10k() { rm -f "$TMP/c10k.onnx"; }
prep_cv_100k() { rm -f "$TMP/c100k.onnx"; }
bench_pair cv_10k cv_100k
t10=$(median_time cv_10k); t100=$(median_time cv_100k)
r_scale=$(calc 'b / a' a="$t10" b="$t100")
v=$(verify chain_100k "$MODELS/chain_100k.onnx" "$TMP/c100k.onnx" --expect-inline)
row "chain_10k convert time (s)" "$t10" "-" info
row "chain_100k convert time (s)" "$t100" "-" info
row "chain_100k peak RSS (KiB)" "$(max_rss cv_100k)" "-" info
if failed cv_10k || failed cv_100k || [ "$v" = FAIL ]; then
    row "scaling time ratio 100k/10k" "$r_scale" "<= 12" FAIL
else
    row "scaling time ratio 100k/10k" "$r_scale" "<= 12" "$(judge "$r_scale" '<=' 12)"
fi
row "chain_100k output verified" "$v" "ok" "$([ "$v" = FAIL ] && echo FAIL || echo info)"

# ------------------------------------------------------------------ 4. memory per node
echo "== memory per node: onnxfold convert chain_relu_add_100k"
RELU_ADD=$MODELS/chain_relu_add_100k.onnx
CMD_cv_reluadd=("$BIN" convert "$RELU_ADD" "$TMP/ra.onnx")
prep_cv_reluadd() { rm -f "$TMP/ra.onnx"; }
bench_pair cv_reluadd
rss=$(max_rss cv_reluadd)
per_node=$(calc 'r * 1024 / 100000' r="$rss")
v=ok
[ "$VERIFY" = 0 ] && v=skipped
[ "$v" = ok ] && ! cmp -s "$RELU_ADD" "$TMP/ra.onnx" && v=FAIL
rm -f "$TMP/ra.onnx"
row "chain_relu_add_100k file size (MiB)" "$(calc 's / 1048576' s="$(size_of "$RELU_ADD")")" "-" info
row "chain_relu_add_100k convert time (s)" "$(median_time cv_reluadd)" "-" info
row "chain_relu_add_100k peak RSS (KiB)" "$rss" "-" info
if failed cv_reluadd || [ "$v" = FAIL ]; then
    row "chain_relu_add_100k RSS / node (B)" "$per_node" "<= 500" FAIL
else
    row "chain_relu_add_100k RSS / node (B)" "$per_node" "<= 500" "$(judge "$per_node" '<=' 500)"
fi
row "chain_relu_add_100k byte-identical" "$v" "ok" "$([ "$v" = FAIL ] && echo FAIL || echo info)"

# ------------------------------------------------------------------ table
echo
printf '%-36s %14s %8s  %s\n' "figure" "measured" "target" "status"
printf '%-36s %14s %8s  %s\n' "------" "--------" "------" "------"
for r in "${ROWS[@]}"; do
    IFS='|' read -r l m t s <<<"$r"
    printf '%-36s %14s %8s  %s\n' "$l" "$m" "$t" "$s"
done
echo
if [ "$OVERALL" = 0 ]; then echo "all targets met"; else echo "some targets missed"; fi
exit "$OVERALL"
