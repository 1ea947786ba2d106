#include "engine/complexity.h"

#include <tuple>

#include "core/error.h"
#include "core/macs.h"
#include "core/runtime.h"

namespace ttl {
namespace {
// Parameters per built unit.
std::vector<int64_t> unit_params(BackboneImpl& model) {
  std::vector<int64_t> counts(model.num_built_units(), 0);
  for (const auto& item : model.named_parameters(true)) {
    const int64_t unit = model.unit_of(item.key());
    if (unit >= 0) counts[unit] += item.value().numel();
  }
  return counts;
}

// Restores the module's training flag on scope exit.
class EvalScope {
 public:
  explicit EvalScope(torch::nn::Module& m) : module_(m), was_training_(m.is_training()) { m.eval(); }
  ~EvalScope() { module_.train(was_training_); }

 private:
  torch::nn::Module& module_;
  bool was_training_;
};

// Parameters and MACs of the TTL head on one output of `out_shape` ([C, spatial...]). The head is built here
// unregistered; its random initialisation must not move the global generator that seeded runs draw from.
std::pair<int64_t, int64_t> linear_head_cost(const std::vector<int64_t>& out_shape, UnitOutput input, int64_t num_classes) {
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  const torch::Tensor state = generator.get_state();
  LinearHead head(out_shape[0], static_cast<int64_t>(out_shape.size()) - 1, input, num_classes, 0, false);
  generator.set_state(state);
  if (head.norm) head.norm->eval();
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), out_shape.begin(), out_shape.end());
  MacCounter counter;
  head.forward(torch::zeros(shape));
  return {head.params(), counter.total()};
}
}  // namespace

Complexity measure_complexity(BackboneImpl& model, const std::vector<int64_t>& input_shape, int64_t head_classes) {
  if (static_cast<int64_t>(input_shape.size()) != model.spatial_dims() + 1)
    throw Error("E_BAD_INPUT", "input shape must be [C, " + std::string(model.spatial_dims() == 3 ? "D, " : "") +
                                   "H, W] for this network");
  Complexity result;
  EvalScope eval(model);
  torch::NoGradGuard no_grad;
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), input_shape.begin(), input_shape.end());
  torch::Tensor x = torch::zeros(shape, torch::TensorOptions().device(device_of(model)));

  const std::vector<int64_t> per_unit = unit_params(model);
  MacCounter counter;
  int64_t params = 0;
  model.forward_units(x, 0, model.num_built_units(), [&](int64_t i, const torch::Tensor& out) {
    params += per_unit[i];
    result.units.push_back({params, counter.total(), out.sizes().slice(1).vec()});
  });
  const int64_t backbone_macs = counter.total();
  (void)model.forward_capture(torch::zeros(shape, x.options()), {});  // head included, counted again below
  result.macs = counter.total() - backbone_macs;
  result.head_macs = result.macs - backbone_macs;
  for (const auto& p : model.parameters()) {
    result.params += p.numel();
    if (p.requires_grad()) result.trainable_params += p.numel();
  }
  result.head_params = result.params - params;
  if (head_classes > 0) {
    for (size_t i = 0; i < result.units.size(); ++i)
      std::tie(result.units[i].head_params, result.units[i].head_macs) =
          linear_head_cost(result.units[i].out_shape, model.units()[i].output, head_classes);
  }
  return result;
}

}  // namespace ttl
