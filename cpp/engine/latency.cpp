#include "engine/latency.h"

#include <chrono>

#include "core/error.h"

namespace ttl {

std::vector<double> measure_latency(const std::function<torch::Tensor(const torch::Tensor&)>& forward, torch::Device device,
                                    const std::vector<int64_t>& input_shape, int64_t warmup, int64_t runs) {
  if (runs < 1 || warmup < 0) throw Error("E_BAD_ARGUMENT", "latency needs runs >= 1 and warmup >= 0");
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), input_shape.begin(), input_shape.end());
  torch::Tensor x = torch::randn(shape, torch::TensorOptions().device(device));
  auto sync = [&] {
    if (device.is_cuda()) torch::cuda::synchronize();
  };
  for (int64_t i = 0; i < warmup; ++i) forward(x);
  sync();
  std::vector<double> times;
  for (int64_t i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    forward(x);
    sync();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  return times;
}

}  // namespace ttl
