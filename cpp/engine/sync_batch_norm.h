#pragma once
#include <torch/torch.h>

#include "core/macs.h"
#include "engine/data_parallel.h"

namespace ttl {

// SyncBatchNorm without new module types: while this hook lives (on the constructing thread), every
// training-mode BatchNorm2d/3d that a network runs through call() normalises with the mean and variance of
// the whole global batch, summed over the ranks by `parallel`, and updates its running statistics with them,
// as torch.nn.SyncBatchNorm does. Eval-mode norms (and frozen units' norms) run as usual. The modules stay
// torchvision's BatchNorm, so parameter names and checkpoints are unchanged.
class SyncBatchNorm : public CallHook {
 public:
  explicit SyncBatchNorm(DataParallel& parallel) : parallel_(parallel) {}
  torch::Tensor replace(const torch::nn::Module& module, const torch::Tensor& input) override;

 private:
  DataParallel& parallel_;
};

}  // namespace ttl
