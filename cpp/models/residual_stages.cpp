#include "models/residual_stages.h"

#include "core/error.h"

namespace ttl {
namespace {
// Registers (or finds) the module at a dotted path below `parent`, creating empty containers on the way.
std::shared_ptr<torch::nn::Module> module_at(torch::nn::Module& parent, const std::string& path) {
  torch::nn::Module* node = &parent;
  std::shared_ptr<torch::nn::Module> child;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('.', start), path.size());
    const std::string name = path.substr(start, end - start);
    auto existing = node->named_children();
    child = existing.contains(name) ? existing[name] : node->register_module(name, std::make_shared<torch::nn::Module>());
    node = child.get();
    start = end + 1;
  }
  return child;
}
}  // namespace

void for_each_residual_unit(torch::nn::Module& parent, const ArchSpec& spec, const StageNaming& naming, int64_t base_width,
                            int64_t stem_reduction, const std::function<void(const ResidualSlot&)>& visit) {
  if (spec.layers.size() != 4) throw Error("E_BAD_ARCH", spec.family + " needs 4 stage sizes");
  const int64_t keep = spec.keep_units < 0 ? count_units(spec) : spec.keep_units;
  int64_t reduction = stem_reduction, k = 2;
  for (int64_t stage = 0; stage < 4; ++stage) {
    const std::string stage_name = naming.prefix + std::to_string(naming.first + stage) + naming.suffix;
    std::shared_ptr<torch::nn::Module> container;
    auto stage_module = [&]() {
      if (!container) container = module_at(parent, stage_name);
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
