#include "models/preact_bottleneck.h"

#include "core/macs.h"
#include "models/conv.h"

namespace ttl {

PreActBottleneckImpl::PreActBottleneckImpl(int64_t in_channels, int64_t out_channels, int64_t stride, bool project) {
  const int64_t mid = out_channels / 4;
  bn1 = register_module("bn1", batch_norm2d(in_channels));
  conv1 = register_module("conv1", conv2d(in_channels, mid, 1));
  bn2 = register_module("bn2", batch_norm2d(mid));
  conv2 = register_module("conv2", conv2d(mid, mid, 3, stride, 1));
  bn3 = register_module("bn3", batch_norm2d(mid));
  conv3 = register_module("conv3", conv2d(mid, out_channels, 1));
  relu = register_module("relu", ttl::relu());
  if (project) downsample = register_module("downsample", conv2d(in_channels, out_channels, 1, stride));
}

torch::Tensor PreActBottleneckImpl::forward(torch::Tensor x) {
  torch::Tensor pre = call(relu, call(bn1, x));
  torch::Tensor shortcut = downsample ? call(downsample, pre) : x;
  torch::Tensor h = call(conv1, pre);
  h = call(conv2, call(relu, call(bn2, h)));
  h = call(conv3, call(relu, call(bn3, h)));
  return h + shortcut;
}

}  // namespace ttl
