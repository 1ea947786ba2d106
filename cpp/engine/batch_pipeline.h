#pragma once
#include <torch/torch.h>

#include <atomic>
#include <functional>
#include <vector>

#include "engine/image_store.h"

namespace ttl {

// Filled by the binding from what TypeScript resolved (src/ owns every default, src/train/setup.ts and
// src/registry.ts normalisation); nothing here is a default, so an unset field shows as an invariant failure.
struct AugmentOptions {
  bool enabled = false;
  double crop_scale_min = 0;    // random resized crop: area fraction in [min, 1]
  double max_aspect_log = 0;    // aspect ratio exp(U(-a, a))
  bool hflip = false;
  double max_rotation_deg = 0;
  double brightness = 0;        // additive, in units of the [0, 1] intensity range
  double contrast = 0;          // multiplicative 1 +- contrast around the image mean
};

struct PipelineOptions {
  int64_t size = 0;              // output H = W (= D for volumes) unless `shape` is given
  std::vector<int64_t> shape;    // output [H, W] or [D, H, W]; empty: size in every dimension
  int64_t channels = 0;          // grayscale is replicated to this many channels
  std::vector<double> mean;      // one per channel
  std::vector<double> std;
  AugmentOptions augment;
};

struct Batch {
  torch::Tensor input;  // [B, channels, spatial...] float32, normalised
  torch::Tensor masks;  // [B, spatial...] int64 when the store has masks, resampled like the images
};

// Gathers `indices` from the store onto `device` and turns them into a normalised float batch of the
// output shape: resize (or, when training with augmentation, one affine resample that does random
// resized crop + flips + rotation, applied to the masks with nearest sampling), intensity jitter,
// channel replication, normalisation.
Batch make_batch(const ImageStore& store, const torch::Tensor& indices, const PipelineOptions& options, bool train,
                 torch::Device device, at::Generator& generator);

// Visits the whole store in order, `batch_size` at a time, as evaluation sees it (no augmentation):
// visit(batch, indices of its samples). A set `cancel` ends the walk before the next batch (E_CANCELLED).
void for_each_batch(const ImageStore& store, const PipelineOptions& options, int64_t batch_size, torch::Device device,
                    const std::function<void(const Batch&, const torch::Tensor&)>& visit,
                    const std::atomic<bool>* cancel = nullptr);

// The output spatial shape of the pipeline for images with `spatial_dims` dimensions.
std::vector<int64_t> output_shape(const PipelineOptions& options, int64_t spatial_dims);

}  // namespace ttl
