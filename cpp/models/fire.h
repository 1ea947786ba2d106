#pragma once
#include <torch/torch.h>

namespace ttl {

// torchvision.models.squeezenet.Fire: squeeze 1x1, then concatenated expand 1x1 and 3x3.
class FireImpl : public torch::nn::Module {
 public:
  FireImpl(int64_t inplanes, int64_t squeeze_planes, int64_t expand1x1_planes, int64_t expand3x3_planes);
  torch::Tensor forward(torch::Tensor x);
  int64_t out_channels() const { return out_channels_; }

 private:
  torch::nn::Conv2d squeeze{nullptr}, expand1x1{nullptr}, expand3x3{nullptr};
  torch::nn::ReLU squeeze_activation{nullptr}, expand1x1_activation{nullptr}, expand3x3_activation{nullptr};
  int64_t out_channels_;
};
TORCH_MODULE(Fire);

}  // namespace ttl
