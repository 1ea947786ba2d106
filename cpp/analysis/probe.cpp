#include "analysis/probe.h"

#include "core/error.h"

namespace ttl {

ProbeResult fit_linear_probe(const torch::Tensor& train_x_in, const torch::Tensor& train_y, const torch::Tensor& apply_x_in,
                             int64_t num_classes, double l2, int64_t iterations) {
  if (train_x_in.dim() != 2 || apply_x_in.dim() != 2 || train_x_in.size(1) != apply_x_in.size(1))
    throw Error("E_BAD_INPUT", "probe features must be [N, D] with the same D");
  torch::NoGradGuard outer;
  const torch::Tensor mean = train_x_in.mean(0, true);
  const torch::Tensor std = train_x_in.std(0, /*unbiased=*/true, /*keepdim=*/true).clamp_min(1e-6);
  const torch::Tensor train_x = (train_x_in - mean) / std;
  const torch::Tensor apply_x = (apply_x_in - mean) / std;
  torch::Tensor weight = torch::zeros({train_x.size(1), num_classes}, torch::kFloat32).requires_grad_(true);
  torch::Tensor bias = torch::zeros({num_classes}, torch::kFloat32).requires_grad_(true);
  torch::optim::LBFGS optimizer({weight, bias}, torch::optim::LBFGSOptions(1.0).max_iter(iterations).line_search_fn("strong_wolfe"));
  auto closure = [&]() -> torch::Tensor {
    torch::AutoGradMode enable(true);
    optimizer.zero_grad();
    torch::Tensor loss = torch::nn::functional::cross_entropy(torch::addmm(bias, train_x, weight), train_y) +
                         l2 * weight.pow(2).sum();
    loss.backward();
    return loss;
  };
  optimizer.step(closure);
  return {torch::softmax(torch::addmm(bias, train_x, weight), 1), torch::softmax(torch::addmm(bias, apply_x, weight), 1)};
}

}  // namespace ttl
