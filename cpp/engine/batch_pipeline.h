#pragma once
#include <torch/torch.h>

#include <vector>

#include "engine/image_store.h"

namespace ttl {

struct AugmentOptions {
  bool enabled = false;
  double crop_scale_min = 0.75;  // random resized crop: area fraction in [min, 1]
  double max_aspect_log = 0.1;   // aspect ratio exp(U(-a, a))
  bool hflip = true;
  double max_rotation_deg = 10;
  double brightness = 0.1;       // additive, in units of the [0, 1] intensity range
  double contrast = 0.1;         // multiplicative 1 +- contrast around the image mean
};

struct PipelineOptions {
  int64_t size = 224;            // output H = W
  int64_t channels = 3;          // grayscale is replicated to this many channels
  std::vector<double> mean{0.485, 0.456, 0.406};
  std::vector<double> std{0.229, 0.224, 0.225};
  AugmentOptions augment;
};

// Gathers `indices` from the store onto `device` and turns them into a normalised float batch
// [B, channels, size, size] ([B, channels, size, size, size] for volumes): resize (or, when training with augmentation, one affine resample that does
// random resized crop + flip + rotation), intensity jitter, channel replication, normalisation.
torch::Tensor make_batch(const ImageStore& store, const torch::Tensor& indices, const PipelineOptions& options,
                         bool train, torch::Device device, at::Generator& generator);

}  // namespace ttl
