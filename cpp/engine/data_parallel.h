#pragma once
#include <torch/torch.h>

#include <vector>

namespace ttl {

// What data-parallel training adds to a training step; cpp/dist implements it over a c10d process group,
// so the trainer and the batch norm hook need no c10d types.
class DataParallel {
 public:
  virtual ~DataParallel() = default;

  // True: training-mode batch norms normalise with the statistics of the whole global batch (SyncBatchNorm).
  virtual bool sync_batch_norm() const = 0;
  // `local` summed over the ranks, differentiably: the backward sums the incoming gradients over the ranks.
  virtual torch::Tensor sum_over_ranks(const torch::Tensor& local) = 0;
  // Called just before backward with the parameters that train (to reduce gradients while backward runs)...
  virtual void before_backward(const std::vector<torch::Tensor>& params) = 0;
  // ...and after it: on return the gradients of `params` are their average over the ranks.
  virtual void after_backward(const std::vector<torch::Tensor>& params) = 0;
};

}  // namespace ttl
