#include "dist/overlapped_average.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>

#include "dist/gradient_buckets.h"

namespace ttl::dist {

OverlappedAverage::OverlappedAverage(std::shared_ptr<Group> group) : group_(std::move(group)) {}

OverlappedAverage::~OverlappedAverage() { unhook(); }

void OverlappedAverage::unhook() {
  for (size_t i = 0; i < accumulators_.size(); ++i) accumulators_[i]->del_post_hook(hook_keys_[i]);
  accumulators_.clear();
  hook_keys_.clear();
}

void OverlappedAverage::hook(const std::vector<torch::Tensor>& trained) {
  unhook();
  params_ = trained;
  buckets_ = bucket_indices(params_, group_->bucket_bytes());
  bucket_of_.assign(params_.size(), 0);
  for (size_t b = 0; b < buckets_.size(); ++b)
    for (size_t i : buckets_[b]) bucket_of_[i] = b;
  for (size_t i = 0; i < params_.size(); ++i) {
    auto accumulator = torch::autograd::impl::grad_accumulator(params_[i]);
    TORCH_CHECK(accumulator, "parameter ", i, " has no gradient accumulator");
    hook_keys_.push_back(accumulator->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
        [this, i](const torch::autograd::variable_list& outputs, const torch::autograd::variable_list&) {
          if (armed_) accumulated(i);
          return outputs;
        })));
    accumulators_.push_back(std::move(accumulator));
  }
}

void OverlappedAverage::arm(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> trained;
  for (auto it = params.rbegin(); it != params.rend(); ++it)
    if (it->requires_grad()) trained.push_back(*it);
  bool same = trained.size() == params_.size();
  for (size_t i = 0; same && i < trained.size(); ++i) same = trained[i].is_same(params_[i]);
  if (!same) hook(trained);
  missing_.clear();
  for (const auto& bucket : buckets_) missing_.push_back(bucket.size());
  seen_.assign(params_.size(), false);
  next_ = 0;
  in_flight_.clear();  // left by a backward that threw; nothing waits for them
  armed_ = group_->world_size() > 1;
}

void OverlappedAverage::accumulated(size_t param) {
  // A parameter used twice in one forward would get its second gradient after its bucket was sent.
  TORCH_CHECK(!seen_[param], "a parameter received two gradients in one backward; overlapped all-reduce needs one");
  seen_[param] = true;
  --missing_[bucket_of_[param]];
  while (next_ < buckets_.size() && missing_[next_] == 0) launch(next_++);
}

void OverlappedAverage::launch(size_t bucket) {
  InFlight work{{}, {}, PendingSum([] {})};
  for (size_t i : buckets_[bucket])
    if (params_[i].grad().defined()) work.grads.push_back(params_[i].grad());
  // Parameters without a gradient are left out alike on every rank (the same graph ran everywhere).
  if (work.grads.empty()) return;
  work.flat = flatten(work.grads);
  work.sum = group_->start_sum(work.flat);
  in_flight_.push_back(std::move(work));
}

void OverlappedAverage::finish() {
  if (!armed_) return;
  armed_ = false;
  while (next_ < buckets_.size()) launch(next_++);
  for (auto& work : in_flight_) {
    work.sum.wait();
    work.flat.div_(group_->world_size());
    unflatten_into(work.flat, work.grads);
  }
  in_flight_.clear();
}

}  // namespace ttl::dist
