#include "core/arch.h"

#include <numeric>

#include "core/error.h"
#include "models/densenet.h"
#include "models/efficientnet.h"
#include "models/penet.h"
#include "models/r3d.h"
#include "models/resnet3d.h"
#include "models/resnet.h"
#include "models/resnet_v2.h"
#include "models/squeezenet.h"

namespace ttl {
namespace {
int64_t sum(const std::vector<int64_t>& v) { return std::accumulate(v.begin(), v.end(), int64_t{0}); }

// Stem + one unit per residual block.
int64_t stem_and_blocks(const ArchSpec& spec) { return 1 + sum(spec.layers); }
// Stem + one unit per dense layer + one per dense block (its transition, or the final norm).
int64_t dense_units(const ArchSpec& spec) { return 1 + sum(spec.layers) + static_cast<int64_t>(spec.layers.size()); }
// Stem + 8 Fire modules.
int64_t squeezenet_units(const ArchSpec&) { return 9; }

template <typename Impl>
Backbone make(const ArchSpec& spec) {
  return std::make_shared<Impl>(spec);
}

struct Family {
  const char* name;
  int64_t (*count_units)(const ArchSpec&);
  Backbone (*build)(const ArchSpec&);
};

// Every architecture family, once: the model cards' `family` names one of these.
const Family kFamilies[] = {
    {"resnet", stem_and_blocks, make<ResNetImpl>},       {"resnet_v2", stem_and_blocks, make<ResNetV2Impl>},
    {"squeezenet", squeezenet_units, make<SqueezeNetImpl>}, {"densenet", dense_units, make<DenseNetImpl>},
    {"r3d", stem_and_blocks, make<R3DImpl>},             {"resnet3d", stem_and_blocks, make<ResNet3dImpl>},
    {"penet", stem_and_blocks, make<PENetImpl>},           {"efficientnet", efficientnet_units, make<EfficientNetImpl>},
};

const Family& family_of(const ArchSpec& spec) {
  std::string names;
  for (const Family& f : kFamilies) {
    if (spec.family == f.name) return f;
    names += (names.empty() ? "" : ", ") + std::string(f.name);
  }
  throw Error("E_UNKNOWN_MODEL", "unknown architecture family '" + spec.family + "' (expected " + names + ")");
}
}  // namespace

std::vector<std::string> family_names() {
  std::vector<std::string> names;
  for (const Family& f : kFamilies) names.emplace_back(f.name);
  return names;
}

int64_t count_units(const ArchSpec& spec) { return family_of(spec).count_units(spec); }

Backbone build_backbone(const ArchSpec& spec) {
  const Family& family = family_of(spec);
  const int64_t total = family.count_units(spec);
  if (spec.keep_units != -1 && (spec.keep_units < 1 || spec.keep_units > total))
    throw Error("E_BAD_CUTOFF", "cutoff k=" + std::to_string(spec.keep_units) + " is out of range: " +
                                    spec.family + " has units 1.." + std::to_string(total));
  if (spec.slim_after != -1 && (spec.slim_after < 1 || spec.slim_after >= total))
    throw Error("E_BAD_CUTOFF", "TransFusion cutoff k=" + std::to_string(spec.slim_after) + " must lie in 1.." +
                                    std::to_string(total - 1));
  if (spec.in_channels < 1) throw Error("E_BAD_ARGUMENT", "inChannels must be >= 1");
  return family.build(spec);
}

}  // namespace ttl
