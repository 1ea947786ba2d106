#pragma once
#include <vector>

#include "core/backbone.h"

namespace ttl {

struct UnitComplexity {
  int64_t params = 0;  // parameters of units 1..k (cumulative)
  int64_t macs = 0;    // MACs of units 1..k at the given input size (cumulative)
  std::vector<int64_t> out_shape;  // [C, spatial...] of unit k's output
};

struct Complexity {
  std::vector<UnitComplexity> units;  // one per built unit
  int64_t params = 0;                  // whole network, head included
  int64_t trainable_params = 0;
  int64_t macs = 0;                    // whole network, head included
  int64_t head_params = 0;
  int64_t head_macs = 0;
};

// Counts parameters and MACs (ptflops conventions) on a real forward pass of one zero sample of
// `input_shape` ([C, H, W] or [C, D, H, W]) in eval mode.
Complexity measure_complexity(BackboneImpl& model, const std::vector<int64_t>& input_shape);

}  // namespace ttl
