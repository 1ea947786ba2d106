#include "core/runtime.h"

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/version.h>

#include <algorithm>
#include <thread>

#include "core/arch.h"
#include "core/cpu_limit.h"
#include "core/cpu_share.h"
#include "core/error.h"

namespace ttl {
namespace {
bool denormals_flushed = false;
bool threads_follow_free_cores = false;
CpuShare free_core_meter;

// The affinity mask capped by the cgroup's CPU quota, read once (adapt_compute_threads runs before every task).
int all_cores() { return cpu_limit().cores; }

void set_threads_if_changed(int threads) {
  if (at::get_num_threads() != threads) at::set_num_threads(threads);
}
}  // namespace

void configure_compute_thread(int64_t threads) {
  threads_follow_free_cores = threads <= 0;
  set_threads_if_changed(threads_follow_free_cores ? all_cores() : static_cast<int>(threads));
  // Denormals made a ResNet-50 step ~10x slower on these CPUs; flushing them is what PyTorch users get
  // from torch.set_flush_denormal(True).
  denormals_flushed = at::globalContext().setFlushDenormal(true);
}

void adapt_compute_threads() {
  if (threads_follow_free_cores) set_threads_if_changed(free_core_meter.threads(all_cores()));
}

int measure_free_threads(std::chrono::milliseconds window) {
  CpuShare meter;
  meter.threads(all_cores());  // the first sample
  std::this_thread::sleep_for(std::max(window, CpuShare::sample_interval));
  return meter.threads(all_cores());
}

void set_deterministic(bool on) {
  // warn_only false: an operation without a deterministic implementation throws instead of varying silently.
  at::globalContext().setDeterministicAlgorithms(on, false);
}

namespace {
// The vector ISA ATen's CPU kernels dispatch to (ATEN_CPU_CAPABILITY may lower it), as PyTorch's
// torch.__config__.show() prints it: 1.13 exports no other way to ask.
std::string cpu_capability() {
  static const std::string capability = [] {
    const std::string config = at::show_config(), key = "CPU capability usage: ";
    const auto at = config.find(key);
    if (at == std::string::npos) return std::string("unknown");
    const auto start = at + key.size();
    return config.substr(start, config.find('\n', start) - start);
  }();
  return capability;
}
}  // namespace

torch::Device resolve_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available())
      throw Error("E_NO_CUDA", "device '" + name + "' requested but CUDA is not available in this LibTorch build (" +
                                   std::string(TORCH_VERSION) + "); build against a CUDA LibTorch via LIBTORCH=...");
    torch::Device device(name);
    const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
    if (device.has_index() && device.index() >= count)
      throw Error("E_NO_CUDA", "device '" + name + "' does not exist: this machine has " + std::to_string(count) +
                                   " CUDA device(s)");
    return device;
  }
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  // The names are validated in TypeScript (validate.ts deviceOf, the one list); this is the backstop.
  throw Error("E_BAD_ARGUMENT", "device '" + name + "' is not one LibTorch resolves here");
}

RuntimeInfo runtime_info() {
  RuntimeInfo info;
  info.libtorch_version = TORCH_VERSION;
#ifdef TTL_TORCH_CUDA
  info.cuda_compiled = true;
#endif
  info.cuda_available = torch::cuda::is_available();
  info.cuda_devices = static_cast<int64_t>(torch::cuda::device_count());
  info.threads = at::get_num_threads();
  info.adaptive_threads = threads_follow_free_cores;
  info.others_busy_cores = free_core_meter.others_busy();
  info.flush_denormal = denormals_flushed;
  info.deterministic = at::globalContext().deterministicAlgorithms();
  info.cpu_capability = cpu_capability();
  info.parallel_info = at::get_parallel_info();
  info.families = family_names();
  return info;
}

}  // namespace ttl
