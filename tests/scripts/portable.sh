#!/usr/bin/env bash
# Linux-only calls live behind src/base/os.c: a build with ONNXFOLD_PORTABLE
# (the fallbacks macOS and the BSDs get) references none of them, and the
# default Linux build does use them (so this check can see them).
. "$(dirname "$0")/lib.sh"
linux_only='copy_file_range|getrandom|syscall|openat2'
nm -u "$LIB" 2>/dev/null | grep -wE "$linux_only" | sort -u >"$work/used"
if [ "$PORTABLE" = 1 ]; then
    check "portable build: no Linux-only call is referenced ($(tr '\n' ' ' <"$work/used"))" test ! -s "$work/used"
elif [ "$(uname -s)" = Linux ]; then
    check "Linux build: copy_file_range, getrandom and openat2 (syscall) are used" \
        test "$(grep -cwE 'copy_file_range|getrandom|syscall' "$work/used")" -eq 3
fi
check "only src/base/os.c calls them" sh -c '! grep -rlwE "$1" "$2/src" | grep -v "^$2/src/base/os\.[ch]$"' \
    _ "$linux_only|MADV_HUGEPAGE" "$SRC"
finish
