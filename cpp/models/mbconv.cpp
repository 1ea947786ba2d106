#include "models/mbconv.h"

#include "core/macs.h"
#include "models/conv.h"

namespace ttl {

int64_t make_divisible(double v) {
  const int64_t rounded = std::max<int64_t>(8, static_cast<int64_t>(v + 4) / 8 * 8);
  return rounded < 0.9 * v ? rounded + 8 : rounded;
}

torch::nn::Sequential conv_norm_silu(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups, double eps,
                                     bool activate) {
  torch::nn::Sequential s(conv2d(in, out, kernel, stride, (kernel - 1) / 2, false, groups),
                          torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out).eps(eps)));
  if (activate) s->push_back(torch::nn::SiLU());
  return s;
}

SqueezeExcitationImpl::SqueezeExcitationImpl(int64_t channels, int64_t squeeze_channels)
    : avgpool(register_module("avgpool", torch::nn::AdaptiveAvgPool2d(1))),
      fc1(register_module("fc1", conv2d(channels, squeeze_channels, 1, 1, 0, true))),
      fc2(register_module("fc2", conv2d(squeeze_channels, channels, 1, 1, 0, true))),
      activation(register_module("activation", torch::nn::SiLU())),
      scale_activation(register_module("scale_activation", torch::nn::Sigmoid())) {}

torch::Tensor SqueezeExcitationImpl::forward(torch::Tensor x) {
  torch::Tensor scale = call(scale_activation, call(fc2, call(activation, call(fc1, call(avgpool, x)))));
  return scale * x;
}

MBConvImpl::MBConvImpl(const MBConvConfig& c, double stochastic_depth, double eps)
    : residual_(c.stride == 1 && c.in == c.out), stochastic_depth_(stochastic_depth) {
  // torchvision: _make_divisible(in * ratio, 8) for MBConv and FusedMBConv alike.
  const int64_t expanded = make_divisible(static_cast<double>(c.in * c.expand_ratio));
  if (c.fused) {
    if (expanded != c.in) {
      convs_.push_back(conv_norm_silu(c.in, expanded, c.kernel, c.stride, 1, eps, true));
      convs_.push_back(conv_norm_silu(expanded, c.out, 1, 1, 1, eps, false));
    } else {
      convs_.push_back(conv_norm_silu(c.in, c.out, c.kernel, c.stride, 1, eps, true));
    }
  } else {
    if (expanded != c.in) convs_.push_back(conv_norm_silu(c.in, expanded, 1, 1, 1, eps, true));
    convs_.push_back(conv_norm_silu(expanded, expanded, c.kernel, c.stride, expanded, eps, true));
    se_ = SqueezeExcitation(expanded, std::max<int64_t>(1, c.in / 4));
    convs_.push_back(conv_norm_silu(expanded, c.out, 1, 1, 1, eps, false));
  }
  // torchvision's names: block.0, block.1, ... in the order the children run.
  block = register_module("block", std::make_shared<torch::nn::Module>());
  int64_t child = 0;
  for (size_t i = 0; i < convs_.size(); ++i) {
    if (se_ && i + 1 == convs_.size()) block->register_module(std::to_string(child++), se_);
    block->register_module(std::to_string(child++), convs_[i]);
  }
}

torch::Tensor MBConvImpl::forward(torch::Tensor x) {
  torch::Tensor out = x;
  for (size_t i = 0; i < convs_.size(); ++i) {
    if (se_ && i + 1 == convs_.size()) out = se_->forward(out);
    out = run_sequential(convs_[i], out);
  }
  if (!residual_) return out;
  if (is_training() && stochastic_depth_ > 0) {
    // torchvision.ops.stochastic_depth(mode="row"): drop the branch per sample, scale the survivors.
    const double survival = 1.0 - stochastic_depth_;
    torch::Tensor keep = torch::empty({out.size(0), 1, 1, 1}, out.options()).bernoulli_(survival);
    out = out * keep.div_(survival);
  }
  return out + x;
}

}  // namespace ttl
