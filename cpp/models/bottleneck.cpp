#include "models/bottleneck.h"

#include "models/conv.h"
#include "models/downsample.h"
#include "models/residual.h"

namespace ttl {

BottleneckImpl::BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride)
    : conv1(register_module("conv1", conv2d(inplanes, planes, 1))),
      conv2(register_module("conv2", conv2d(planes, planes, 3, stride, 1))),
      conv3(register_module("conv3", conv2d(planes, planes * expansion, 1))),
      bn1(register_module("bn1", batch_norm2d(planes))),
      bn2(register_module("bn2", batch_norm2d(planes))),
      bn3(register_module("bn3", batch_norm2d(planes * expansion))),
      relu(register_module("relu", ttl::relu())) {
  if (stride != 1 || inplanes != planes * expansion)
    downsample = register_module("downsample", make_downsample(inplanes, planes * expansion, stride));
}

torch::Tensor BottleneckImpl::forward(torch::Tensor x) {
  return residual_sum(x, downsample, relu, [&](const torch::Tensor& in) {
    return bottleneck_branch(in, conv1, bn1, conv2, bn2, conv3, bn3, relu);
  });
}

}  // namespace ttl
