# lib.sh — shared by the end-to-end test scripts (sourced, not run).
# Provides: a fresh work folder ($work), counters, `check NAME CMD...`,
# `expect_fail2 NAME FRAGMENT CMD...` for the bad-input contract (messages start
# "$prog: ", onnxfold unless the script sets prog), and `finish`.
set -u
work="$WORK/$(basename "$0" .sh)"
rm -rf "$work" && mkdir -p "$work" || exit 1
pass=0
fail=0

# check NAME CMD...: runs CMD; passes when it exits 0.
check() {
    local name=$1
    shift
    if "$@" >"$work/.check.out" 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $name"
        sed 's/^/    | /' "$work/.check.out" | head -n 8
    fi
}

# expect_fail2 NAME FRAGMENT CMD...: CMD must exit with status 2 and print
# exactly one line on stderr, starting "$prog: " and containing FRAGMENT.
prog=onnxfold
expect_fail2() {
    local name=$1 fragment=$2
    shift 2
    "$@" >"$work/.out" 2>"$work/.err"
    local rc=$? lines
    lines=$(wc -l <"$work/.err")
    if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -q "^$prog: " "$work/.err" &&
        grep -qF -- "$fragment" "$work/.err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $name: exit $rc, $lines stderr line(s), wanted exit 2 and '$fragment':"
        sed 's/^/    | /' "$work/.err" | head -n 5
    fi
}

# no_leftovers NAME DIR FILE: FILE is absent and DIR holds no temporary file.
no_leftovers() {
    local name=$1 dir=$2 file=$3
    if [ ! -e "$file" ] && ! ls -A "$dir" | grep -q '\.tmp-'; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $name: left $(ls -A "$dir" | tr '\n' ' ')"
    fi
}

finish() {
    rm -rf "$work"
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit $?
}

py() { "$PYTHON" "$@"; }
