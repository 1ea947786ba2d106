#include "dist/data_parallel.h"

namespace ttl::dist {
namespace {

// An all-reduce sum that autograd can differentiate: the loss of every rank depends on every rank's
// contribution, so each rank's gradient of the sum is the sum of all ranks' incoming gradients.
struct SumOverRanks : torch::autograd::Function<SumOverRanks> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& local, Group* group) {
    // The group outlives the step (the trainer holds it), so its address can wait in the context for backward.
    ctx->saved_data["group"] = reinterpret_cast<int64_t>(group);
    torch::Tensor total = local.contiguous().clone();
    group->sum_in_place(total);
    return total;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto* group = reinterpret_cast<Group*>(ctx->saved_data["group"].toInt());
    torch::Tensor total = grads[0].contiguous().clone();
    group->sum_in_place(total);
    return {total, torch::Tensor()};
  }
};

}  // namespace

GroupDataParallel::GroupDataParallel(std::shared_ptr<Group> group, const DataParallelOptions& options)
    : group_(std::move(group)), options_(options) {
  TORCH_CHECK(group_, "data-parallel training needs a process group");
  if (options.overlap) overlapped_ = std::make_unique<OverlappedAverage>(group_);
}

torch::Tensor GroupDataParallel::sum_over_ranks(const torch::Tensor& local) {
  return SumOverRanks::apply(local, group_.get());
}

void GroupDataParallel::before_backward(const std::vector<torch::Tensor>& params) {
  if (overlapped_) overlapped_->arm(params);
}

void GroupDataParallel::after_backward(const std::vector<torch::Tensor>& params) {
  if (overlapped_) {
    overlapped_->finish();
  } else {
    group_->average_gradients(params);
  }
}

}  // namespace ttl::dist
