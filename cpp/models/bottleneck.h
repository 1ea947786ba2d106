#pragma once
#include <torch/torch.h>

namespace ttl {

// torchvision.models.resnet.Bottleneck (v1.5: stride on the 3x3 conv, expansion 4). ResNeXt groups the 3x3
// convolution; ResNeXt and Wide ResNet set its width to planes * widthPerGroup / 64 * groups, as torchvision.
class BottleneckImpl : public torch::nn::Module {
 public:
  static constexpr int64_t expansion = 4;
  BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride, int64_t groups = 1, int64_t width_per_group = 64);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::ReLU relu{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

}  // namespace ttl
