#pragma once
#include <functional>
#include <string>

#include "core/arch.h"

namespace ttl {

// One residual unit of a four-stage network (ResNet, ResNet v2, 3D ResNet) as its builder needs it.
struct ResidualSlot {
  int64_t stage;      // 0-based
  int64_t index;      // block index inside the stage
  int64_t k;          // 1-based unit number (the stem is k = 1)
  int64_t stride;     // 2 on the first block of stages 2-4
  int64_t reduction;  // total stride after this unit
  int64_t width;      // the stage's base width (base << stage), halved past a TransFusion cutoff
  bool slim;
  bool built;         // false past the truncation cutoff
  std::string name;   // e.g. layer3.2
  // The stage's container (registered on first use); only valid when built.
  std::function<std::shared_ptr<torch::nn::Module>()> stage_module;
};

// How stage containers are named: `<prefix><first + stage><suffix>`, dots making nested modules
// (torchvision: layer1..layer4; PENet: encoders.0.penet_blocks .. encoders.3.penet_blocks).
struct StageNaming {
  std::string prefix = "layer";
  int64_t first = 1;
  std::string suffix;
};

// Calls `visit` for every residual unit in order, named `<stage container>.<index>`. `parent` receives
// the stage containers, so parameter names match the reference implementation's (layer1.0.conv1.weight).
void for_each_residual_unit(torch::nn::Module& parent, const ArchSpec& spec, const StageNaming& naming, int64_t base_width,
                            int64_t stem_reduction, const std::function<void(const ResidualSlot&)>& visit);

}  // namespace ttl
