#pragma once
#include <torch/torch.h>

#include <memory>

#include "core/backbone.h"

namespace ttl {

struct SgdOptions {
  double lr = 0.01;
  double momentum = 0.9;
  double weight_decay = 0.0;
  bool nesterov = false;
};

// Freezes (requires_grad = false) the parameters of units [0, count); the rest, head included, train.
void freeze_units(BackboneImpl& model, int64_t count);

// One optimisation step of cross-entropy on a batch; returns the loss. Only parameters that require
// gradients are handed to the optimiser, so frozen ones stay bit-identical.
class Trainer {
 public:
  Trainer(BackboneImpl& model, const SgdOptions& options);
  double step(const torch::Tensor& input, const torch::Tensor& labels);

 private:
  BackboneImpl& model_;
  std::unique_ptr<torch::optim::SGD> optimizer_;
};

}  // namespace ttl
