#include "core/macs.h"

namespace ttl {
namespace {
thread_local CallHook* active_hook = nullptr;

int64_t conv_macs(const torch::Tensor& weight, bool has_bias, const torch::Tensor& output, int64_t groups) {
  // output: [N, Cout, spatial...]; weight: [Cout, Cin/groups, kernel...]
  const int64_t out_positions = output.numel() / output.size(1);
  const int64_t per_position = weight.numel();  // Cout * Cin/groups * prod(kernel)
  (void)groups;                                  // already folded into the weight's shape
  return out_positions * per_position + (has_bias ? output.numel() : 0);
}
}  // namespace

CallHook::CallHook() : previous_(active_hook) { active_hook = this; }
CallHook::~CallHook() { active_hook = previous_; }
CallHook* CallHook::active() { return active_hook; }

void MacCounter::record(const torch::nn::Module& m, const torch::Tensor& in, const torch::Tensor& out) {
  using namespace torch::nn;
  if (auto* c = m.as<Conv2d>()) {
    total_ += conv_macs(c->weight, c->options.bias(), out, c->options.groups());
  } else if (auto* c3 = m.as<Conv3d>()) {
    total_ += conv_macs(c3->weight, c3->options.bias(), out, c3->options.groups());
  } else if (auto* bn = m.as<BatchNorm2d>()) {
    total_ += in.numel() * (bn->options.affine() ? 2 : 1);
  } else if (auto* bn3 = m.as<BatchNorm3d>()) {
    total_ += in.numel() * (bn3->options.affine() ? 2 : 1);
  } else if (auto* gn = m.as<GroupNorm>()) {
    total_ += in.numel() * (gn->options.affine() ? 2 : 1);
  } else if (m.as<ReLU>() || m.as<LeakyReLU>()) {
    total_ += out.numel();
  } else if (m.as<MaxPool2d>() || m.as<MaxPool3d>() || m.as<AvgPool2d>() || m.as<AvgPool3d>() ||
             m.as<AdaptiveAvgPool2d>() || m.as<AdaptiveAvgPool3d>()) {
    total_ += in.numel();
  } else if (auto* lin = m.as<Linear>()) {
    total_ += in.numel() * out.size(-1) + (lin->options.bias() ? out.size(-1) : 0);
  }
  // Dropout, Identity, concatenation and residual additions count 0, as in ptflops.
}

torch::Tensor run_sequential(torch::nn::Sequential& sequential, torch::Tensor x) {
  for (auto& module : *sequential) x = call(module, x);
  return x;
}

torch::Tensor resize_to(const torch::Tensor& x, at::IntArrayRef size) {
  if (x.sizes().slice(2) == size) return x;
  namespace F = torch::nn::functional;
  F::InterpolateFuncOptions options;
  if (size.size() == 3) {
    options.mode(torch::kTrilinear);
  } else {
    options.mode(torch::kBilinear);
  }
  torch::Tensor out = F::interpolate(x, options.size(size.vec()).align_corners(false));
  if (MacCounter* counter = MacCounter::active()) counter->add(out.numel());
  return out;
}

}  // namespace ttl
