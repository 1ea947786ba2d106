#include "core/arch.h"

#include <numeric>

#include "core/error.h"
#include "models/densenet.h"
#include "models/penet.h"
#include "models/r3d.h"
#include "models/resnet3d.h"
#include "models/resnet.h"
#include "models/resnet_v2.h"
#include "models/squeezenet.h"

namespace ttl {
namespace {
int64_t sum(const std::vector<int64_t>& v) { return std::accumulate(v.begin(), v.end(), int64_t{0}); }
}  // namespace

int64_t count_units(const ArchSpec& spec) {
  if (spec.family == "resnet" || spec.family == "resnet_v2" || spec.family == "r3d" || spec.family == "resnet3d" ||
      spec.family == "penet")
    return 1 + sum(spec.layers);
  if (spec.family == "squeezenet") return 9;
  if (spec.family == "densenet") return 1 + sum(spec.layers) + static_cast<int64_t>(spec.layers.size());
  throw Error("E_UNKNOWN_MODEL",
              "unknown architecture family '" + spec.family + "' (expected resnet, resnet_v2, squeezenet, densenet, r3d, resnet3d, penet)");
}

Backbone build_backbone(const ArchSpec& spec) {
  const int64_t total = count_units(spec);
  if (spec.keep_units != -1 && (spec.keep_units < 1 || spec.keep_units > total))
    throw Error("E_BAD_CUTOFF", "cutoff k=" + std::to_string(spec.keep_units) + " is out of range: " +
                                    spec.family + " has units 1.." + std::to_string(total));
  if (spec.slim_after != -1 && (spec.slim_after < 1 || spec.slim_after >= total))
    throw Error("E_BAD_CUTOFF", "TransFusion cutoff k=" + std::to_string(spec.slim_after) + " must lie in 1.." +
                                    std::to_string(total - 1));
  if (spec.in_channels < 1) throw Error("E_BAD_ARGUMENT", "inChannels must be >= 1");
  if (spec.family == "resnet") return std::make_shared<ResNetImpl>(spec);
  if (spec.family == "resnet_v2") return std::make_shared<ResNetV2Impl>(spec);
  if (spec.family == "squeezenet") return std::make_shared<SqueezeNetImpl>(spec);
  if (spec.family == "r3d") return std::make_shared<R3DImpl>(spec);
  if (spec.family == "resnet3d") return std::make_shared<ResNet3dImpl>(spec);
  if (spec.family == "penet") return std::make_shared<PENetImpl>(spec);
  return std::make_shared<DenseNetImpl>(spec);
}

}  // namespace ttl
