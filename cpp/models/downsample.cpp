#include "models/downsample.h"

#include "core/trace.h"
#include "models/conv.h"

namespace ttl {

torch::nn::Sequential make_downsample(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Sequential(conv2d(in, out, 1, stride), batch_norm2d(out));
}

torch::Tensor run_downsample(torch::nn::Sequential& downsample, const torch::Tensor& x) {
  torch::Tensor y = x;
  for (auto& module : *downsample) y = call(module, y);
  return y;
}

}  // namespace ttl
