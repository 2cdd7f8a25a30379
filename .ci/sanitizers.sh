#!/usr/bin/env bash
# The test suites a second time, built with AddressSanitizer and
# UndefinedBehaviorSanitizer, halting on the first report. Called by test.sh.
# Suppressions: none (see docs/reliability.md before adding any).
set -uo pipefail
cd "$(dirname "$0")/.."

dir=build-asan
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" --buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
    -Dgui=false -Dbenchmarks=false -Dnative=false >/dev/null || exit 1
fi
meson compile -C "$dir" || exit 1

export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:allocator_may_return_null=1:detect_stack_use_after_return=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# libgomp keeps its thread pool alive at exit; that is not a leak of ours.
export OMP_WAIT_POLICY=passive

meson test -C "$dir" --print-errorlogs --num-processes "$(nproc)" --timeout-multiplier 4 \
  --suite core --suite io --suite cli --suite fuzz
