#include "models/bottleneck.h"

#include "core/macs.h"
#include "models/conv.h"
#include "models/downsample.h"

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
  torch::Tensor identity = downsample ? run_sequential(downsample, x) : x;
  torch::Tensor out = call(relu, call(bn1, call(conv1, x)));
  out = call(relu, call(bn2, call(conv2, out)));
  out = call(bn3, call(conv3, out));
  return call(relu, out + identity);
}

}  // namespace ttl
