#include "engine/trainer.h"

#include "core/error.h"

namespace ttl {

void freeze_units(BackboneImpl& model, int64_t count) {
  if (count < 0 || count > model.num_built_units())
    throw Error("E_BAD_CUTOFF", "cannot freeze " + std::to_string(count) + " units: the network has " +
                                    std::to_string(model.num_built_units()));
  for (auto& item : model.named_parameters(true)) {
    bool frozen = false;
    for (int64_t i = 0; i < count && !frozen; ++i)
      for (const std::string& prefix : model.units()[i].param_prefixes)
        if (item.key().rfind(prefix, 0) == 0) frozen = true;
    item.value().set_requires_grad(!frozen);
  }
}

Trainer::Trainer(BackboneImpl& model, const SgdOptions& options) : model_(model) {
  std::vector<torch::Tensor> params;
  for (auto& p : model.parameters())
    if (p.requires_grad()) params.push_back(p);
  if (params.empty()) throw Error("E_BAD_ARGUMENT", "the network has no trainable parameters");
  optimizer_ = std::make_unique<torch::optim::SGD>(
      params, torch::optim::SGDOptions(options.lr)
                  .momentum(options.momentum)
                  .weight_decay(options.weight_decay)
                  .nesterov(options.nesterov));
}

double Trainer::step(const torch::Tensor& input, const torch::Tensor& labels) {
  if (model_.head_kind() == HeadKind::None) throw Error("E_BAD_ARGUMENT", "training needs a classification head");
  if (labels.dim() != 1 || labels.size(0) != input.size(0))
    throw Error("E_BAD_INPUT", "labels must be a vector with one label per sample");
  if (labels.numel() && (labels.min().item<int64_t>() < 0 || labels.max().item<int64_t>() >= model_.num_classes()))
    throw Error("E_BAD_INPUT", "labels must lie in [0, " + std::to_string(model_.num_classes()) + ")");
  model_.train();
  optimizer_->zero_grad();
  torch::Tensor loss = torch::nn::functional::cross_entropy(model_.forward(input), labels);
  const double value = loss.item<double>();
  if (!std::isfinite(value)) throw Error("E_DIVERGED", "loss is " + std::to_string(value));
  loss.backward();
  optimizer_->step();
  return value;
}

}  // namespace ttl
