#pragma once
#include <torch/torch.h>

#include "models/se_block.h"

namespace ttl {

// PENet's bottleneck (Huang et al. 2020): ResNeXt 1x1x1 -> grouped 3x3x3 (stride) -> 1x1x1 with GroupNorm
// (channels / 16 groups) and LeakyReLU, squeeze-excitation on the residual branch, a GroupNorm projection
// shortcut, and stochastic depth while training (the branch is dropped with probability 1 - survival).
class PENetBottleneckImpl : public torch::nn::Module {
 public:
  static constexpr int64_t expansion = 2;
  PENetBottleneckImpl(int64_t in_channels, int64_t channels, int64_t cardinality, int64_t stride, double survival);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::Conv3d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  torch::nn::LeakyReLU relu1{nullptr}, relu2{nullptr}, relu3{nullptr};
  SEBlock se_block{nullptr};
  torch::nn::Sequential down_sample{nullptr};
  double survival_;
};
TORCH_MODULE(PENetBottleneck);

}  // namespace ttl
