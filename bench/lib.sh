# bench/lib.sh -- timing and table helpers shared by bench/infer.sh and
# bench/optimize.sh (sourced, not run).  The method is run.sh's:
#
#   * every command runs once as a warm-up (page cache warm for all sides),
#     then RUNS times, the commands of a group alternating (A B C A B C ...),
#     so drift and other load affect them alike; reported time = median;
#   * before every run (warm-up included) the command's prep_NAME function
#     (if defined) deletes its previous output, then `sync` is called --
#     outside the timed region, for every side alike;
#   * wall time: bash $EPOCHREALTIME around the command, which runs under
#     /usr/bin/time -f %M for its peak RSS (KiB); reported peak RSS = the
#     maximum over the timed runs;
#   * a command whose warm-up fails is not run again (its figures are n/a and
#     the reason -- e.g. "operator Conv missing" -- is kept for the table).
#
# Usage in a script:
#     source "$ROOT/bench/lib.sh"
#     bench_init NAME               # sets TMP (under $BENCH_TMP_PARENT), traps
#     CMD_a=(cp x y); prep_a() { rm -f y; }
#     CMD_b=(onnxfold ...)
#     bench_group a b               # warm-up + RUNS alternating rounds
#     t=$(median_time a); r=$(max_rss a); failed a && ...; why_failed a
#     row LABEL VALUE TARGET STATUS ; print_table ; finish
#
# Variables read: RUNS (default 5), KEEP_TMP (1 keeps TMP), BENCH_TMP_PARENT.

# The CMD_* arrays and prep_* functions are used indirectly (by name).
# shellcheck shell=bash disable=SC2034,SC2317

export LC_ALL=C
RUNS=${RUNS:-5}
KEEP_TMP=${KEEP_TMP:-0}
ROWS=()
OVERALL=0
TIME_BIN=$(command -v /usr/bin/time || true)

# check_runs: RUNS must be a positive integer (exit 2 otherwise).
check_runs() {
    case "$RUNS" in
        '' | *[!0-9]* | 0) echo "$(basename "$0"): RUNS must be a positive integer" >&2; exit 2 ;;
    esac
    if [ -z "$TIME_BIN" ]; then
        echo "$(basename "$0"): /usr/bin/time not found: peak RSS will be n/a" >&2
        echo "        (install it with: apt-get install time)" >&2
    fi
}

# bench_init NAME: TMP=$BENCH_TMP_PARENT/NAME.tmp, emptied now and removed at
# exit unless KEEP_TMP=1.  Extra cleanup: define bench_cleanup_extra.
bench_init() {
    TMP=$BENCH_TMP_PARENT/$1.tmp
    rm -rf "$TMP"
    mkdir -p "$TMP" || { echo "$(basename "$0"): cannot create $TMP" >&2; exit 2; }
    trap _bench_cleanup EXIT
    trap 'exit 130' INT TERM
}
_bench_cleanup() {
    if declare -F bench_cleanup_extra >/dev/null; then bench_cleanup_extra; fi
    if [ "$KEEP_TMP" != 1 ]; then rm -rf "$TMP"; fi
}

now() {
    if [ -n "${EPOCHREALTIME:-}" ]; then echo "$EPOCHREALTIME"; else date +%s.%N; fi
}

# run_once NAME: runs CMD_NAME once (after prep_NAME and sync); appends
# "<wall_s> <peak_rss_kib|n/a> <exit_code>" to $TMP/res.NAME and the
# command's stdout to $TMP/out.NAME; its stderr is kept in $TMP/err.NAME.
run_once() {
    local name=$1 s e rc rss=n/a
    local -n cmd="CMD_$name"
    if declare -F "prep_$name" >/dev/null; then "prep_$name"; fi
    sync
    s=$(now)
    if [ -n "$TIME_BIN" ]; then
        "$TIME_BIN" -f '%M' -o "$TMP/time.$name" "${cmd[@]}" \
            >"$TMP/stdout.$name" 2>"$TMP/err.$name"
        rc=$?
    else
        "${cmd[@]}" >"$TMP/stdout.$name" 2>"$TMP/err.$name"
        rc=$?
    fi
    e=$(now)
    if [ -n "$TIME_BIN" ]; then
        rss=$(tail -n 1 "$TMP/time.$name")
        case "$rss" in '' | *[!0-9]*) rss=n/a ;; esac
    fi
    awk -v s="$s" -v e="$e" -v r="$rss" -v c="$rc" \
        'BEGIN { printf "%.6f %s %d\n", e - s, r, c }' >>"$TMP/res.$name"
    cat "$TMP/stdout.$name" >>"$TMP/out.$name"
    if [ "$rc" != 0 ]; then
        echo "   ! $name exited with status $rc: ${cmd[*]}" >&2
        sed 's/^/   ! /' "$TMP/err.$name" | head -n 5 >&2
    fi
    return "$rc"
}

# bench_group A [B ...]: warm-up of each (not counted), then RUNS rounds of
# A, B, ... in turn.  A command whose warm-up failed is not run again: its
# res file keeps the failed warm-up line so failed/why_failed see it.
bench_group() {
    local n i live=()
    for n in "$@"; do
        rm -f "$TMP/res.$n" "$TMP/out.$n"
        if run_once "$n"; then
            live+=("$n")
            rm -f "$TMP/res.$n" "$TMP/out.$n"   # warm-up is not counted
        fi
    done
    for ((i = 1; i <= RUNS; i++)); do
        for n in "${live[@]}"; do run_once "$n"; done
    done
    return 0
}

# median_time NAME: median wall time (s) of the runs that succeeded; n/a if none.
median_time() {
    awk '$3 == 0 { print $1 }' "$TMP/res.$1" 2>/dev/null | median
}
# median: median of the numbers on stdin (n/a when there are none).
median() {
    sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) print "n/a";
              else if (NR % 2) printf "%.4f\n", v[(NR + 1) / 2];
              else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# json_field NAME FIELD: the median of numeric FIELD over the JSON lines the
# runs of NAME printed on stdout (e.g. onnxruntime's "run_ms").
json_field() {
    grep -o "\"$2\" *: *[0-9.eE+-]*" "$TMP/out.$1" 2>/dev/null | sed 's/.*: *//' | median
}
max_rss() {
    awk 'BEGIN { m = -1 } $3 == 0 && $2 == "n/a" { na = 1 }
         $3 == 0 && $2 != "n/a" && $2 > m { m = $2 }
         END { if (na || m < 0) print "n/a"; else print m }' "$TMP/res.$1" 2>/dev/null
}
# failed NAME: true when any run of NAME (or its warm-up) exited non-zero.
failed() {
    [ -e "$TMP/res.$1" ] || return 0
    awk '$3 != 0 { f = 1 } END { exit !f }' "$TMP/res.$1"
}
# runs_done NAME: how many runs were timed (and succeeded).
runs_done() {
    awk '$3 == 0 { n++ } END { print n + 0 }' "$TMP/res.$1" 2>/dev/null
}
# why_failed NAME: a short reason for the table, from the last stderr:
# "operator Conv missing" for onnxfold's unsupported-operator message, else
# the exit code and the first words of the message.
why_failed() {
    local f="$TMP/err.$1" op rc
    rc=$(awk '$3 != 0 { c = $3 } END { print c + 0 }' "$TMP/res.$1" 2>/dev/null)
    op=$(grep -o 'operator [A-Za-z0-9_]* ([^)]*) is not supported' "$f" 2>/dev/null |
        head -n 1 | awk '{ print $2 }')
    if [ -n "$op" ]; then
        echo "operator $op missing"
        return
    fi
    op=$(grep -o "operator '\{0,1\}[A-Za-z0-9_]*'\{0,1\} [a-z ]*not \(supported\|implemented\)" "$f" 2>/dev/null |
        head -n 1 | awk '{ gsub("\x27", "", $2); print $2 }')
    if [ -n "$op" ]; then
        echo "operator $op missing"
        return
    fi
    echo "exit $rc: $(head -n 1 "$f" 2>/dev/null | cut -c 1-60)"
}

# calc EXPR VAR=VALUE...: awk arithmetic, printed with 3 decimals; n/a if any
# value is n/a or empty.
calc() {
    local expr=$1 v args=()
    shift
    for v in "$@"; do
        case "$v" in *=n/a* | *=) echo n/a; return ;; esac
        args+=(-v "$v")
    done
    awk "${args[@]}" "BEGIN { x = $expr; printf \"%.3f\", x }"
}
# calc_fmt FMT EXPR VAR=VALUE...: the same with a printf format.
calc_fmt() {
    local fmt=$1 expr=$2 v args=()
    shift 2
    for v in "$@"; do
        case "$v" in *=n/a* | *=) echo n/a; return ;; esac
        args+=(-v "$v")
    done
    awk "${args[@]}" "BEGIN { x = $expr; printf \"$fmt\", x }"
}

# judge VALUE OP LIMIT -> PASS / MISS (MISS when VALUE is not a number, e.g.
# n/a or FAIL); OP: <= < >= >
judge() {
    if ! [[ "$1" =~ ^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$ ]]; then echo MISS; return; fi
    awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
        ok = (op == "<=") ? (v <= l) : (op == "<") ? (v < l) : (op == ">=") ? (v >= l) : (op == ">") ? (v > l) : 0
        print ok ? "PASS" : "MISS" }'
}

# row LABEL VALUE TARGET STATUS: one line of the table; MISS and FAIL make the
# exit status 1.  section TITLE: a heading line inside the table.
row() {
    ROWS+=("$1|$2|$3|$4")
    case "$4" in MISS | FAIL) OVERALL=1 ;; esac
}
section() { ROWS+=("#$1"); }

# print_table: figure / measured / target / status, columns sized to fit.
print_table() {
    local r l m t s wl=6 wm=8 wt=6
    for r in "${ROWS[@]}"; do
        [ "${r:0:1}" = "#" ] && continue
        IFS='|' read -r l m t s <<<"$r"
        ((${#l} > wl)) && wl=${#l}
        ((${#m} > wm)) && wm=${#m}
        ((${#t} > wt)) && wt=${#t}
    done
    printf "%-${wl}s  %${wm}s  %${wt}s  %s\n" figure measured target status
    printf "%-${wl}s  %${wm}s  %${wt}s  %s\n" ------ -------- ------ ------
    for r in "${ROWS[@]}"; do
        if [ "${r:0:1}" = "#" ]; then
            printf '%s\n' "${r:1}"
            continue
        fi
        IFS='|' read -r l m t s <<<"$r"
        printf "%-${wl}s  %${wm}s  %${wt}s  %s\n" "$l" "$m" "$t" "$s"
    done
}

# finish: the closing line and the exit status (0 all met, 1 otherwise).
finish() {
    echo
    if [ "$OVERALL" = 0 ]; then echo "all targets met"; else echo "some targets missed"; fi
    exit "$OVERALL"
}

size_of() { stat -c %s "$1"; }

# rel_error MINE REF: the worst max|a-b| / max|b| over the outputs of two
# output folders (tests/interop/compare_npy.py; b = REF), printed as "1.2e-05";
# "FAIL" when they cannot be compared (missing output, other dtype or shape,
# NaN where the other has none), with compare_npy's lines on stderr.  Needs ROOT.
rel_error() {
    local out rc
    out=$(/usr/bin/python3 "$ROOT/tests/interop/compare_npy.py" "$1" "$2" --atol-rel 1 2>&1)
    rc=$?
    if [ "$rc" != 0 ]; then
        printf '%s\n' "$out" | sed 's/^/   ! /' | tail -n 5 >&2
        echo FAIL
        return
    fi
    printf '%s\n' "$out" | awk '
        match($0, /max\|a-b\| [^,]*, bound [^:]*/) {
            split(substr($0, RSTART, RLENGTH), f, " "); d = f[2] + 0; b = f[4] + 0
            r = (b > 0) ? d / b : 0
            if (r > w) w = r; seen = 1 }
        END { if (!seen) print "FAIL"; else printf "%.1e\n", w }'
}

# interop_bound DISABLED BASIC: the agreement bound of
# tests/scripts/interop_models.sh, from onnxruntime's outputs on one input
# without optimizations (DISABLED) and at the basic level (BASIC):
# max(1e-4, 2 x onnxruntime's own disagreement), the disagreement measured as
# rel_error does; printed as "2.2e-04" (1e-4 when BASIC cannot be compared).
interop_bound() {
    local noise
    noise=$(rel_error "$2" "$1" 2>/dev/null)
    awk -v n="$noise" 'BEGIN { b = 1e-4; if (n ~ /^[0-9.]+(e[-+]?[0-9]+)?$/ && 2 * n > b) b = 2 * n
                               printf "%.1e\n", b }'
}

# cp_cmd DIR: the cp baseline for files on DIR's file system (plain cp; with
# --reflink=never where cp would make a reflink; CP_FLAGS overrides).
cp_cmd() {
    CP=(cp)
    if [ -n "${CP_FLAGS:-}" ]; then
        # shellcheck disable=SC2206
        CP+=($CP_FLAGS)
    else
        case "$(stat -f -c %T "$1")" in
            btrfs | xfs | bcachefs | zfs) CP+=(--reflink=never) ;;
        esac
    fi
}

# gunzip_to SRC.gz DST: decompress once (kept while DST is newer than SRC).
gunzip_to() {
    if [ ! -s "$2" ] || [ "$1" -nt "$2" ]; then
        gunzip -c "$1" >"$2.part" && mv "$2.part" "$2"
    fi
}

# machine_note: one line about the machine and its load now.
machine_note() {
    echo "$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
        "load average $(cut -d ' ' -f 1-3 /proc/loadavg), $(uname -sr)"
}
