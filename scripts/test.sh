#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs test dependencies, then
#  1. builds with AddressSanitizer + UndefinedBehaviorSanitizer (-Werror) and
#     runs every test under it but lint and the fuzz run (which builds its
#     own sanitized binary);
#  2. builds with ONNXFOLD_PORTABLE (only the portable fallbacks of
#     src/base/os.c, the code paths macOS and the BSDs take) and runs the unit,
#     CLI and external-data tests against it;
#  3. builds the release configuration (-Werror) and runs every test again,
#     plus the format check, cppcheck and the libFuzzer run.
# ctest's summary of the last run is the final line.
set -u
cd "$(dirname "$0")/.." || exit 1
scripts/deps.sh test || exit 1
jobs=$(nproc)
shared=$(cd .. && pwd)/shared
export FUZZ_SECONDS=${FUZZ_SECONDS:-60}

echo "== sanitizer build (ASan+UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DONNXFOLD_SANITIZE=ON -DONNXFOLD_WERROR=ON \
    -DSHARED_DIR="$shared" >/dev/null || exit 1
cmake --build build-asan -j"$jobs" 2>&1 | grep -E "warning|error" ; [ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" -E 'lint_|fuzz_load' ||
    exit 1

echo "== portable build (fallbacks only)"
cmake -S . -B build-portable -DCMAKE_BUILD_TYPE=RelWithDebInfo -DONNXFOLD_PORTABLE=ON \
    -DONNXFOLD_WERROR=ON -DSHARED_DIR="$shared" >/dev/null || exit 1
cmake --build build-portable -j"$jobs" 2>&1 | grep -E "warning|error" ; [ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
ctest --test-dir build-portable --output-on-failure -j"$jobs" \
    -R 'unit_|cli_|external_data|interrupt|many_files|portable' || exit 1

echo "== release build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DONNXFOLD_WERROR=ON -DONNXFOLD_TESTS=ON \
    -DSHARED_DIR="$shared" >/dev/null || exit 1
cmake --build build -j"$jobs" 2>&1 | grep -E "warning|error" ; [ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
ctest --test-dir build --output-on-failure -j"$jobs"
