# A CUDA LibTorch from PyTorch's wheel (pip install torch) asks for a CUDA toolkit when it is found: its
# Caffe2Config runs FindCUDA (which wants an unversioned libcudart.so) and enable_language(CUDA) (nvcc compiling
# and linking a test program), then links CUDA::* targets. pip's nvidia-* packages beside the wheel carry
# every piece (the runtime, cuBLAS, ..., and nvcc/crt/nvvm when nvidia-cuda-nvcc is installed: setup.sh
# --libtorch pip does), but spread over several folders and with versioned sonames only. This lays out a
# toolkit-shaped folder of links in the build tree and points CMake at it, so the same CMakeLists.txt builds
# against either LibTorch without a system CUDA install. Nothing happens when the caller named a toolkit.
#
# ttl_use_pip_cuda_toolkit(<torch package dir>) sets, in the caller's scope, TTL_TORCH_PIP_NVIDIA (the
# nvidia/ folder used, empty when none) and the toolkit variables.
function(ttl_use_pip_cuda_toolkit torch_dir)
  set(TTL_TORCH_PIP_NVIDIA "" PARENT_SCOPE)
  set(shim "${CMAKE_BINARY_DIR}/pip-cuda-toolkit")
  # A toolkit named by the caller wins; the cache holding this function's own choice (a re-configure) does not.
  if(DEFINED ENV{CUDA_HOME} OR DEFINED ENV{CUDACXX} OR (CUDA_TOOLKIT_ROOT_DIR AND NOT CUDA_TOOLKIT_ROOT_DIR STREQUAL shim))
    return()
  endif()
  get_filename_component(site "${torch_dir}/.." ABSOLUTE)
  file(GLOB nvcc_candidates "${site}/nvidia/cu*/bin/nvcc")
  if(NOT nvcc_candidates)
    # A CUDA wheel without nvcc beside it: Caffe2Config will say that CUDA is missing; say how to get it.
    file(GLOB runtime "${site}/nvidia/cu*/lib/libcudart.so*")
    if(runtime)
      message(WARNING "ttl-torch: ${torch_dir} is a CUDA build but pip's nvcc is not installed beside it; "
                      "bash scripts/setup.sh --libtorch pip installs it (nvidia-cuda-nvcc, nvidia-cuda-crt, nvidia-nvvm)")
    endif()
    return()
  endif()
  list(GET nvcc_candidates 0 nvcc)
  get_filename_component(cuda_root "${nvcc}/../.." ABSOLUTE)
  # nvcc links from lib/, FindCUDA looks in lib64/ first: one folder under both names.
  file(MAKE_DIRECTORY "${shim}/lib")
  if(NOT EXISTS "${shim}/lib64")
    file(CREATE_LINK "lib" "${shim}/lib64" SYMBOLIC)
  endif()
  foreach(entry bin include nvvm)
    if(NOT EXISTS "${shim}/${entry}")
      file(CREATE_LINK "${cuda_root}/${entry}" "${shim}/${entry}" SYMBOLIC)
    endif()
  endforeach()
  # Every library of every nvidia package (cuDNN, NCCL, ... live in folders of their own), under its own name
  # and unversioned: libcudart.so.13 -> lib/libcudart.so.13 and lib/libcudart.so.
  file(GLOB libraries "${site}/nvidia/*/lib/lib*")
  foreach(library ${libraries})
    get_filename_component(name "${library}" NAME)
    string(REGEX REPLACE "\\.so\\..*$" ".so" unversioned "${name}")
    foreach(link ${name} ${unversioned})
      if(NOT EXISTS "${shim}/lib/${link}")
        file(CREATE_LINK "${library}" "${shim}/lib/${link}" SYMBOLIC)
      endif()
    endforeach()
  endforeach()
  set(CUDA_TOOLKIT_ROOT_DIR "${shim}" CACHE PATH "CUDA toolkit (links into pip's nvidia packages)")
  set(CUDAToolkit_ROOT "${shim}" PARENT_SCOPE)
  set(CMAKE_CUDA_COMPILER "${shim}/bin/nvcc" CACHE FILEPATH "nvcc from pip's nvidia-cuda-nvcc")
  set(TTL_TORCH_PIP_NVIDIA "${site}/nvidia" PARENT_SCOPE)
  message(STATUS "ttl-torch: CUDA toolkit from pip's packages in ${site}/nvidia (links in ${shim})")
endfunction()
