#pragma once
#include <torch/csrc/autograd/variable.h>
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "dist/group.h"

namespace torch::autograd {
struct Node;
}

namespace ttl::dist {

// Averages the gradients over the ranks while backward still runs, as DDP's Reducer does: a post hook on each
// parameter's gradient accumulator counts the gradients of its bucket, and a bucket's all-reduce starts as
// soon as its last gradient has been accumulated. Buckets start in one fixed order on every rank (a bucket that
// is ready early waits for the ones before it), so the collectives match. finish() starts what backward did
// not reach (parameters without a gradient this step), waits, and writes the averages back.
class OverlappedAverage {
 public:
  explicit OverlappedAverage(std::shared_ptr<Group> group);
  ~OverlappedAverage();
  OverlappedAverage(const OverlappedAverage&) = delete;
  OverlappedAverage& operator=(const OverlappedAverage&) = delete;

  // Before backward: hooks the parameters that train (again only if they changed) and resets the counts.
  void arm(const std::vector<torch::Tensor>& params);
  // After backward: on return every gradient is the average over the ranks.
  void finish();

 private:
  struct InFlight {
    std::vector<torch::Tensor> grads;
    torch::Tensor flat;
    PendingSum sum;
  };
  void hook(const std::vector<torch::Tensor>& trained);
  void unhook();
  void accumulated(size_t param);
  void launch(size_t bucket);

  std::shared_ptr<Group> group_;
  std::vector<torch::Tensor> params_;  // the trained parameters, last registered first (backward's order)
  // kept alive: they hold the hooks. A shared_ptr up to LibTorch 2.x's intrusive_ptr, whichever grad_accumulator returns.
  std::vector<decltype(torch::autograd::impl::grad_accumulator(std::declval<torch::Tensor>()))> accumulators_;
  std::vector<uintptr_t> hook_keys_;
  std::vector<std::vector<size_t>> buckets_;  // indices into params_
  std::vector<size_t> bucket_of_;
  std::vector<size_t> missing_;  // per bucket: gradients not accumulated yet in this backward
  std::vector<bool> seen_;       // per parameter: accumulated in this backward
  size_t next_ = 0;              // the first bucket not started
  std::vector<InFlight> in_flight_;
  bool armed_ = false;
};

}  // namespace ttl::dist
