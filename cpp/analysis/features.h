#pragma once
#include <torch/torch.h>

#include <map>
#include <set>

#include "core/backbone.h"
#include "engine/batch_pipeline.h"
#include "engine/image_store.h"

namespace ttl {

// Unit outputs for every image of a store (eval mode, no augmentation). Maps are reduced per unit to
// [N, C] by global average pooling, or, with spatial_samples > 0, to [N * spatial_samples, C] by taking
// that many seeded random positions per image (positions folded into datapoints, as in SVCCA on conv layers).
std::map<int64_t, torch::Tensor> extract_features(BackboneImpl& model, const ImageStore& store, const PipelineOptions& pipeline,
                                                  const std::set<int64_t>& units, int64_t batch_size, int64_t spatial_samples);

}  // namespace ttl
