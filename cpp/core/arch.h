#pragma once
#include <string>
#include <vector>

#include "core/backbone.h"

namespace ttl {

// Architecture as declared by a model card (models/*.json), plus the cutoff and head to build.
// A model card's architecture as the binding copied it (models/*.json via src/model.ts): the sizes a family
// needs are checked by its builder; nothing here is a default.
struct ArchSpec {
  std::string family;                 // one of the families registered in arch.cpp (kFamilies)
  std::string block;                  // resnet: basic | bottleneck
  std::string variant;                // efficientnet: b0..b4 | v2_s
  double norm_eps = 0;                // efficientnet: BatchNorm eps
  std::vector<int64_t> layers;        // units per stage (resnet, densenet)
  int64_t growth_rate = 0;            // densenet
  int64_t num_init_features = 0;      // densenet
  int64_t bn_size = 0;                // densenet
  int64_t cardinality = 0;            // resnet (ResNeXt groups), resnext3d, penet
  int64_t width_per_group = 0;        // resnet: ResNeXt 4, Wide ResNet 128 (0: torchvision's 64)
  int64_t keep_units = -1;            // number of units to build; -1 = all
  int64_t slim_after = -1;            // TransFusion: units after this k are built at half width (-1: none)
  int64_t in_channels = 0;
  HeadOptions head;
};

// Builds a network from a spec; throws ttl::Error for an unknown family or bad sizes.
Backbone build_backbone(const ArchSpec& spec);

// Width of unit k (1-based): halved when TransFusion slims the units after spec.slim_after.
inline bool is_slim(const ArchSpec& spec, int64_t k) { return spec.slim_after >= 0 && k > spec.slim_after; }
inline int64_t unit_width(const ArchSpec& spec, int64_t k, int64_t width) { return is_slim(spec, k) ? width / 2 : width; }

// Number of units the spec's architecture has when untruncated.
int64_t count_units(const ArchSpec& spec);

// The family names a model card's `family` may take, in the registry's order.
std::vector<std::string> family_names();

}  // namespace ttl
