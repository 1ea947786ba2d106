#pragma once
#include <vector>

#include "core/backbone.h"

namespace ttl {

struct UnitComplexity {
  int64_t params = 0;  // parameters of units 1..k (cumulative)
  int64_t macs = 0;    // MACs of units 1..k at the given input size (cumulative)
  std::vector<int64_t> out_shape;  // [C, spatial...] of unit k's output
  // A TTL head (LinearHead) on unit k's output, when measure_complexity was asked for one; 0 otherwise.
  int64_t head_params = 0;
  int64_t head_macs = 0;
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
// `input_shape` ([C, H, W] or [C, D, H, W]) in eval mode. With `head_classes` > 0, also counts per unit the
// TTL head with that many classes that a model cut after the unit would get (no network is built per cutoff).
Complexity measure_complexity(BackboneImpl& model, const std::vector<int64_t>& input_shape, int64_t head_classes = 0);

}  // namespace ttl
