#include "models/penet_bottleneck.h"

#include "core/macs.h"
#include "models/conv.h"

namespace ttl {
namespace {
torch::nn::GroupNorm group_norm(int64_t channels) { return torch::nn::GroupNorm(channels / 16, channels); }
}  // namespace

PENetBottleneckImpl::PENetBottleneckImpl(int64_t in_channels, int64_t channels, int64_t cardinality, int64_t stride, double survival)
    : survival_(survival) {
  const int64_t mid = cardinality * (channels / cardinality);
  const int64_t out = channels * expansion;
  if (stride != 1 || in_channels != out)
    down_sample = register_module("down_sample", torch::nn::Sequential(conv3d(in_channels, out, 1, stride), group_norm(out)));
  conv1 = register_module("conv1", conv3d(in_channels, mid, 1));
  norm1 = register_module("norm1", group_norm(mid));
  relu1 = register_module("relu1", torch::nn::LeakyReLU());
  conv2 = register_module("conv2", conv3d(mid, mid, 3, stride, cardinality));
  norm2 = register_module("norm2", group_norm(mid));
  relu2 = register_module("relu2", torch::nn::LeakyReLU());
  conv3 = register_module("conv3", conv3d(mid, out, 1));
  norm3 = register_module("norm3", group_norm(out));
  relu3 = register_module("relu3", torch::nn::LeakyReLU());
  se_block = register_module("se_block", SEBlock(out, 16));
}

torch::Tensor PENetBottleneckImpl::forward(torch::Tensor x) {
  torch::Tensor skip = down_sample ? run_sequential(down_sample, x) : x;
  torch::Tensor y = call(relu1, call(norm1, call(conv1, x)));
  y = call(relu2, call(norm2, call(conv2, y)));
  y = se_block->forward(call(norm3, call(conv3, y)));
  const bool dropped = is_training() && torch::rand({1}).item<double>() > survival_;
  return call(relu3, dropped ? skip : y + skip);
}

}  // namespace ttl
