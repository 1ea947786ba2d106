#pragma once
#include <torch/torch.h>

namespace ttl {

// torchvision.models.video.resnet.BasicBlock with Conv3DSimple (3x3x3): conv1 = (conv, bn, relu),
// conv2 = (conv, bn), projection shortcut downsample = (1x1x1 conv, bn).
class BasicBlock3dImpl : public torch::nn::Module {
 public:
  BasicBlock3dImpl(int64_t inplanes, int64_t planes, int64_t stride);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::Sequential conv1{nullptr}, conv2{nullptr}, downsample{nullptr};
  torch::nn::ReLU relu{nullptr};
};
TORCH_MODULE(BasicBlock3d);

// Conv3d (no bias) + BatchNorm3d [+ ReLU] as a torchvision-named Sequential (.0 conv, .1 bn, .2 relu).
torch::nn::Sequential conv_bn3d(int64_t in, int64_t out, std::vector<int64_t> kernel, std::vector<int64_t> stride,
                                std::vector<int64_t> padding, bool relu);

}  // namespace ttl
