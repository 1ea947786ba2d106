#include "engine/autocast.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "core/error.h"

namespace ttl {
namespace {

// LibTorch 2.4 replaced the per-backend setters (set_enabled / set_cpu_enabled, set_autocast_gpu_dtype / ..._cpu_dtype)
// by ones keyed on the device type, and deprecated the old; 1.13 has only the old.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
void enable(c10::DeviceType type, bool on) { at::autocast::set_autocast_enabled(type, on); }
void set_dtype(c10::DeviceType type, at::ScalarType dtype) { at::autocast::set_autocast_dtype(type, dtype); }
#else
void enable(c10::DeviceType type, bool on) {
  if (type == c10::DeviceType::CUDA) at::autocast::set_enabled(on);
  else at::autocast::set_cpu_enabled(on);
}
void set_dtype(c10::DeviceType type, at::ScalarType dtype) {
  if (type == c10::DeviceType::CUDA) at::autocast::set_autocast_gpu_dtype(dtype);
  else at::autocast::set_autocast_cpu_dtype(dtype);
}
#endif

}  // namespace

AutocastScope::AutocastScope(const std::string& mode, torch::Device device) {
  if (mode.empty()) return;
  const auto dtype = mode == "fp16" ? at::kHalf : at::kBFloat16;
  if (device.is_cuda()) {
    cuda_ = true;
  } else {
    if (mode == "fp16") throw Error("E_BAD_ARGUMENT", "fp16 autocast needs CUDA; use bf16 on CPU");
    cpu_ = true;
  }
  const auto type = cuda_ ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
  enable(type, true);
  set_dtype(type, dtype);
}

AutocastScope::~AutocastScope() {
  if (cuda_) enable(c10::DeviceType::CUDA, false);
  if (cpu_) enable(c10::DeviceType::CPU, false);
  if (cuda_ || cpu_) at::autocast::clear_cache();
}

}  // namespace ttl
