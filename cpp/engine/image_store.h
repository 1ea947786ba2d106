#pragma once
#include <torch/torch.h>

namespace ttl {

// A decoded dataset split kept compact in memory: uint8/uint16 images, int64 labels (or, multi-label, a
// float32 target matrix). Batches are gathered from it by index, so images are never copied per epoch.
struct ImageStore {
  torch::Tensor images;  // [N, H, W] gray, [N, H, W, C] colour, or [N, D, H, W] volumes
  torch::Tensor labels;  // [N] int64
  torch::Tensor masks;   // segmentation: [N, H, W] or [N, D, H, W] uint8 class indices; undefined otherwise
  // Multi-label: [N, L] float32, 1 where the image has the label, 0 where not; undefined otherwise. The sigmoid
  // network's loss and evaluation read these instead of `labels` (kept [N], unused by them).
  torch::Tensor targets;
  bool color = false;    // images carry a trailing channel dimension
  bool mapped = false;   // images are mapped from a decoded-image cache file (engine/mapped_images.h)
  int64_t size() const { return images.size(0); }
};

}  // namespace ttl
