#!/usr/bin/env bash
# Style and static analysis, the C equivalents of `cargo fmt --check` and
# `clippy -D warnings`: clang-format against .clang-format, then cppcheck.
# Any finding fails. Usage: lint.sh format | cppcheck
set -u
cd "$SRC" || exit 1
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src include tests fuzz -name '*.[ch]')
case "${1:-}" in
format)
    command -v clang-format >/dev/null || { echo "clang-format is not installed"; exit 1; }
    clang-format --dry-run -Werror $files
    ;;
cppcheck)
    command -v cppcheck >/dev/null || { echo "cppcheck is not installed"; exit 1; }
    cppcheck --error-exitcode=1 --quiet --std=c11 --enable=warning,performance,portability \
        --inline-suppr --suppress=missingIncludeSystem -I src -I include \
        -D__BYTE_ORDER__=1234 -D__ORDER_LITTLE_ENDIAN__=1234 src fuzz
    ;;
*)
    echo "usage: lint.sh format|cppcheck"
    exit 2
    ;;
esac
