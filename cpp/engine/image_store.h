#pragma once
#include <torch/torch.h>

namespace ttl {

// A decoded dataset split kept compact in memory: uint8/uint16 images, int64 labels. Batches are
// gathered from it by index, so images are never copied per epoch.
struct ImageStore {
  torch::Tensor images;  // [N, H, W] gray, [N, H, W, C] colour, or [N, D, H, W] volumes
  torch::Tensor labels;  // [N] int64
  torch::Tensor masks;   // segmentation: [N, H, W] or [N, D, H, W] uint8 class indices; undefined otherwise
  bool color = false;    // images carry a trailing channel dimension
  int64_t size() const { return images.size(0); }
};

}  // namespace ttl
