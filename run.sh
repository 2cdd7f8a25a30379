#!/usr/bin/env bash
# Build Porescope on a fresh Debian 12 machine and launch it on the built-in
# demo dataset (a simulated hard-carbon particle). Extra arguments go to the app.
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh build
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=debugoptimized -Dgui=true
fi
meson compile -C build
if [ -x build/src/app/porescope ]; then
  exec build/src/app/porescope --demo "$@"
fi
# Headless fallback (no GUI built): describe a demo volume.
demo=$(mktemp -d)
build/src/cli/porescope-cli phantom "$demo" --size 96
build/src/cli/porescope-cli info "$demo/volume.tif"
