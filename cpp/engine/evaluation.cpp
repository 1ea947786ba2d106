#include "engine/evaluation.h"

#include "core/error.h"
#include "core/macs.h"
#include "core/runtime.h"
#include "engine/autocast.h"
#include "engine/multi_label.h"
#include "engine/segmentation.h"

namespace ttl {
namespace {
// Per sample: (sum of w[target] * -log softmax[target], sum of w[target]) over its targets (one label, or
// every pixel/voxel of a mask). The same cross_entropy call the trainer makes, unreduced.
torch::Tensor cross_entropy_terms(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& class_weights) {
  auto options = torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone);
  if (class_weights.defined()) options.weight(class_weights);
  const torch::Tensor weighted = torch::nn::functional::cross_entropy(logits, targets, options).to(torch::kFloat64);
  const torch::Tensor weights = class_weights.defined() ? class_weights.index({targets}).to(torch::kFloat64)
                                                        : torch::ones_like(weighted);
  return torch::stack({weighted.reshape({weighted.size(0), -1}).sum(1), weights.reshape({weights.size(0), -1}).sum(1)}, 1);
}

void check_targets(const BackboneImpl& model, const ImageStore& store) {
  if (model.head_kind() == HeadKind::None) throw Error("E_BAD_ARGUMENT", "evaluation needs a classification or segmentation head");
  check_store_task(model, store);
  if (model.multi_label()) return;  // the store's 0/1 targets were checked when it was made
  const torch::Tensor& targets = model.dense_output() ? store.masks : store.labels;
  if (model.dense_output() && !targets.defined()) throw Error("E_BAD_INPUT", "a segmentation network is evaluated on a store with masks");
  if (targets.numel() && (targets.min().item<int64_t>() < 0 || targets.max().item<int64_t>() >= model.num_classes()))
    throw Error("E_BAD_INPUT", std::string(model.dense_output() ? "mask values" : "labels") + " must lie in [0, " +
                                   std::to_string(model.num_classes()) + ")");
}
}  // namespace

Evaluation evaluate(BackboneImpl& model, const ImageStore& store, const PipelineOptions& pipeline, int64_t batch_size,
                    const std::string& autocast, const torch::Tensor& class_weights, const torch::Tensor& pos_weight,
                    const std::atomic<bool>* cancel) {
  check_targets(model, store);
  const bool dense = model.dense_output();
  const bool multi_label = model.multi_label();
  torch::NoGradGuard no_grad;
  model.eval();
  std::vector<torch::Tensor> scores, losses;
  for_each_batch(store, pipeline, batch_size, device_of(model), [&](const Batch& batch, const torch::Tensor& idx) {
    const torch::Tensor& source = dense ? store.masks : multi_label ? store.targets : store.labels;
    torch::Tensor truth = source.index_select(0, idx).to(batch.input.device());
    if (!multi_label) truth = truth.to(torch::kInt64);
    torch::Tensor logits;
    {
      AutocastScope scope(autocast, batch.input.device());
      logits = model.forward(batch.input).to(torch::kFloat32);
    }
    if (dense) {
      logits = resize_to(logits, truth.sizes().slice(1));
      scores.push_back(overlap_scores(logits.argmax(1), truth, logits.size(1)).cpu());
    } else {
      scores.push_back(probabilities(logits, multi_label).cpu());
    }
    if (multi_label) {
      losses.push_back(multi_label_loss_terms(logits, truth, pos_weight.defined() ? pos_weight.to(logits.device()) : pos_weight).cpu());
      return;
    }
    const torch::Tensor weights = class_weights.defined() ? class_weights.to(logits.device()) : class_weights;
    losses.push_back(cross_entropy_terms(logits, truth, weights).cpu());
  }, cancel);
  return {torch::cat(scores, 0), torch::cat(losses, 0)};
}

}  // namespace ttl
