#include "models/r3d.h"

#include "core/error.h"
#include "core/macs.h"
#include "models/basic_block3d.h"
#include "models/residual_stages.h"

namespace ttl {

R3DImpl::R3DImpl(const ArchSpec& spec) {
  spatial_dims_ = 3;
  in_channels_ = spec.in_channels;
  stem = register_module("stem", conv_bn3d(spec.in_channels, 64, {3, 7, 7}, {1, 2, 2}, {1, 3, 3}, true));
  add_unit({"stem", 0, 64, 2, {"stem."}, true});
  int64_t inplanes = 64;
  for_each_residual_unit(*this, spec, {}, 64, 2, [&](const ResidualSlot& u) {
    add_unit({u.name, u.stage + 1, u.width, u.reduction, {u.name + "."}, u.built, u.slim});
    if (u.built) blocks_.emplace_back(u.stage_module()->register_module(std::to_string(u.index), BasicBlock3d(inplanes, u.width, u.stride)));
    inplanes = u.width;
  });
  build_head(spec.head, "fc");
}

torch::Tensor R3DImpl::forward_unit(int64_t index, torch::Tensor x) {
  if (index == 0) return run_sequential(stem, x);
  return blocks_.at(index - 1).forward(x);
}

}  // namespace ttl
