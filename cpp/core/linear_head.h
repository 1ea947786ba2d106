#pragma once
#include <torch/torch.h>

#include "core/unit.h"

namespace ttl {

// The TTL head: global average pool -> dropout -> linear, after its own BatchNorm when the features it reads
// are not normalised: BatchNorm + ReLU after a pre-activation unit (as the full network does before its
// classifier), BatchNorm alone after an unscaled one (see UnitOutput). A backbone registers these modules as
// its own children (torchvision names); complexity builds unregistered ones to count the head each cutoff
// would get.
struct LinearHead {
  LinearHead() = default;
  LinearHead(int64_t channels, int64_t spatial_dims, UnitOutput input, int64_t num_classes, double dropout, bool zero_init);

  torch::Tensor forward(torch::Tensor x);
  int64_t params() const;

  // The backbone registers `norm` under this name (checkpoint keys "head_norm.*").
  static constexpr const char* kNormName = "head_norm";

  torch::nn::BatchNorm2d norm{nullptr};  // features that are not normalised only
  bool relu_after_norm = false;          // pre-activation features
  torch::nn::AdaptiveAvgPool2d pool2d{nullptr};
  torch::nn::AdaptiveAvgPool3d pool3d{nullptr};
  torch::nn::Dropout dropout{nullptr};   // dropout > 0 only
  torch::nn::Linear linear{nullptr};
};

}  // namespace ttl
