#include "core/linear_head.h"

#include "core/macs.h"

namespace ttl {

LinearHead::LinearHead(int64_t channels, int64_t spatial_dims, UnitOutput input, int64_t num_classes, double dropout_p,
                       bool zero_init) {
  if (input != UnitOutput::Normalised) {
    TORCH_CHECK(spatial_dims == 2, "a normalising head is implemented for 2D networks only");
    norm = torch::nn::BatchNorm2d(channels);
    relu_after_norm = input == UnitOutput::PreActivation;
  }
  if (spatial_dims == 3) {
    pool3d = torch::nn::AdaptiveAvgPool3d(1);
  } else {
    pool2d = torch::nn::AdaptiveAvgPool2d(1);
  }
  if (dropout_p > 0) dropout = torch::nn::Dropout(dropout_p);
  linear = torch::nn::Linear(channels, num_classes);
  if (zero_init) {
    torch::NoGradGuard no_grad;
    linear->weight.zero_();
    linear->bias.zero_();
  }
}

torch::Tensor LinearHead::forward(torch::Tensor x) {
  if (norm) {
    x = call(norm, x);
    if (relu_after_norm) x = torch::relu(x);
  }
  x = pool3d ? call(pool3d, x) : call(pool2d, x);
  x = torch::flatten(x, 1);
  if (dropout) x = call(dropout, x);
  return call(linear, x);
}

int64_t LinearHead::params() const {
  int64_t count = 0;
  for (const auto& p : linear->parameters()) count += p.numel();
  if (norm)
    for (const auto& p : norm->parameters()) count += p.numel();
  return count;
}

}  // namespace ttl
