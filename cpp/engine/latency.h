#pragma once
#include <vector>

#include "core/backbone.h"

namespace ttl {

// Inference latency of one sample of `input_shape` ([C, H, W]) in eval mode: `warmup` untimed passes
// (the first passes of a process pay for oneDNN and allocator warm-up), then `runs` timed ones, in ms.
std::vector<double> measure_latency(BackboneImpl& model, const std::vector<int64_t>& input_shape, int64_t warmup, int64_t runs);

}  // namespace ttl
