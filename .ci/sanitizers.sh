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
status=$?

# The GUI soak (20 s of seeded random actions, tests/test-soak.c) once more
# with the application built under ASan+UBSan, so LeakSanitizer sees the
# app's own allocations. Only what the soak needs is built. GTK's libraries'
# process-lifetime caches are suppressed by library name (tests/lsan.supp,
# set by tests/meson.build); Porescope's code never is.
if [ "${PS_SKIP_GUI_SANITIZER:-0}" != 1 ] && command -v xvfb-run >/dev/null; then
  gdir=build-asan-ui
  if [ ! -f "$gdir/build.ninja" ]; then
    meson setup "$gdir" --buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
      -Dgui=true -Dbenchmarks=false -Dnative=false >/dev/null || exit 1
  fi
  ninja -C "$gdir" tests/test-soak src/app/porescope src/cli/porescope-cli resources/gschemas.compiled || exit 1
  meson test -C "$gdir" --no-rebuild --print-errorlogs --timeout-multiplier 4 test-soak || status=1
fi
exit $status
