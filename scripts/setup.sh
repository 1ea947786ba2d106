#!/usr/bin/env bash
# Installs what ttl-torch needs on Debian/Ubuntu, printing each step and how long it took:
#   bash scripts/setup.sh          LibTorch (CPU, from apt) with OpenBLAS, the build tools, then the npm packages
#                                  (which use the prebuilt addon when it matches, else compile it, and compile
#                                  the TypeScript). Enough to train.
#   bash scripts/setup.sh --test   also what only the tests use: Debian's python3-torch (reference checks) and
#                                  chromium (the report test). .ci/run uses this.
# OpenBLAS matters: without it Debian's libtorch falls back to the reference BLAS (ResNet-50 inference at 64 px
# took 125 ms instead of 16 ms). Set LIBTORCH=/path/to/libtorch to build against another LibTorch (e.g. an
# official CUDA build); libtorch-dev is then not installed.
set -euo pipefail
cd "$(dirname "$0")/.."

test_deps=0
for arg in "$@"; do
  case "$arg" in
    --test) test_deps=1 ;;
    *) echo "usage: bash scripts/setup.sh [--test]" >&2; exit 2 ;;
  esac
done

declare -a summary=()
step() {
  local name="$1"; shift
  local start; start=$(date +%s%N)
  echo "==> $name"
  "$@"
  local ms=$(( ($(date +%s%N) - start) / 1000000 ))
  local took; took=$(printf '%d.%d s' $((ms / 1000)) $(((ms % 1000) / 100)))
  echo "<== $name: $took"
  summary+=("$(printf '%-48s %s' "$name" "$took")")
}

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -eq 0 ]; then echo "already installed: $*"; return 0; fi
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "ttl-torch: missing system packages: ${missing[*]}" >&2
    echo "  install them as root:  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    echo "  (or set LIBTORCH=/path/to/libtorch to use an unpacked official LibTorch)" >&2
    exit 1
  fi
}

# libgloo-dev: the headers c10d's ProcessGroupGloo.hpp includes (trial-parallel and data-parallel runs; without
# them the addon builds without c10d and refuses distributed runs).
# The build tools stay in the default set: they are what `npm ci` falls back to when no prebuild matches.
packages=(libtorch-dev libgloo-dev libopenblas0-openmp cmake g++ make)
if [ -n "${LIBTORCH:-}${Torch_DIR:-}" ]; then packages=(cmake g++ make); fi
step "system packages (${packages[*]})" apt_install "${packages[@]}"
if [ "$test_deps" -eq 1 ]; then
  step "test-only packages (python3-torch chromium)" apt_install python3-torch chromium
fi
step "npm ci (packages, native addon, TypeScript)" npm ci --no-audit --no-fund

echo "==> setup done"
printf '    %s\n' "${summary[@]}"
