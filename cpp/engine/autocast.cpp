#include "engine/autocast.h"

#include <ATen/autocast_mode.h>

#include "core/error.h"

namespace ttl {

AutocastScope::AutocastScope(const std::string& mode, torch::Device device) {
  if (mode.empty()) return;
  const auto dtype = mode == "fp16" ? at::kHalf : at::kBFloat16;
  if (device.is_cuda()) {
    at::autocast::set_enabled(true);
    at::autocast::set_autocast_gpu_dtype(dtype);
    cuda_ = true;
  } else {
    if (mode == "fp16") throw Error("E_BAD_ARGUMENT", "fp16 autocast needs CUDA; use bf16 on CPU");
    at::autocast::set_cpu_enabled(true);
    at::autocast::set_autocast_cpu_dtype(dtype);
    cpu_ = true;
  }
}

AutocastScope::~AutocastScope() {
  if (cuda_) at::autocast::set_enabled(false);
  if (cpu_) at::autocast::set_cpu_enabled(false);
  if (cuda_ || cpu_) at::autocast::clear_cache();
}

}  // namespace ttl
