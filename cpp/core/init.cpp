#include "core/init.h"

namespace ttl {

void init_like_torchvision(torch::nn::Module& root) {
  torch::NoGradGuard no_grad;
  auto init_conv = [](torch::Tensor& weight, torch::Tensor& bias) {
    torch::nn::init::kaiming_normal_(weight, 0.0, torch::kFanOut, torch::kReLU);
    if (bias.defined()) bias.zero_();
  };
  for (auto& module : root.modules(/*include_self=*/true)) {
    if (auto* conv = module->as<torch::nn::Conv2d>()) {
      init_conv(conv->weight, conv->bias);
    } else if (auto* conv3 = module->as<torch::nn::Conv3d>()) {
      init_conv(conv3->weight, conv3->bias);
    }
  }
}

}  // namespace ttl
