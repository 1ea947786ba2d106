#pragma once
#include <torch/torch.h>

#include <functional>
#include <vector>

namespace ttl {

// Inference latency of `forward` (a network's eval-mode output) for one sample of `input_shape` ([C, H, W])
// on `device`: `warmup` untimed passes (the first passes of a process pay for oneDNN and allocator
// warm-up), then `runs` timed ones, in ms.
std::vector<double> measure_latency(const std::function<torch::Tensor(const torch::Tensor&)>& forward, torch::Device device,
                                    const std::vector<int64_t>& input_shape, int64_t warmup, int64_t runs);

}  // namespace ttl
