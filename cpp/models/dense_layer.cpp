#include "models/dense_layer.h"

#include "core/macs.h"
#include "models/conv.h"

namespace ttl {

DenseLayerImpl::DenseLayerImpl(int64_t in_channels, int64_t growth_rate, int64_t bn_size)
    : norm1(register_module("norm1", batch_norm2d(in_channels))),
      norm2(register_module("norm2", batch_norm2d(bn_size * growth_rate))),
      relu1(register_module("relu1", relu())),
      relu2(register_module("relu2", relu())),
      conv1(register_module("conv1", conv2d(in_channels, bn_size * growth_rate, 1))),
      conv2(register_module("conv2", conv2d(bn_size * growth_rate, growth_rate, 3, 1, 1))) {}

torch::Tensor DenseLayerImpl::forward(torch::Tensor x) {
  torch::Tensor h = call(conv1, call(relu1, call(norm1, x)));
  h = call(conv2, call(relu2, call(norm2, h)));
  return torch::cat({x, h}, 1);
}

TransitionImpl::TransitionImpl(int64_t in_channels, int64_t out_channels)
    : norm(register_module("norm", batch_norm2d(in_channels))),
      relu(register_module("relu", ttl::relu())),
      conv(register_module("conv", conv2d(in_channels, out_channels, 1))),
      pool(register_module("pool", torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(2).stride(2)))) {}

torch::Tensor TransitionImpl::forward(torch::Tensor x) {
  return call(pool, call(conv, call(relu, call(norm, x))));
}

}  // namespace ttl
