#!/usr/bin/env bash
# The threaded kernels' tests built with ThreadSanitizer (clang), halting on
# the first report. Called by test.sh after sanitizers.sh.
#
# OpenMP: clang links LLVM's libomp, and libarcher (LLVM's OpenMP tool for
# TSan, Debian's libomp-14-dev) tells TSan about the runtime's barriers,
# locks and task dependences, so races inside `omp parallel` regions are
# checked too, without libgomp's false reports (libgomp is not instrumented:
# its barriers are invisible to TSan). GLib is not instrumented either: PsJob
# annotates its own hand-overs through GLib (ps-job.c, tsan_acquire/release).
# Suppressions: none. One report class is off: report_thread_leaks=0, because
# libomp starts a team for every pool thread that runs a parallel region and
# never joins those threads (they belong to the OpenMP runtime, not to us).
set -uo pipefail
cd "$(dirname "$0")/.."

archer=$(ls /usr/lib/llvm-*/lib/libarcher.so 2>/dev/null | sort -V | tail -1)
if ! command -v clang >/dev/null || [ -z "$archer" ]; then
  echo "tsan: clang or libarcher (libomp-dev) missing" >&2
  exit 1
fi

dir=build-tsan
tests=(test-job test-storm test-edt test-label test-threshold test-watershed test-thickness test-measure test-recon)
if [ ! -f "$dir/build.ninja" ]; then
  CC=clang meson setup "$dir" --buildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false \
    -Dgui=false -Dbenchmarks=false -Dnative=false >/dev/null || exit 1
fi
meson compile -C "$dir" "${tests[@]/#/tests/}" || exit 1

export OMP_TOOL_LIBRARIES=$archer
export ARCHER_OPTIONS=verbose=0
export TSAN_OPTIONS=halt_on_error=1:abort_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1:report_thread_leaks=0:history_size=4
export OMP_WAIT_POLICY=passive

meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes "$(nproc)" --timeout-multiplier 6 "${tests[@]}"
