#!/usr/bin/env bash
# Debian/Ubuntu system packages Encore needs (Python venv, a compiler for llama-cpp-python, Qt's
# runtime libraries). Installs only what is missing; does nothing without apt-get or root/sudo.
set -euo pipefail
command -v apt-get >/dev/null || exit 0
need=()
for pkg in python3-venv build-essential cmake libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 \
           libdbus-1-3 libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
           libxcb-render-util0 libxcb-randr0 libxcb-shape0 libxcb-xkb1 libpulse0 xvfb; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "Encore: please install these packages first: ${need[*]}" >&2; exit 0; fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" || \
  echo "Encore: could not install some system packages: ${need[*]}" >&2
