#pragma once
#include <torch/torch.h>

namespace ttl {

// The TTL head: global average pool -> dropout -> linear, after its own BatchNorm + ReLU when the features
// it reads are raw (a pre-activation network cut before its final norm, as the full network normalises
// before its classifier). A backbone registers these modules as its own children (torchvision names);
// complexity builds unregistered ones to count the head each cutoff would get.
struct LinearHead {
  LinearHead() = default;
  LinearHead(int64_t channels, int64_t spatial_dims, bool raw_features, int64_t num_classes, double dropout, bool zero_init);

  torch::Tensor forward(torch::Tensor x);
  int64_t params() const;

  torch::nn::BatchNorm2d norm{nullptr};  // raw features only
  torch::nn::AdaptiveAvgPool2d pool2d{nullptr};
  torch::nn::AdaptiveAvgPool3d pool3d{nullptr};
  torch::nn::Dropout dropout{nullptr};   // dropout > 0 only
  torch::nn::Linear linear{nullptr};
};

}  // namespace ttl
