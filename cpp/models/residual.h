#pragma once
#include <torch/torch.h>

#include "core/macs.h"

namespace ttl {

// The end of every post-activation residual block (torchvision's ResNet, kenshohara's 3D ResNet):
// relu(branch(x) + shortcut(x)), the shortcut being the identity or the block's projection. The shortcut runs
// first, as in the blocks this replaced (call hooks see the modules in the same order).
template <typename Branch>
torch::Tensor residual_sum(const torch::Tensor& x, torch::nn::Sequential& downsample, torch::nn::ReLU& relu, Branch branch) {
  torch::Tensor identity = downsample ? run_sequential(downsample, x) : x;
  // The branch's output is this block's own (a batch norm's, whose backward does not need it, or in the serving
  // copy a convolution's): adding into it saves a block-sized allocation per block, as torchvision's `out +=
  // identity` does.
  return call(relu, branch(x).add_(identity));
}

// A bottleneck's residual branch, 2D or 3D: conv1-bn1-relu, conv2-bn2-relu, conv3-bn3.
template <typename Conv, typename Norm>
torch::Tensor bottleneck_branch(const torch::Tensor& x, Conv& conv1, Norm& bn1, Conv& conv2, Norm& bn2, Conv& conv3, Norm& bn3,
                                torch::nn::ReLU& relu) {
  torch::Tensor out = call(relu, call(bn1, call(conv1, x)));
  out = call(relu, call(bn2, call(conv2, out)));
  return call(bn3, call(conv3, out));
}

}  // namespace ttl
