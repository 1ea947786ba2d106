#pragma once
#include <torch/torch.h>

#include <chrono>
#include <string>
#include <vector>

namespace ttl {

struct RuntimeInfo {
  std::string libtorch_version;
  // Built against a CUDA LibTorch (its CUDA code paths compiled in), whether or not a GPU is present.
  bool cuda_compiled = false;
  bool cuda_available = false;
  int64_t cuda_devices = 0;
  int64_t threads = 0;
  // Whether threads follows the cores other processes leave free (see CpuShare), and what they last took.
  bool adaptive_threads = false;
  double others_busy_cores = 0;
  bool flush_denormal = false;
  bool deterministic = false;  // LibTorch's deterministic algorithms (set_deterministic)
  std::string cpu_capability;  // the ISA ATen's CPU kernels use: DEFAULT, AVX2, AVX512, ...
  std::string parallel_info;
  std::vector<std::string> families;  // the architecture families a model card may name (core/arch.cpp)
};

// Applies intra-op threads and flush-denormal to the calling thread: with OpenMP both are per-thread
// settings, so the compute thread calls this itself. threads > 0 is fixed; <= 0 adapts (adapt_compute_threads)
// between 1 and all cores.
void configure_compute_thread(int64_t threads);

// Before each task of the compute thread: with adaptive threads, the cores other processes leave free.
void adapt_compute_threads();

// The threads the cores other processes leave free, measured over `window` from now (the caller waits that
// long): what a trial that keeps one count for its whole length starts with.
int measure_free_threads(std::chrono::milliseconds window);

// LibTorch's deterministic algorithms on or off (process-wide; an op without one then throws).
void set_deterministic(bool on);

// "auto" -> CUDA when available, else CPU. "cuda" without CUDA is an error.
torch::Device resolve_device(const std::string& name);

// The device a network's parameters live on (CPU for a network without parameters).
inline torch::Device device_of(torch::nn::Module& model) {
  auto params = model.parameters();
  return params.empty() ? torch::Device(torch::kCPU) : params.front().device();
}

RuntimeInfo runtime_info();

}  // namespace ttl
