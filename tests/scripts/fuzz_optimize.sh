#!/usr/bin/env bash
# Differential fuzzing of the optimizer (tests/fuzz/opt_diff.c): random models
# built from the patterns every pass looks for are optimized and run both ways
# by the executor; the outputs must agree. Runs for FUZZ_SECONDS (default 60)
# from FUZZ_SEED (default 1; models are deterministic for a seed); in the
# sanitizer build a bounded count instead (FUZZ_COUNT, default 300). Fails on
# any difference, optimizer failure or crash; a finding's models and inputs
# are left in $WORK/fuzz_optimize (the message names the folder and how to
# replay it).
set -u
out="$WORK/fuzz_optimize"
rm -rf "$out" && mkdir -p "$out" || exit 1
if [ "${SANITIZE:-0}" = 1 ]; then
    limit=(--count "${FUZZ_COUNT:-300}")
else
    limit=(--seconds "${FUZZ_SECONDS:-60}")
fi
"$OPT_DIFF" "${limit[@]}" --seed "${FUZZ_SEED:-1}" --out "$out" >"$out/log" 2>&1
status=$?
cat "$out/log"
if [ $status -ne 0 ]; then
    echo "opt_diff found a problem (exit $status); see $out"
    exit 1
fi
