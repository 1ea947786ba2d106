#!/usr/bin/env bash
# Installs everything ttl-torch needs on Debian/Ubuntu: LibTorch (CPU, from apt) with OpenBLAS (without it
# Debian's libtorch falls back to the reference BLAS: ResNet-50 inference at 64 px took 125 ms instead of
# 16 ms), the build tools, Debian's python3-torch and chromium (reference checks and the report test), then
# the npm packages, which build the native addon and compile the TypeScript.
# Set LIBTORCH=/path/to/libtorch to build against another LibTorch (e.g. an official CUDA build).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libtorch-dev libopenblas0-openmp python3-torch chromium cmake g++ make)
if [ -n "${LIBTORCH:-}${Torch_DIR:-}" ]; then packages=(python3-torch chromium cmake g++ make); fi
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  else
    echo "ttl-torch: missing system packages: ${missing[*]}" >&2
    echo "  install them as root:  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    echo "  (or set LIBTORCH=/path/to/libtorch to use an unpacked official LibTorch)" >&2
    exit 1
  fi
fi

npm ci --no-audit --no-fund
