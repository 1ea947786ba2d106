#pragma once
#include <torch/torch.h>

#include <atomic>
#include <functional>
#include <memory>

#include "core/backbone.h"
#include "engine/batch_pipeline.h"
#include "engine/data_parallel.h"
#include "engine/image_store.h"

namespace ttl {

// How a strategy trains a network: which units train and at what learning-rate scale. The Trainer built from
// it is the only place that sets requires_grad: a unit with scale 0 is frozen. The binding fills every field
// from what TypeScript resolved (src/model.ts optimOptions owns the defaults); the zeros here are no defaults.
struct OptimOptions {
  std::string optimizer;             // sgd | adamw
  double lr = 0;                     // base learning rate (eta)
  double momentum = 0;
  bool nesterov = false;
  double weight_decay = 0;
  std::vector<double> unit_lr_scale; // per built unit; 0 freezes the unit (empty: all 1)
  double head_lr_scale = 0;
  bool frozen_bn_eval = false;       // batch norms of frozen units keep their running statistics
  int64_t epochs = 0;                // the schedule spans epochs * steps_per_epoch steps
  int64_t warmup_steps = 0;          // linear warm-up before the cosine decay
  std::string schedule;              // cosine | exponential (LR range test: lr -> lr_end geometrically)
  double lr_end = 0;                 // exponential: the learning rate at the last step
  int64_t steps_per_epoch = 0;
  std::vector<double> class_weights; // empty: unweighted cross-entropy
  std::vector<double> pos_weight;    // multi-label: the BCE's weight of each label's positives; empty: 1 each
  std::string autocast;              // "" | "bf16" | "fp16" (fp16 on CUDA only)
  double clip_grad_norm = 0;         // rescale gradients whose global L2 norm exceeds this; 0 = never
};

struct EpochStats {
  double loss = 0;   // mean training loss
  int64_t batches = 0;
  int64_t samples = 0;
  double lr = 0;     // learning rate of the head at the epoch's last step
};

struct BatchProgress {
  int64_t batch, batches;
  double loss;
};

class EpochRun;

class Trainer {
 public:
  Trainer(BackboneImpl& model, const OptimOptions& options);

  // Parameter names per optimiser group with the group's base learning rate (frozen ones are in none).
  std::vector<std::pair<double, std::vector<std::string>>> groups() const { return groups_; }

  // The loss's class weights (undefined: unweighted); evaluation weighs its cross-entropy with them too.
  const torch::Tensor& class_weights() const { return class_weights_; }
  // Multi-label: the BCE's per-label positive weights (undefined: 1); evaluation's loss uses them too.
  const torch::Tensor& pos_weight() const { return pos_weight_; }

  // One optimisation step on a ready batch; returns the loss. `labels`: [N] class indices, [N, spatial...] masks
  // (segmentation) or [N, L] 0/1 targets (multi-label).
  double step(const torch::Tensor& input, const torch::Tensor& labels);

  // Data-parallel training (null: this process alone): gradients averaged over the ranks before the optimiser
  // step, batch norm statistics shared if it says so.
  void set_data_parallel(std::shared_ptr<DataParallel> parallel) { parallel_ = std::move(parallel); }

 private:
  friend class EpochRun;
  void set_train_mode();
  void schedule(int64_t global_step);
  void clear_gradients();
  void clip_gradients();
  torch::Tensor loss_of(const torch::Tensor& logits, const torch::Tensor& labels);

  BackboneImpl& model_;
  OptimOptions options_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<double> group_scales_;
  std::vector<std::pair<double, std::vector<std::string>>> groups_;
  std::vector<double> unit_scales_;  // per built unit; 0: frozen
  torch::Tensor class_weights_;
  torch::Tensor pos_weight_;
  int64_t step_ = 0;
  std::shared_ptr<DataParallel> parallel_;
};

// One epoch taken a batch at a time: the binding runs each batch as its own compute-thread task so that
// calls queued meanwhile (a predict on another model) wait for one batch, not for the whole epoch.
// The trainer and the store must outlive the run.
// This process's share of every global batch in data-parallel training: rows [rank*n/count, (rank+1)*n/count).
struct Shard {
  int rank = 0;
  int count = 1;
};

// What an epoch does with the samples that do not fill a last batch (546 samples at 32: 2, whose batch-norm
// statistics and loss are those of 2 images). Keep: a ragged last batch (a tail of one is dropped: it breaks batch
// norm). Even: ceil(N / batch_size) batches of near-equal size (differing by at most one). Drop: full batches only,
// as PyTorch's drop_last (the reshuffle leaves out other samples each epoch); a store smaller than one batch is
// kept whole.
enum class LastBatch { Keep, Even, Drop };

// How an epoch of `samples` splits into batches and how many of them train: the one statement of the rule, read by
// EpochRun and (through the binding) by the LR schedule, which is laid out before any epoch runs. `split` batches
// partition the epoch's order (full batches only for Drop); a last one with fewer than 2 samples per rank is not
// trained (batch norm needs two), unless it is the only one.
struct EpochPlan {
  int64_t split = 0;
  int64_t trained = 0;
};
EpochPlan plan_epoch(int64_t samples, int64_t batch_size, LastBatch last_batch, int64_t ranks = 1);

class EpochRun {
 public:
  EpochRun(Trainer& trainer, const ImageStore& store, const PipelineOptions& pipeline, int64_t batch_size, uint64_t seed,
           int64_t epoch, LastBatch last_batch, Shard shard = {});
  // Trains the next batch and reports it; false once the epoch is done (nothing was trained).
  bool next(const std::function<void(const BatchProgress&)>& progress);
  EpochStats stats() const;

 private:
  int64_t batch_start(int64_t b) const;
  // The rows of the store batch b trains (this rank's slice of them in a data-parallel run).
  torch::Tensor batch_indices(int64_t b) const;

  Trainer& trainer_;
  const ImageStore& store_;
  PipelineOptions pipeline_;
  int64_t batch_size_;
  LastBatch last_batch_;
  Shard shard_;
  at::Generator generator_;
  torch::Tensor order_, labels_;
  EpochPlan plan_;
  int64_t b_ = 0;
  double loss_sum_ = 0;
  EpochStats stats_;
};

// Class probabilities (softmax over dim 1; a sigmoid per label when `multi_label`) for every image of the store,
// in order, in eval mode: [N, C], or [N, C, spatial...] for a segmentation network. A set `cancel` stops it
// between batches.
// `forward` computes the network's eval-mode output for a batch on `device` (the network itself, or a
// serving copy of it).
torch::Tensor predict(const std::function<torch::Tensor(const torch::Tensor&)>& forward, torch::Device device,
                      const ImageStore& store, const PipelineOptions& pipeline, int64_t batch_size,
                      const std::string& autocast, bool multi_label, const std::atomic<bool>* cancel = nullptr);

}  // namespace ttl
