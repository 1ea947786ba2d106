#pragma once
#include <torch/torch.h>

#include <string>

namespace ttl {

struct RuntimeInfo {
  std::string libtorch_version;
  bool cuda_available = false;
  int64_t cuda_devices = 0;
  int64_t threads = 0;
  bool flush_denormal = false;
  std::string parallel_info;
};

// Applies intra-op threads (<= 0: all cores) and flush-denormal to the calling thread: with OpenMP
// both are per-thread settings, so the compute thread calls this itself.
void configure_compute_thread(int64_t threads);

// "auto" -> CUDA when available, else CPU. "cuda" without CUDA is an error.
torch::Device resolve_device(const std::string& name);

// The device a network's parameters live on (CPU for a network without parameters).
inline torch::Device device_of(torch::nn::Module& model) {
  auto params = model.parameters();
  return params.empty() ? torch::Device(torch::kCPU) : params.front().device();
}

RuntimeInfo runtime_info();

}  // namespace ttl
