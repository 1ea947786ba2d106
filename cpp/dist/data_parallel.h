#pragma once
#include <memory>

#include "dist/group.h"
#include "dist/overlapped_average.h"
#include "engine/data_parallel.h"

namespace ttl::dist {

struct DataParallelOptions {
  bool sync_batch_norm = false;  // SyncBatchNorm: batch statistics over all ranks (default: each rank's own)
  bool overlap = false;          // all-reduce gradient buckets while backward runs (default: after it)
};

// Data-parallel training over a c10d group: gradients averaged after backward in buckets, batch norm
// statistics summed over the ranks when asked.
class GroupDataParallel : public DataParallel {
 public:
  GroupDataParallel(std::shared_ptr<Group> group, const DataParallelOptions& options);

  bool sync_batch_norm() const override { return options_.sync_batch_norm; }
  torch::Tensor sum_over_ranks(const torch::Tensor& local) override;
  void before_backward(const std::vector<torch::Tensor>& params) override;
  void after_backward(const std::vector<torch::Tensor>& params) override;

 private:
  std::shared_ptr<Group> group_;
  DataParallelOptions options_;
  std::unique_ptr<OverlappedAverage> overlapped_;  // with options.overlap
};

}  // namespace ttl::dist
