#pragma once
#include "core/arch.h"

namespace ttl {

// kenshohara/3D-ResNets-PyTorch (2018) ResNet-3D and ResNeXt-3D as units: stem (7x7x7 conv stride 1x2x2,
// bn, relu, 3x3x3 max-pool stride 2) then every residual block; input [N, C, D, H, W].
// arch.block: basic (ResNet-18/34), bottleneck (ResNet-50), resnext (cardinality arch.cardinality, widths x2).
class ResNet3dImpl : public BackboneImpl {
 public:
  explicit ResNet3dImpl(const ArchSpec& spec);
  torch::Tensor forward_unit(int64_t index, torch::Tensor x) override;

 private:
  torch::nn::Conv3d conv1{nullptr};
  torch::nn::BatchNorm3d bn1{nullptr};
  torch::nn::ReLU relu{nullptr};
  torch::nn::MaxPool3d maxpool{nullptr};
  std::vector<torch::nn::AnyModule> blocks_;
};
TORCH_MODULE(ResNet3d);

}  // namespace ttl
