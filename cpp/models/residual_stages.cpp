#include "models/residual_stages.h"

#include "core/error.h"

namespace ttl {

void for_each_residual_unit(torch::nn::Module& parent, const ArchSpec& spec, const std::string& prefix, int64_t base_width,
                            int64_t stem_reduction, const std::function<void(const ResidualSlot&)>& visit) {
  if (spec.layers.size() != 4) throw Error("E_BAD_ARCH", spec.family + " needs 4 stage sizes");
  const int64_t keep = spec.keep_units < 0 ? count_units(spec) : spec.keep_units;
  int64_t reduction = stem_reduction, k = 2;
  for (int64_t stage = 0; stage < 4; ++stage) {
    const std::string stage_name = prefix + std::to_string(stage + 1);
    std::shared_ptr<torch::nn::Module> container;
    auto stage_module = [&]() {
      if (!container) container = parent.register_module(stage_name, std::make_shared<torch::nn::Module>());
      return container;
    };
    for (int64_t b = 0; b < spec.layers[stage]; ++b, ++k) {
      const int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
      reduction *= stride;
      const int64_t width = unit_width(spec, k, base_width << stage);
      visit({stage, b, k, stride, reduction, width, is_slim(spec, k), k <= keep, stage_name + "." + std::to_string(b), stage_module});
    }
  }
}

}  // namespace ttl
