#pragma once
#include <torch/torch.h>

namespace ttl {

// torchvision's projection shortcut: Sequential(conv1x1 stride s, BatchNorm) named downsample.0/.1.
torch::nn::Sequential make_downsample(int64_t in, int64_t out, int64_t stride);

}  // namespace ttl
