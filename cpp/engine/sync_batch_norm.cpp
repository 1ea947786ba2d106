#include "engine/sync_batch_norm.h"

namespace ttl {
namespace {

// The parts of a BatchNorm2d or BatchNorm3d (tensors share storage: the running statistics update in place).
struct NormState {
  const torch::nn::BatchNormOptions& options;
  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;
};

template <typename Impl>
NormState state_of(const Impl& bn) {
  return {bn.options, bn.weight, bn.bias, bn.running_mean, bn.running_var, bn.num_batches_tracked};
}

// torch.nn.SyncBatchNorm's training forward: statistics over every rank's rows, running statistics updated
// with the global unbiased variance. Gradients reach every rank's input through the sum's backward.
torch::Tensor sync_norm(const NormState& n, const torch::Tensor& input, DataParallel& parallel) {
  const int64_t channels = input.size(1);
  std::vector<int64_t> dims = {0};
  for (int64_t d = 2; d < input.dim(); ++d) dims.push_back(d);
  const torch::Tensor x = input.scalar_type() == torch::kFloat64 ? input : input.to(torch::kFloat32);
  const int64_t count = x.numel() / channels;
  TORCH_CHECK(count > 0, "a batch norm needs at least one value per channel on every rank");
  // Each rank's mean and variance (accurate two-pass kernels), combined as sums of x and x^2 in float64 so the
  // global E[x^2] - mean^2 loses nothing to cancellation.
  auto [var, mean] = torch::var_mean(x, dims, /*unbiased=*/false);
  const auto f64 = torch::kFloat64;
  torch::Tensor local = torch::cat({mean.to(f64) * count, (var.to(f64) + mean.to(f64).square()) * count,
                                    torch::full({1}, static_cast<double>(count), mean.options().dtype(f64))});
  torch::Tensor total = parallel.sum_over_ranks(local);
  const double n_total = total[2 * channels].item<double>();
  TORCH_CHECK(n_total > 1, "expected more than 1 value per channel when training, got ", n_total);
  torch::Tensor global_mean = total.narrow(0, 0, channels) / n_total;
  torch::Tensor global_var = (total.narrow(0, channels, channels) / n_total - global_mean.square()).clamp_min(0);

  const auto& o = n.options;
  if (o.track_running_stats() && n.running_mean.defined()) {
    torch::NoGradGuard no_grad;
    double factor = o.momentum().value_or(0.0);
    if (n.num_batches_tracked.defined()) {
      n.num_batches_tracked.add_(1);
      if (!o.momentum()) factor = 1.0 / n.num_batches_tracked.item<double>();
    }
    n.running_mean.mul_(1 - factor).add_(global_mean.to(n.running_mean.scalar_type()), factor);
    n.running_var.mul_(1 - factor).add_((global_var * (n_total / (n_total - 1))).to(n.running_var.scalar_type()), factor);
  }
  torch::Tensor scale = torch::rsqrt(global_var + o.eps()).to(x.scalar_type());
  torch::Tensor shift = -global_mean.to(x.scalar_type()) * scale;
  if (o.affine()) {
    scale = scale * n.weight;
    shift = shift * n.weight + n.bias;
  }
  std::vector<int64_t> shape(input.dim(), 1);
  shape[1] = channels;
  return torch::addcmul(shift.view(shape), x, scale.view(shape));
}

}  // namespace

torch::Tensor SyncBatchNorm::replace(const torch::nn::Module& module, const torch::Tensor& input) {
  if (!module.is_training()) return {};
  if (auto* bn = module.as<torch::nn::BatchNorm2dImpl>()) return sync_norm(state_of(*bn), input, parallel_);
  if (auto* bn = module.as<torch::nn::BatchNorm3dImpl>()) return sync_norm(state_of(*bn), input, parallel_);
  return {};
}

}  // namespace ttl
