#pragma once
#include <torch/torch.h>

namespace ttl {

// A multinomial logistic-regression probe on fixed features [N, D] (standardised with the training
// statistics), fitted by full-batch L-BFGS with an L2 penalty. Returns class probabilities for `apply`.
struct ProbeResult {
  torch::Tensor train_probs;
  torch::Tensor apply_probs;
};

ProbeResult fit_linear_probe(const torch::Tensor& train_x, const torch::Tensor& train_y, const torch::Tensor& apply_x,
                             int64_t num_classes, double l2, int64_t iterations);

}  // namespace ttl
