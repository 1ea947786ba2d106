#include "models/se_block.h"

#include "core/macs.h"

namespace ttl {

SEBlockImpl::SEBlockImpl(int64_t channels, int64_t reduction)
    : squeeze(register_module("squeeze", torch::nn::AdaptiveAvgPool3d(1))),
      excite(register_module("excite", torch::nn::Sequential(torch::nn::Linear(channels, channels / reduction), torch::nn::LeakyReLU(),
                                                             torch::nn::Linear(channels / reduction, channels), torch::nn::Sigmoid()))) {}

torch::Tensor SEBlockImpl::forward(torch::Tensor x) {
  torch::Tensor z = run_sequential(excite, call(squeeze, x).flatten(1));
  return x * z.view({x.size(0), x.size(1), 1, 1, 1});
}

}  // namespace ttl
