#pragma once
#include <torch/torch.h>

#include "engine/folded_resnet.h"

namespace ttl {

// The fp32 serving copy of a ResNet v1 classifier on LibTorch 2.x's fused oneDNN convolutions
// (`mkldnn::_convolution_pointwise`, what torch.compile's CPU backend calls): each convolution with its ReLU in one
// kernel, a block's last convolution with the residual sum and its ReLU, written into the shortcut's tensor. The
// activations stay dense channels-last (NHWC); each convolution's weights are reordered once, for the input shape
// the probe gives it. Measured against 2.15's own frozen TorchScript in docs/benchmarks.md.
class FusedResNet {
 public:
  // Whether this LibTorch has the fused ops (2.x builds with oneDNN; not 1.13).
  static bool available();

  // From the folded network; runs `probe` (one input of the shape to serve) once to reorder the weights.
  FusedResNet(FoldedResNet net, const torch::Tensor& probe);

  // Logits [N, classes]; call under InferenceMode.
  torch::Tensor forward(const torch::Tensor& input);

 private:
  struct Conv {
    FoldedConv folded;
    torch::Tensor weight;  // reordered for oneDNN; undefined until the probe pass
  };

  torch::Tensor conv(Conv& c, const torch::Tensor& x);
  // relu(conv(x) + shortcut), computed into `shortcut`.
  torch::Tensor conv_add_relu(Conv& c, const torch::Tensor& x, torch::Tensor& shortcut);
  // The convolution's reordered weights: reordered on the first call, for that input's shape.
  const torch::Tensor& weight(Conv& c, const torch::Tensor& x);

  ResNetOf<Conv> net_;
};

}  // namespace ttl
