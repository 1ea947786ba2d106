#pragma once
#include <torch/torch.h>

namespace ttl {

// Blocks of kenshohara/3D-ResNets-PyTorch (2018): shortcut type B (1x1x1 conv + BN projection when the shape
// changes), parameter names conv1/bn1/conv2/bn2(/conv3/bn3)/downsample.0/.1.

// Basic block: 3x3x3 (stride) -> 3x3x3.
class ResNet3dBasicImpl : public torch::nn::Module {
 public:
  ResNet3dBasicImpl(int64_t inplanes, int64_t planes, int64_t stride);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::Conv3d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm3d bn1{nullptr}, bn2{nullptr};
  torch::nn::ReLU relu{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(ResNet3dBasic);

// Bottleneck: 1x1x1 -> 3x3x3 (stride, `groups`) -> 1x1x1. ResNet: groups 1, out = 4 x mid; ResNeXt: groups =
// cardinality, mid = cardinality x planes / 32, out = 2 x planes.
class ResNet3dBottleneckImpl : public torch::nn::Module {
 public:
  ResNet3dBottleneckImpl(int64_t inplanes, int64_t mid, int64_t out, int64_t stride, int64_t groups);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::Conv3d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm3d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::ReLU relu{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(ResNet3dBottleneck);

}  // namespace ttl
