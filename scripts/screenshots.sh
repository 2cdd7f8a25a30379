#!/usr/bin/env bash
# Regenerate the screenshots in docs/screenshots/ (README, AppStream metainfo):
# 1280×800 windows under Xvfb, software rendering, default settings, no
# recent files. The Chinese one needs a CJK font (fonts-wqy-microhei).
#   scripts/screenshots.sh [build/src/app/porescope]
set -euo pipefail
cd "$(dirname "$0")/.."
app=${1:-build/src/app/porescope}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GSETTINGS_BACKEND=memory GTK_A11Y=none NO_AT_BRIDGE=1 GSK_RENDERER=cairo
export XDG_DATA_HOME="$tmp" LC_ALL=C.UTF-8 LANGUAGE=
run () { xvfb-run -a -s "-screen 0 1600x1000x24" "$app" "$@"; }
run --screenshot docs/screenshots/welcome.png
run --demo --screenshot docs/screenshots/demo.png
LANGUAGE=zh_CN run --demo --screenshot docs/screenshots/demo-zh_CN.png
# A figure (issue 8): orthoslices, 3D view and the pore size histogram.
run --demo --figure docs/screenshots/figure.png --figure-dpi 150
# The reconstruction dialog and the subvolume box (issue 7): drawn by the ui
# test that drives them (tests/test-workflow-recon.c).
recon_test=$(dirname "$app")/../../tests/test-workflow-recon
PORESCOPE_SCREENSHOT_DIR=docs/screenshots xvfb-run -a -s "-screen 0 1600x1000x24" \
  "$recon_test" -p /ui/recon/dialog -p /ui/subvolume/screenshot
# A movie being written (progress banner with Cancel) and the figure dialog
# (size and resolution choices): tests/test-figure.c.
figure_test=$(dirname "$app")/../../tests/test-figure
PORESCOPE_SCREENSHOT_DIR=docs/screenshots xvfb-run -a -s "-screen 0 1600x1000x24" "$figure_test" -p /movie/cancel -p /figure/window-actions
# Segment, Separate, Statistics (tests/test-workflow-analysis.c).
analysis_test=$(dirname "$app")/../../tests/test-workflow-analysis
PORESCOPE_SCREENSHOT_DIR=docs/screenshots PORESCOPE_CLI=$(dirname "$app")/../cli/porescope-cli \
  xvfb-run -a -s "-screen 0 1600x1000x24" "$analysis_test" -p /ui/analysis/screenshots
ls -l docs/screenshots
