#!/usr/bin/env bash
# Install the Debian 12 packages Porescope needs, skipping those present.
#   scripts/deps.sh build   — to build and run the application
#   scripts/deps.sh test    — also the test peers (tifffile, mrcfile, scipy,
#                             scikit-image, ImageJ), Xvfb and validators
#   scripts/deps.sh bench   — also the benchmark peers (VTK for the 3D view)
set -euo pipefail

build_pkgs=(
  meson ninja-build pkg-config gcc gettext
  libglib2.0-dev libglib2.0-bin libgtk-4-dev libadwaita-1-dev libepoxy-dev libcglm-dev
  adwaita-icon-theme librsvg2-common
  libtiff-dev zlib1g-dev libjson-glib-dev
  libgl1-mesa-dri
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-plugins-base gstreamer1.0-plugins-good
)
test_pkgs=(
  xvfb xauth xfonts-base
  python3 python3-numpy python3-scipy python3-skimage python3-tifffile python3-mrcfile python3-pandas python3-pil
  desktop-file-utils appstream
  imagej
  locales
  mesa-utils fonts-dejavu-core
  gstreamer1.0-tools gstreamer1.0-plugins-base-apps
  clang libclang-rt-14-dev libomp-14-dev
)
bench_pkgs=(
  python3-vtk9
)

want=("${build_pkgs[@]}")
if [ "${1:-build}" = "test" ] || [ "${1:-build}" = "bench" ]; then
  want+=("${test_pkgs[@]}")
fi
if [ "${1:-build}" = "bench" ]; then
  want+=("${bench_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A comma-decimal locale, so the tests can check that CSV/JSON output keeps
# '.' decimals whatever the user's locale (tests skip that check without it).
if [ "${1:-build}" = "test" ] && ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO localedef -i de_DE -f UTF-8 de_DE.UTF-8 >/dev/null 2>&1 || echo "note: could not generate de_DE.UTF-8"
fi
