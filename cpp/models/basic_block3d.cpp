#include "models/basic_block3d.h"

#include "models/conv.h"
#include "models/residual.h"

namespace ttl {

torch::nn::Sequential conv_bn3d(int64_t in, int64_t out, std::vector<int64_t> kernel, std::vector<int64_t> stride,
                                std::vector<int64_t> padding, bool with_relu) {
  torch::nn::Sequential s(
      torch::nn::Conv3d(torch::nn::Conv3dOptions(in, out, kernel).stride(stride).padding(padding).bias(false)),
      torch::nn::BatchNorm3d(out));
  if (with_relu) s->push_back(relu());
  return s;
}

BasicBlock3dImpl::BasicBlock3dImpl(int64_t inplanes, int64_t planes, int64_t stride)
    : conv1(register_module("conv1", conv_bn3d(inplanes, planes, {3, 3, 3}, {stride, stride, stride}, {1, 1, 1}, true))),
      conv2(register_module("conv2", conv_bn3d(planes, planes, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, false))),
      relu(register_module("relu", ttl::relu())) {
  if (stride != 1 || inplanes != planes)
    downsample = register_module("downsample", conv_bn3d(inplanes, planes, {1, 1, 1}, {stride, stride, stride}, {0, 0, 0}, false));
}

torch::Tensor BasicBlock3dImpl::forward(torch::Tensor x) {
  return residual_sum(x, downsample, relu, [&](const torch::Tensor& in) { return run_sequential(conv2, run_sequential(conv1, in)); });
}

}  // namespace ttl
