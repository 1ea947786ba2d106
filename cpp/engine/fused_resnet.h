#pragma once
#include <torch/torch.h>

#include "engine/folded_resnet.h"

namespace ttl {

// The fp32 serving copy of a ResNet v1 classifier on LibTorch 2.x's fused oneDNN convolutions
// (`mkldnn::_convolution_pointwise`, what torch.compile's CPU backend calls): each convolution with its ReLU in one
// kernel, a block's last convolution with the residual sum and its ReLU, written into the shortcut's tensor. The
// activations stay dense channels-last (NHWC); each convolution's weights are reordered once (see forward()). Measured against 2.15's own frozen TorchScript in docs/benchmarks.md.
class FusedResNet {
 public:
  // Whether this LibTorch has the fused ops (2.x builds with oneDNN; not 1.13).
  static bool available();

  explicit FusedResNet(FoldedResNet net);

  // Logits [N, classes] of 2D CPU inputs; call under InferenceMode. The first call reorders the weights for its
  // input's shape (the serving copy makes it with its probe).
  torch::Tensor forward(const torch::Tensor& input);

 private:
  struct Conv {
    FoldedConv folded;
    torch::Tensor weight;  // reordered for oneDNN; undefined until the first call
  };

  torch::Tensor conv(Conv& c, const torch::Tensor& x);
  // relu(conv(x) + shortcut), computed into `shortcut`.
  torch::Tensor conv_add_relu(Conv& c, const torch::Tensor& x, torch::Tensor& shortcut);
  // The convolution's reordered weights: reordered on the first call, for that input's shape.
  const torch::Tensor& weight(Conv& c, const torch::Tensor& x);

  ResNetOf<Conv> net_;
};

}  // namespace ttl
