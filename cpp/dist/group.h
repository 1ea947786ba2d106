#pragma once
#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dist/store.h"

namespace ttl::dist {

struct GroupOptions {
  std::string name = "default";  // keys of this group live under this prefix in the store
  int rank = 0;
  int world_size = 1;
  std::string backend = "gloo";  // gloo | nccl
  // Gloo: the local address the ranks reach each other on (127.0.0.1 when all are on this machine);
  // empty: the interface named by GLOO_SOCKET_IFNAME, else the one this host's name resolves to.
  std::string hostname;
  std::chrono::milliseconds timeout{60000};
  int64_t bucket_bytes = 25 << 20;  // gradients are flattened into buckets of about this size (as DDP does)
};

// A sum over the ranks in flight (started by Group::start_sum); the tensor holds the total once wait() returns.
class PendingSum {
 public:
  explicit PendingSum(std::function<void()> wait) : wait_(std::move(wait)) {}
  void wait() { wait_(); }

 private:
  std::function<void()> wait_;
};

// A c10d process group over a shared Store: the collectives data-parallel training needs.
class Group {
 public:
  Group(Store& store, const GroupOptions& options);
  ~Group();

  // Averages the gradients of `params` over the ranks in place (parameters without a gradient are skipped on
  // every rank alike: they must be the same ones on every rank).
  void average_gradients(const std::vector<torch::Tensor>& params);
  // Copies rank `root`'s values of `tensors` into every rank's (weights, BN buffers).
  void broadcast(const std::vector<torch::Tensor>& tensors, int root = 0);
  // Rank order concatenation along dim 0 of every rank's `local` (sizes may differ between ranks).
  torch::Tensor gather_rows(const torch::Tensor& local);
  // Sums `flat` (one contiguous tensor) over the ranks in place...
  void sum_in_place(torch::Tensor& flat);
  // ...or starts that sum and returns at once (c10d's own threads move the data meanwhile).
  PendingSum start_sum(torch::Tensor& flat);
  int64_t bucket_bytes() const { return options_.bucket_bytes; }
  void barrier();
  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }

  struct Impl;

 private:
  GroupOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ttl::dist
