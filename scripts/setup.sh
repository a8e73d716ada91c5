#!/usr/bin/env bash
# Installs everything ocr-pipeline needs on a fresh Debian/Ubuntu machine: system packages (Tesseract with
# Chinese and English, the CJK fonts the sample generator uses, Chromium for the report's browser test)
# and the Python package with its extras. Usage: bash scripts/setup.sh [extras]   (default: dev,tesseract)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-dev,tesseract}"
apt_packages=(tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng fonts-noto-cjk fonts-dejavu-core
              fonts-liberation chromium poppler-utils)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
python3 -m pip install -q --upgrade pip
python3 -m pip install -q -e ".[${extras}]"
echo "ocr-pipeline installed: $(command -v ocr-pipeline)"
