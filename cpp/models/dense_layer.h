#pragma once
#include <torch/torch.h>

namespace ttl {

// torchvision _DenseLayer; as a unit it returns its input concatenated with the new features, which
// equals what torchvision's _DenseBlock hands to the next layer.
class DenseLayerImpl : public torch::nn::Module {
 public:
  DenseLayerImpl(int64_t in_channels, int64_t growth_rate, int64_t bn_size);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::BatchNorm2d norm1{nullptr}, norm2{nullptr};
  torch::nn::ReLU relu1{nullptr}, relu2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
};
TORCH_MODULE(DenseLayer);

// torchvision _Transition: norm, relu, 1x1 conv, 2x2 average pool.
class TransitionImpl : public torch::nn::Module {
 public:
  TransitionImpl(int64_t in_channels, int64_t out_channels);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::BatchNorm2d norm{nullptr};
  torch::nn::ReLU relu{nullptr};
  torch::nn::Conv2d conv{nullptr};
  torch::nn::AvgPool2d pool{nullptr};
};
TORCH_MODULE(Transition);

}  // namespace ttl
