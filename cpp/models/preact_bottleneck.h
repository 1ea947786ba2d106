#pragma once
#include <torch/torch.h>

namespace ttl {

// Pre-activation bottleneck (He et al. 2016, "Identity Mappings"; GluonCV BottleneckV2): the output is
// the raw residual sum; the projection shortcut reads the pre-activated input.
class PreActBottleneckImpl : public torch::nn::Module {
 public:
  PreActBottleneckImpl(int64_t in_channels, int64_t out_channels, int64_t stride, bool project);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, downsample{nullptr};
  torch::nn::ReLU relu{nullptr};
};
TORCH_MODULE(PreActBottleneck);

}  // namespace ttl
