#pragma once
#include <torch/torch.h>

namespace ttl {

// torchvision's initialisation for its CNNs (LibTorch's defaults differ): convolutions Kaiming-normal
// (fan_out, ReLU) with zero bias, batch norms weight 1 / bias 0. Linear layers keep PyTorch's default.
void init_like_torchvision(torch::nn::Module& module);

}  // namespace ttl
