#include "models/bottleneck.h"

#include "models/conv.h"
#include "models/downsample.h"
#include "models/residual.h"

namespace ttl {

namespace {
// torchvision: int(planes * (base_width / 64.0)) * groups.
int64_t inner_width(int64_t planes, int64_t groups, int64_t width_per_group) { return planes * width_per_group / 64 * groups; }
}  // namespace

BottleneckImpl::BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride, int64_t groups, int64_t width_per_group)
    : conv1(register_module("conv1", conv2d(inplanes, inner_width(planes, groups, width_per_group), 1))),
      conv2(register_module("conv2", conv2d(inner_width(planes, groups, width_per_group), inner_width(planes, groups, width_per_group), 3,
                                            stride, 1, false, groups))),
      conv3(register_module("conv3", conv2d(inner_width(planes, groups, width_per_group), planes * expansion, 1))),
      bn1(register_module("bn1", batch_norm2d(inner_width(planes, groups, width_per_group)))),
      bn2(register_module("bn2", batch_norm2d(inner_width(planes, groups, width_per_group)))),
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
