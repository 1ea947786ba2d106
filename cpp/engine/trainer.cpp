#include "engine/trainer.h"

#include <cmath>
#include <map>
#include <optional>

#include "core/constants.h"
#include "core/error.h"
#include "core/runtime.h"
#include "engine/autocast.h"
#include "engine/mapped_images.h"
#include "engine/multi_label.h"
#include "engine/segmentation.h"
#include "engine/sync_batch_norm.h"

namespace ttl {

Trainer::Trainer(BackboneImpl& model, const OptimOptions& options) : model_(model), options_(options) {
  TORCH_CHECK(options.lr >= 0 && options.head_lr_scale >= 0, "learning rates must be non-negative");
  TORCH_CHECK(options.epochs >= 1 && options.steps_per_epoch >= 1, "a schedule needs epochs and steps per epoch >= 1");
  // fp16 gradients underflow without loss scaling, which the trainer does not do (src/ refuses it first).
  TORCH_CHECK(options.autocast != "fp16", "fp16 training needs loss scaling; train with bf16 autocast");
  const int64_t units = model.num_built_units();
  std::vector<double> scales = options.unit_lr_scale;
  if (scales.empty()) scales.assign(units, 1.0);
  if (static_cast<int64_t>(scales.size()) != units)
    throw Error("E_BAD_ARGUMENT", "unitLrScale needs one value per kept unit (" + std::to_string(units) + ")");

  // Group parameters by learning-rate scale; scale 0 freezes.
  std::map<double, std::vector<torch::Tensor>> groups;
  std::map<double, std::vector<std::string>> names;
  for (auto& item : model.named_parameters(true)) {
    const int64_t unit = model.unit_of(item.key());
    TORCH_CHECK(unit < units, "parameter ", item.key(), " belongs to a unit that was not built");
    const double scale = unit >= 0 ? scales[unit] : options.head_lr_scale;
    item.value().set_requires_grad(scale > 0);
    if (scale > 0) {
      groups[scale].push_back(item.value());
      names[scale].push_back(item.key());
    }
  }
  for (auto& [scale, list] : names) groups_.emplace_back(options.lr * scale, list);
  unit_scales_ = scales;
  if (groups.empty()) throw Error("E_BAD_ARGUMENT", "the network has no trainable parameters");

  std::vector<torch::optim::OptimizerParamGroup> param_groups;
  for (auto& [scale, params] : groups) {
    group_scales_.push_back(scale);
    if (options.optimizer == "adamw") {
      param_groups.emplace_back(params, std::make_unique<torch::optim::AdamWOptions>(
                                            torch::optim::AdamWOptions(options.lr * scale).weight_decay(options.weight_decay)));
    } else {
      param_groups.emplace_back(params, std::make_unique<torch::optim::SGDOptions>(
                                            torch::optim::SGDOptions(options.lr * scale)
                                                .momentum(options.momentum)
                                                .nesterov(options.nesterov)
                                                .weight_decay(options.weight_decay)));
    }
  }
  if (options.optimizer == "adamw") {
    optimizer_ = std::make_unique<torch::optim::AdamW>(param_groups, torch::optim::AdamWOptions(options.lr));
  } else if (options.optimizer == "sgd") {
    optimizer_ = std::make_unique<torch::optim::SGD>(param_groups, torch::optim::SGDOptions(options.lr));
  } else {
    throw Error("E_BAD_ARGUMENT", "optimizer must be 'sgd' or 'adamw', got '" + options.optimizer + "'");
  }
  if (!options.class_weights.empty()) {
    if (static_cast<int64_t>(options.class_weights.size()) != model.num_classes())
      throw Error("E_BAD_ARGUMENT", "classWeights needs one weight per class");
    class_weights_ = torch::tensor(std::vector<float>(options.class_weights.begin(), options.class_weights.end()))
                         .to(device_of(model));
  }
  if (model.multi_label() && !options.class_weights.empty())
    throw Error("E_BAD_ARGUMENT", "classWeights weigh the classes of a softmax; a multi-label network takes posWeight");
  if (!options.pos_weight.empty()) {
    if (!model.multi_label()) throw Error("E_BAD_ARGUMENT", "posWeight is for a multi-label network (one sigmoid per label)");
    if (static_cast<int64_t>(options.pos_weight.size()) != model.num_classes())
      throw Error("E_BAD_ARGUMENT", "posWeight needs one weight per label");
    pos_weight_ = torch::tensor(std::vector<float>(options.pos_weight.begin(), options.pos_weight.end())).to(device_of(model));
  }
}

void Trainer::set_train_mode() {
  model_.train();
  if (!options_.frozen_bn_eval) return;
  for (auto& item : model_.named_modules("", /*include_self=*/false)) {
    const int64_t unit = model_.unit_of(item.key());
    if (unit >= 0 && unit_scales_[unit] == 0) item.value()->eval();
  }
}

// Linear warmup, then cosine annealing to 0 over the remaining steps; or, for an LR range test, a
// geometric sweep from lr to lr_end.
void Trainer::schedule(int64_t global_step) {
  const int64_t per_epoch = std::max<int64_t>(1, options_.steps_per_epoch);
  const double warmup = static_cast<double>(options_.warmup_steps);
  const double total = static_cast<double>(std::max<int64_t>(1, options_.epochs) * per_epoch);
  const double t = static_cast<double>(global_step);
  double factor;
  if (options_.schedule == "exponential") {
    TORCH_CHECK(options_.lr_end > 0 && options_.lr > 0, "an exponential schedule needs lr > 0 and lr_end > 0");
    factor = std::pow(options_.lr_end / options_.lr, t / std::max(1.0, total - 1));
  } else {
    TORCH_CHECK(options_.schedule == "cosine", "unknown schedule ", options_.schedule);
    factor = t < warmup ? (t + 1) / warmup : 0.5 * (1 + std::cos(kPi * (t - warmup) / std::max(1.0, total - warmup)));
  }
  auto& groups = optimizer_->param_groups();
  for (size_t i = 0; i < groups.size(); ++i) {
    const double lr = options_.lr * group_scales_[i] * factor;
    if (options_.optimizer == "adamw") {
      static_cast<torch::optim::AdamWOptions&>(groups[i].options()).lr(lr);
    } else {
      static_cast<torch::optim::SGDOptions&>(groups[i].options()).lr(lr);
    }
  }
}

torch::Tensor Trainer::loss_of(const torch::Tensor& logits, const torch::Tensor& labels) {
  if (model_.dense_output()) return segmentation_loss(logits, labels, class_weights_);
  if (model_.multi_label()) return multi_label_loss(logits.to(torch::kFloat32), labels, pos_weight_);
  auto options = torch::nn::functional::CrossEntropyFuncOptions();
  if (class_weights_.defined()) options.weight(class_weights_);
  return torch::nn::functional::cross_entropy(logits.to(torch::kFloat32), labels, options);
}

double Trainer::step(const torch::Tensor& input, const torch::Tensor& labels) {
  if (model_.head_kind() == HeadKind::None) throw Error("E_BAD_ARGUMENT", "training needs a classification or segmentation head");
  if (model_.dense_output()) {
    std::vector<int64_t> expected = {input.size(0)};
    for (int64_t d = 2; d < input.dim(); ++d) expected.push_back(input.size(d));
    if (labels.sizes().vec() != expected)
      throw Error("E_BAD_INPUT", "masks must have the input's batch and spatial shape [N, " +
                                     std::string(input.dim() == 5 ? "D, " : "") + "H, W]");
  } else if (model_.multi_label()) {
    check_multi_label_targets(labels, input.size(0), model_.num_classes());
  } else if (labels.dim() != 1 || labels.size(0) != input.size(0)) {
    throw Error("E_BAD_INPUT", "labels must be a vector with one label per sample");
  }
  if (!model_.multi_label() && labels.numel() &&
      (labels.min().item<int64_t>() < 0 || labels.max().item<int64_t>() >= model_.num_classes()))
    throw Error("E_BAD_INPUT", "labels must lie in [0, " + std::to_string(model_.num_classes()) + ")");
  set_train_mode();
  clear_gradients();
  torch::Tensor loss;
  {
    AutocastScope autocast(options_.autocast, input.device());
    std::optional<SyncBatchNorm> sync_bn;
    if (parallel_ && parallel_->sync_batch_norm()) sync_bn.emplace(*parallel_);
    loss = loss_of(model_.forward(input), labels);
  }
  const double value = loss.item<double>();
  if (!std::isfinite(value)) throw Error("E_DIVERGED", "training diverged: the loss is " + std::to_string(value));
  if (parallel_) parallel_->before_backward(model_.parameters());
  loss.backward();
  if (parallel_) parallel_->after_backward(model_.parameters());
  // After averaging: every rank clips the same gradients the same way.
  if (options_.clip_grad_norm > 0) clip_gradients();
  optimizer_->step();
  return value;
}

// Gradients undefined rather than zero, as LibTorch 2.x's zero_grad() leaves them by default: the backward then
// writes each gradient once, where 1.13's zero_grad() fills it with zeros that the backward reads and adds to.
void Trainer::clear_gradients() {
  for (auto& group : optimizer_->param_groups())
    for (auto& p : group.params()) p.mutable_grad() = torch::Tensor();
}

// One norm over every trained parameter, as torch.nn.utils.clip_grad_norm_: the update keeps its direction.
void Trainer::clip_gradients() {
  std::vector<torch::Tensor> params;
  for (auto& group : optimizer_->param_groups())
    for (auto& p : group.params())
      if (p.grad().defined()) params.push_back(p);
  torch::nn::utils::clip_grad_norm_(params, options_.clip_grad_norm);
}

EpochRun::EpochRun(Trainer& trainer, const ImageStore& store, const PipelineOptions& pipeline, int64_t batch_size,
                   uint64_t seed, int64_t epoch, LastBatch last_batch, Shard shard)
    : trainer_(trainer),
      store_(store),
      pipeline_(pipeline),
      batch_size_(batch_size),
      last_batch_(last_batch),
      shard_(shard),
      generator_(at::detail::createCPUGenerator(seed * 1000003ULL + static_cast<uint64_t>(epoch))) {
  if (batch_size < 1) throw Error("E_BAD_ARGUMENT", "batchSize must be >= 1");
  TORCH_CHECK(shard.count >= 1 && shard.rank >= 0 && shard.rank < shard.count, "shard ", shard.rank, " of ", shard.count);
  if (shard.count > 1 && batch_size < 2 * shard.count)
    throw Error("E_BAD_ARGUMENT", "data-parallel training needs batchSize >= 2 x ranks (" + std::to_string(2 * shard.count) + ")");
  if (trainer.model_.dense_output() && !store.masks.defined())
    throw Error("E_BAD_INPUT", "a segmentation network trains on a store with masks");
  check_store_task(trainer.model_, store);
  order_ = torch::randperm(store.size(), generator_, torch::kInt64);
  labels_ = (trainer.model_.multi_label() ? store.targets : store.labels).to(device_of(trainer.model_));
  plan_ = plan_epoch(store.size(), batch_size, last_batch, shard.count);
}

EpochPlan plan_epoch(int64_t samples, int64_t batch_size, LastBatch last_batch, int64_t ranks) {
  EpochPlan plan;
  const int64_t full = samples / batch_size;
  plan.split = last_batch == LastBatch::Drop && full > 0 ? full : (samples + batch_size - 1) / batch_size;
  // The last batch's size; Even batches differ by at most one, the last being the smaller.
  const int64_t last = last_batch == LastBatch::Even ? samples / plan.split : samples - (plan.split - 1) * batch_size;
  plan.trained = plan.split > 1 && last < 2 * ranks ? plan.split - 1 : plan.split;
  return plan;
}

torch::Tensor EpochRun::batch_indices(int64_t b) const {
  torch::Tensor idx = order_.slice(0, batch_start(b), batch_start(b + 1));
  if (shard_.count == 1) return idx;
  // Every rank draws the same order; each trains its slice and the gradients are averaged.
  const int64_t n = idx.size(0);
  return idx.slice(0, shard_.rank * n / shard_.count, (shard_.rank + 1) * n / shard_.count);
}

bool EpochRun::next(const std::function<void(const BatchProgress&)>& progress) {
  if (b_ >= plan_.trained) return false;
  const int64_t b = b_++;
  torch::Tensor idx = batch_indices(b);
  if (store_.mapped) {
    // Images mapped from a cache file: this batch's reads were started with the previous batch (the first batch
    // starts its own), the next batch's start now and overlap this step.
    if (b == 0) prefetch_images(store_.images, idx);
    if (b + 1 < plan_.trained) prefetch_images(store_.images, batch_indices(b + 1));
  }
  BackboneImpl& model = trainer_.model_;
  const torch::Device device = device_of(model);
  trainer_.schedule(trainer_.step_);
  Batch batch = make_batch(store_, idx, pipeline_, /*train=*/true, device, generator_);
  const double loss =
      trainer_.step(batch.input, model.dense_output() ? batch.masks : labels_.index_select(0, idx.to(device)));
  ++trainer_.step_;
  loss_sum_ += loss * idx.size(0);
  stats_.samples += idx.size(0);
  stats_.batches++;
  if (progress) progress({b + 1, plan_.trained, loss});
  return true;
}

// Where batch b starts in the epoch's order; batch_start(plan_.split) is the store's size. Even batches differ in size
// by at most one (ceil(b * n / batches)).
int64_t EpochRun::batch_start(int64_t b) const {
  const int64_t n = store_.size();
  if (last_batch_ == LastBatch::Even) return (b * n + plan_.split - 1) / plan_.split;
  return std::min(n, b * batch_size_);
}

EpochStats EpochRun::stats() const {
  EpochStats out = stats_;
  out.loss = out.samples ? loss_sum_ / out.samples : 0;
  auto& groups = trainer_.optimizer_->param_groups();
  out.lr = trainer_.options_.optimizer == "adamw"
               ? static_cast<torch::optim::AdamWOptions&>(groups.back().options()).lr()
               : static_cast<torch::optim::SGDOptions&>(groups.back().options()).lr();
  return out;
}

torch::Tensor predict(const std::function<torch::Tensor(const torch::Tensor&)>& forward, torch::Device device,
                      const ImageStore& store, const PipelineOptions& pipeline, int64_t batch_size,
                      const std::string& autocast, bool multi_label, const std::atomic<bool>* cancel) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> outputs;
  for_each_batch(store, pipeline, batch_size, device, [&](const Batch& batch, const torch::Tensor&) {
    AutocastScope scope(autocast, batch.input.device());
    outputs.push_back(probabilities(forward(batch.input).to(torch::kFloat32), multi_label).cpu());
  }, cancel);
  return torch::cat(outputs, 0);
}

}  // namespace ttl
