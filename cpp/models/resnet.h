#pragma once
#include "core/arch.h"

namespace ttl {

// torchvision.models.resnet.ResNet as units: stem (conv1, bn1, relu, maxpool) then every residual block.
class ResNetImpl : public BackboneImpl {
 public:
  explicit ResNetImpl(const ArchSpec& spec);
  torch::Tensor forward_unit(int64_t index, torch::Tensor x) override;

 private:
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::ReLU relu{nullptr};
  torch::nn::MaxPool2d maxpool{nullptr};
  std::vector<torch::nn::AnyModule> blocks_;
};
TORCH_MODULE(ResNet);

}  // namespace ttl
