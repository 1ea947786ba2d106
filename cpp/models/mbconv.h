#pragma once
#include <torch/torch.h>

namespace ttl {

// torchvision's _make_divisible(v, 8): widths rounded to a multiple of 8, never more than 10% below v.
int64_t make_divisible(double v);

// torchvision.ops.Conv2dNormActivation: "0" conv (no bias, "same" padding), "1" BatchNorm with `eps`, "2" SiLU
// when `activate`. A Sequential, so its children carry torchvision's index names.
torch::nn::Sequential conv_norm_silu(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups, double eps,
                                     bool activate);

// torchvision.ops.SqueezeExcitation as EfficientNet builds it: avgpool, fc1 -> SiLU -> fc2 -> Sigmoid, a scale
// per channel. Only the pool and the 1x1 convolutions count MACs (ptflops counts neither SiLU nor Sigmoid).
class SqueezeExcitationImpl : public torch::nn::Module {
 public:
  SqueezeExcitationImpl(int64_t channels, int64_t squeeze_channels);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::AdaptiveAvgPool2d avgpool{nullptr};
  torch::nn::Conv2d fc1{nullptr}, fc2{nullptr};
  torch::nn::SiLU activation{nullptr};
  torch::nn::Sigmoid scale_activation{nullptr};
};
TORCH_MODULE(SqueezeExcitation);

// One EfficientNet block, torchvision's MBConv (expand 1x1, depthwise k x k, squeeze-excitation, project 1x1) or
// FusedMBConv (EfficientNetV2: expand k x k, project 1x1; no squeeze-excitation), as `block`.
// The residual sum (stride 1, same width) passes through stochastic depth ("row" mode) in training only.
struct MBConvConfig {
  int64_t expand_ratio, kernel, stride, in, out;
  bool fused;
};

class MBConvImpl : public torch::nn::Module {
 public:
  MBConvImpl(const MBConvConfig& config, double stochastic_depth, double eps);
  torch::Tensor forward(torch::Tensor x);

 private:
  std::shared_ptr<torch::nn::Module> block;  // the children, under torchvision's names block.0, block.1, ...
  std::vector<torch::nn::Sequential> convs_;  // the Conv2dNormActivation children, in order
  SqueezeExcitation se_{nullptr};             // MBConv: before the last (projecting) convolution
  bool residual_;
  double stochastic_depth_;
};
TORCH_MODULE(MBConv);

}  // namespace ttl
