#include "models/basic_block.h"

#include "models/conv.h"
#include "models/downsample.h"
#include "models/residual.h"

namespace ttl {

BasicBlockImpl::BasicBlockImpl(int64_t inplanes, int64_t planes, int64_t stride)
    : conv1(register_module("conv1", conv2d(inplanes, planes, 3, stride, 1))),
      conv2(register_module("conv2", conv2d(planes, planes, 3, 1, 1))),
      bn1(register_module("bn1", batch_norm2d(planes))),
      bn2(register_module("bn2", batch_norm2d(planes))),
      relu(register_module("relu", ttl::relu())) {
  if (stride != 1 || inplanes != planes * expansion)
    downsample = register_module("downsample", make_downsample(inplanes, planes * expansion, stride));
}

torch::Tensor BasicBlockImpl::forward(torch::Tensor x) {
  return residual_sum(x, downsample, relu, [&](const torch::Tensor& in) {
    return call(bn2, call(conv2, call(relu, call(bn1, call(conv1, in)))));
  });
}

}  // namespace ttl
