#pragma once
#include "core/arch.h"
#include "models/preact_bottleneck.h"

namespace ttl {

// ResNet v2 (pre-activation) as units: stem (bn_data, conv0, bn0, relu, maxpool) then every bottleneck.
// The last unit of the full network also applies the final batch norm + ReLU (GluonCV batchnorm2).
// GluonCV checkpoints (resnetv24_*) are translated to these names by weights/layouts.
class ResNetV2Impl : public BackboneImpl {
 public:
  explicit ResNetV2Impl(const ArchSpec& spec);
  torch::Tensor forward_unit(int64_t index, torch::Tensor x) override;

 private:
  torch::nn::BatchNorm2d bn_data{nullptr}, bn0{nullptr}, bn_final{nullptr};
  torch::nn::Conv2d conv0{nullptr};
  torch::nn::ReLU relu{nullptr};
  torch::nn::MaxPool2d maxpool{nullptr};
  std::vector<PreActBottleneck> blocks_;
};
TORCH_MODULE(ResNetV2);

}  // namespace ttl
