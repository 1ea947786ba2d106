#!/usr/bin/env bash
# Installs what ttl-torch needs on Debian/Ubuntu, printing each step and how long it took:
#   bash scripts/setup.sh          LibTorch 1.13 (CPU, Debian's libtorch-dev from apt) with OpenBLAS, the build
#                                  tools, then the npm packages (which use the prebuilt addon when it matches, else
#                                  compile it, and compile the TypeScript). Enough to train; needs no Python.
#   bash scripts/setup.sh --libtorch pip
#                                  LibTorch 2.x instead: PyTorch's wheel (torch==2.15.*, a CUDA build that also
#                                  runs on CPU) in a virtual environment (TTL_TORCH_VENV, default .venv), with the
#                                  pieces of pip's CUDA toolkit its CMake package asks for (nvcc, crt, nvvm), then
#                                  the addon compiled against it. TTL_TORCH_PIP_TORCH overrides the requirement.
#   --test                         also what only the tests use: Debian's python3-torch (reference checks),
#                                  chromium (the report test), and the ONNX checker and onnxruntime from PyPI
#                                  (onnx, onnxruntime), scikit-learn (the multi-label metrics fixture) and pydicom
#                                  with pylibjpeg's decoders (the DICOM reference decoder; its wheel's test files
#                                  are the DICOM corpus the tests read) in a small virtual environment of their own
#                                  (TTL_TORCH_TEST_VENV, default .venv-test; the ONNX export's Python reference
#                                  check). .ci/run uses this.
# TTL_TORCH_BUILD_DIR (default build) is where the addon is compiled and where it is loaded from: .ci/run keeps
# the pip build in build-pip beside the Debian one.
# OpenBLAS matters: without it Debian's libtorch falls back to the reference BLAS (ResNet-50 inference at 64 px
# took 125 ms instead of 16 ms). Set LIBTORCH=/path/to/libtorch to build against another LibTorch (e.g. an
# official CUDA build); libtorch-dev is then not installed.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: bash scripts/setup.sh [--libtorch debian|pip] [--test]" >&2; exit 2; }
test_deps=0
libtorch=debian
while [ $# -gt 0 ]; do
  case "$1" in
    --test) test_deps=1 ;;
    --libtorch) [ $# -ge 2 ] || usage; libtorch="$2"; shift ;;
    --libtorch=*) libtorch="${1#--libtorch=}" ;;
    *) usage ;;
  esac
  shift
done
case "$libtorch" in debian | pip) ;; *) echo "setup.sh: --libtorch is 'debian' or 'pip', not '$libtorch'" >&2; exit 2 ;; esac

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

# patchelf (pip only): npm run prebuildify -- --libtorch pip removes the RUNPATH into this machine's site-packages.
# libgloo-dev: the headers c10d's ProcessGroupGloo.hpp includes (trial-parallel and data-parallel runs; without
# them the addon builds without c10d and refuses distributed runs).
# The build tools stay in the default set: they are what `npm ci` falls back to when no prebuild matches.
packages=(libtorch-dev libgloo-dev libopenblas0-openmp cmake g++ make)
if [ "$libtorch" = pip ]; then packages=(libgloo-dev cmake g++ make python3-venv patchelf)
elif [ -n "${LIBTORCH:-}${Torch_DIR:-}" ]; then packages=(cmake g++ make); fi
step "system packages (${packages[*]})" apt_install "${packages[@]}"
if [ "$test_deps" -eq 1 ]; then
  step "test-only packages (python3-torch python3-torchvision chromium python3-venv dcmtk libgdcm-tools openjph-tools teem-apps)" apt_install python3-torch python3-torchvision chromium python3-venv dcmtk libgdcm-tools openjph-tools teem-apps
fi

# The wheel's TorchConfig.cmake is a CUDA build's: configuring against it runs nvcc, so pip's nvcc, crt and nvvm
# are installed at the CUDA version of the runtime the wheel brought (cmake/pip_cuda_toolkit.cmake lays them out).
pip_libtorch() {
  local venv="${TTL_TORCH_VENV:-.venv}"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${TTL_TORCH_PIP_TORCH:-torch==2.15.*}" torchvision
  local cuda
  cuda=$("$venv/bin/pip" show nvidia-cuda-runtime 2>/dev/null | sed -n 's/^Version: //p')
  if [ -n "$cuda" ]; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
      "nvidia-cuda-nvcc==$cuda" "nvidia-cuda-crt==$cuda" "nvidia-nvvm==$cuda"
  fi
  "$venv/bin/python" -c 'import torch; print("PyTorch", torch.__version__, "in", torch.__path__[0])'
}
# The ONNX project's checker and onnxruntime from PyPI (test/native/onnx-python.test.ts): a venv apart from the
# torch one (.venv), so that the Debian leg, which has none, gets them too.
test_venv() {
  local venv="${TTL_TORCH_TEST_VENV:-.venv-test}"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'onnx>=1.14' 'onnxruntime>=1.16' 'scikit-learn>=1.2' \
    'pydicom==3.0.*' 'pylibjpeg>=2.0' 'pylibjpeg-libjpeg>=2.1' 'pylibjpeg-openjpeg>=2.3' 'pylibjpeg-rle>=2.0' \
    'SimpleITK>=2.3'
  # ptflops, pure Python, in a folder of its own that the torchvision reference puts on the path of whichever
  # PyTorch it runs (Debian's python3-torch, or the pip leg's .venv).
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --upgrade --target "$venv/ptflops" 'ptflops==0.7.5'
  "$venv/bin/python" -c 'import onnx, onnxruntime, sklearn, pydicom, SimpleITK; print("onnx", onnx.__version__, "onnxruntime", onnxruntime.__version__, "scikit-learn", sklearn.__version__, "pydicom", pydicom.__version__, "SimpleITK", SimpleITK.__version__)'
}
if [ "$test_deps" -eq 1 ]; then
  step "onnx, onnxruntime, scikit-learn, pydicom + pylibjpeg, SimpleITK from PyPI (${TTL_TORCH_TEST_VENV:-.venv-test})" test_venv
fi
if [ "$libtorch" = pip ]; then
  step "PyTorch wheel and pip's CUDA toolkit (${TTL_TORCH_VENV:-.venv})" pip_libtorch
  LIBTORCH=$("${TTL_TORCH_VENV:-.venv}/bin/python" -c 'import torch; print(torch.__path__[0])')
  export LIBTORCH
fi
# onnxruntime-node (a dev dependency: the ONNX export tests) would fetch CUDA provider files from a feed these
# machines cannot reach; its CPU binaries ship inside the npm package.
export ONNXRUNTIME_NODE_INSTALL=skip
step "npm ci (packages, native addon, TypeScript)" npm ci --no-audit --no-fund

echo "==> setup done"
printf '    %s\n' "${summary[@]}"
