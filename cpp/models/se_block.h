#pragma once
#include <torch/torch.h>

namespace ttl {

// Squeeze-and-excitation (Hu et al.) for 3D maps as in PENet: global average pool, Linear -> LeakyReLU ->
// Linear -> Sigmoid, channel-wise rescale. Names: squeeze, excite.0, excite.2.
class SEBlockImpl : public torch::nn::Module {
 public:
  SEBlockImpl(int64_t channels, int64_t reduction);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::AdaptiveAvgPool3d squeeze{nullptr};
  torch::nn::Sequential excite{nullptr};
};
TORCH_MODULE(SEBlock);

}  // namespace ttl
