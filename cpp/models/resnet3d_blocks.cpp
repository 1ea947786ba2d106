#include "models/resnet3d_blocks.h"

#include "models/basic_block3d.h"
#include "models/conv.h"
#include "models/residual.h"

namespace ttl {
namespace {
torch::nn::Sequential projection(int64_t in, int64_t out, int64_t stride) {
  return conv_bn3d(in, out, {1, 1, 1}, {stride, stride, stride}, {0, 0, 0}, false);
}
}  // namespace

ResNet3dBasicImpl::ResNet3dBasicImpl(int64_t inplanes, int64_t planes, int64_t stride)
    : conv1(register_module("conv1", conv3d(inplanes, planes, 3, stride))),
      conv2(register_module("conv2", conv3d(planes, planes, 3, 1))),
      bn1(register_module("bn1", torch::nn::BatchNorm3d(planes))),
      bn2(register_module("bn2", torch::nn::BatchNorm3d(planes))),
      relu(register_module("relu", ttl::relu())) {
  if (stride != 1 || inplanes != planes) downsample = register_module("downsample", projection(inplanes, planes, stride));
}

torch::Tensor ResNet3dBasicImpl::forward(torch::Tensor x) {
  return residual_sum(x, downsample, relu, [&](const torch::Tensor& in) {
    return call(bn2, call(conv2, call(relu, call(bn1, call(conv1, in)))));
  });
}

ResNet3dBottleneckImpl::ResNet3dBottleneckImpl(int64_t inplanes, int64_t mid, int64_t out, int64_t stride, int64_t groups)
    : conv1(register_module("conv1", conv3d(inplanes, mid, 1, 1))),
      conv2(register_module("conv2", conv3d(mid, mid, 3, stride, groups))),
      conv3(register_module("conv3", conv3d(mid, out, 1, 1))),
      bn1(register_module("bn1", torch::nn::BatchNorm3d(mid))),
      bn2(register_module("bn2", torch::nn::BatchNorm3d(mid))),
      bn3(register_module("bn3", torch::nn::BatchNorm3d(out))),
      relu(register_module("relu", ttl::relu())) {
  if (stride != 1 || inplanes != out) downsample = register_module("downsample", projection(inplanes, out, stride));
}

torch::Tensor ResNet3dBottleneckImpl::forward(torch::Tensor x) {
  return residual_sum(x, downsample, relu, [&](const torch::Tensor& in) {
    return bottleneck_branch(in, conv1, bn1, conv2, bn2, conv3, bn3, relu);
  });
}

}  // namespace ttl
