#include "engine/multi_label.h"

#include "core/error.h"

namespace ttl {
namespace {
namespace F = torch::nn::functional;

// pos_weight multiplies each label's positive term; undefined: 1.
F::BinaryCrossEntropyWithLogitsFuncOptions bce_options(const torch::Tensor& pos_weight) {
  F::BinaryCrossEntropyWithLogitsFuncOptions options;
  if (pos_weight.defined()) options.pos_weight(pos_weight);
  return options;
}

void check_target_shape(const torch::Tensor& targets, int64_t samples, int64_t labels) {
  if (targets.dim() != 2 || targets.size(0) != samples || targets.size(1) != labels)
    throw Error("E_BAD_INPUT", "a multi-label network of " + std::to_string(labels) +
                                   " labels needs targets [N, " + std::to_string(labels) + "] (0 or 1 per label)");
}
}  // namespace

torch::Tensor multi_label_loss(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& pos_weight) {
  return F::binary_cross_entropy_with_logits(logits, targets.to(logits.scalar_type()), bce_options(pos_weight));
}

torch::Tensor multi_label_loss_terms(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& pos_weight) {
  const torch::Tensor per_label =
      F::binary_cross_entropy_with_logits(logits, targets.to(logits.scalar_type()), bce_options(pos_weight).reduction(torch::kNone))
          .to(torch::kFloat64);
  return torch::stack({per_label.sum(1), torch::full({per_label.size(0)}, static_cast<double>(per_label.size(1)), per_label.options())}, 1);
}

torch::Tensor probabilities(const torch::Tensor& logits, bool multi_label) {
  return multi_label ? torch::sigmoid(logits) : torch::softmax(logits, 1);
}

void check_multi_label_targets(const torch::Tensor& targets, int64_t samples, int64_t labels) {
  check_target_shape(targets, samples, labels);
  if (targets.numel() && !(targets.eq(0) | targets.eq(1)).all().item<bool>())
    throw Error("E_BAD_INPUT", "multi-label targets must be 0 or 1");
}

void check_store_task(const BackboneImpl& model, const ImageStore& store) {
  if (model.multi_label()) {
    if (!store.targets.defined()) throw Error("E_BAD_INPUT", "a multi-label network trains and evaluates on a store with targets");
    // The store's values were checked (0 or 1) when it was made, and a store never changes: only whether its label
    // count fits this network is left, without a pass over every target at each epoch and evaluation.
    check_target_shape(store.targets, store.size(), model.num_classes());
  } else if (store.targets.defined()) {
    throw Error("E_BAD_INPUT", "a store with multi-label targets needs a multi-label network (createModel multiLabel)");
  }
}

}  // namespace ttl
