#pragma once
#include <torch/torch.h>

namespace ttl {

// torchvision's conv helpers: bias-free convolutions that batch norm follows.
inline torch::nn::Conv2d conv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0,
                                bool bias = false, int64_t groups = 1) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(bias).groups(groups));
}

// 3D twin for the volume networks: "same" padding for odd kernels.
inline torch::nn::Conv3d conv3d(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t groups = 1) {
  return torch::nn::Conv3d(
      torch::nn::Conv3dOptions(in, out, kernel).stride(stride).padding(kernel / 2).groups(groups).bias(false));
}

// A convolution's explicit padding (oneDNN weight reorders, int8 packing need it); 'valid'/'same' string
// paddings are not used by these networks.
template <typename Padding>
std::vector<int64_t> explicit_padding(const Padding& padding) {
  return visit(
      [](const auto& p) -> std::vector<int64_t> {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, torch::ExpandingArray<2>> || std::is_same_v<T, torch::ExpandingArray<3>>) {
          return std::vector<int64_t>(p->begin(), p->end());
        } else {
          TORCH_CHECK(false, "a convolution with a string padding where explicit padding is needed");
          return {};
        }
      },
      padding);
}

inline torch::nn::BatchNorm2d batch_norm2d(int64_t channels) { return torch::nn::BatchNorm2d(channels); }

// In place, as torchvision's: every ReLU here follows a batch norm, a convolution or a residual sum whose output
// nothing else reads and whose backward does not need it, so writing over it saves an activation-sized
// allocation per ReLU in training.
inline torch::nn::ReLU relu() { return torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)); }

}  // namespace ttl
