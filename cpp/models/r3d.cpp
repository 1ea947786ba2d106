#include "models/r3d.h"

#include "core/error.h"
#include "models/basic_block3d.h"

namespace ttl {

R3DImpl::R3DImpl(const ArchSpec& spec) {
  if (spec.layers.size() != 4) throw Error("E_BAD_ARCH", "r3d needs 4 stage sizes");
  spatial_dims_ = 3;
  in_channels_ = spec.in_channels;
  const int64_t keep = spec.keep_units < 0 ? count_units(spec) : spec.keep_units;
  stem = register_module("stem", conv_bn3d(spec.in_channels, 64, {3, 7, 7}, {1, 2, 2}, {1, 3, 3}, true));
  add_unit({"stem", 0, 64, 2, {"stem."}, keep >= 1});
  int64_t inplanes = 64, reduction = 2, unit = 1;
  for (size_t stage = 0; stage < 4; ++stage) {
    const std::string stage_name = "layer" + std::to_string(stage + 1);
    std::shared_ptr<torch::nn::Module> layer;
    for (int64_t b = 0; b < spec.layers[stage]; ++b, ++unit) {
      const int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
      const int64_t planes = unit_width(spec, unit + 1, 64 << stage);
      reduction *= stride;
      const std::string name = stage_name + "." + std::to_string(b);
      const bool built = unit < keep;
      add_unit({name, static_cast<int64_t>(stage + 1), planes, reduction, {name + "."}, built, planes != (64 << stage)});
      if (built) {
        if (!layer) layer = register_module(stage_name, std::make_shared<torch::nn::Module>());
        blocks_.emplace_back(layer->register_module(std::to_string(b), BasicBlock3d(inplanes, planes, stride)));
      }
      inplanes = planes;
    }
  }
  build_head(spec.head, "fc");
}

torch::Tensor R3DImpl::forward_unit(int64_t index, torch::Tensor x) {
  if (index == 0) return run_sequential(stem, x);
  return blocks_.at(index - 1).forward(x);
}

}  // namespace ttl
