#!/usr/bin/env bash
# Build Porescope and run every test suite on a fresh Debian 12 machine.
# Installs the Debian packages it needs (apt-get), builds with meson, runs the
# suites, and ends with a plain "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")"

scripts/deps.sh test || { echo "0 passed, 1 failed (could not install dependencies)"; exit 1; }

jobs=$(nproc)
status=0
logs=()

run_suite_build () {
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >/dev/null || return 1
  else
    meson configure "$dir" "$@" >/dev/null || return 1
  fi
  meson compile -C "$dir" || return 1
  meson test -C "$dir" --print-errorlogs --num-processes "$jobs" || status=1
  logs+=("$dir/meson-logs/testlog.json")
}

run_suite_build build --buildtype=debugoptimized -Dgui=true || { echo "0 passed, 1 failed (build failed)"; exit 1; }

if [ -x .ci/sanitizers.sh ] && [ "${PS_SKIP_SANITIZERS:-0}" != 1 ]; then
  .ci/sanitizers.sh || status=1
  [ -x .ci/tsan.sh ] && { .ci/tsan.sh || status=1; }
  for l in build-asan/meson-logs/testlog.json build-asan-ui/meson-logs/testlog.json build-tsan/meson-logs/testlog.json; do
    [ -f "$l" ] && logs+=("$l")
  done
fi

/usr/bin/python3 scripts/count-tests.py "${logs[@]}" || status=1
exit $status
