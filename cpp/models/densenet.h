#pragma once
#include "core/arch.h"

namespace ttl {

// torchvision DenseNet as units: stem (conv0, norm0, relu0, pool0), every dense layer, every transition,
// and norm5 (followed by the functional ReLU of torchvision's forward).
class DenseNetImpl : public BackboneImpl {
 public:
  explicit DenseNetImpl(const ArchSpec& spec);
  torch::Tensor forward_unit(int64_t index, torch::Tensor x) override;

 protected:
  // torchvision's DenseNet pools with F.adaptive_avg_pool2d (functional: ptflops does not count it), then
  // `classifier`.
  bool build_original_head(int64_t in_channels, int64_t num_classes) override;
  torch::Tensor forward_original_head(torch::Tensor x) override;

 private:
  torch::nn::Linear classifier{nullptr};
  torch::nn::Conv2d conv0{nullptr};
  torch::nn::BatchNorm2d norm0{nullptr}, norm5{nullptr};
  torch::nn::ReLU relu0{nullptr};
  torch::nn::MaxPool2d pool0{nullptr};
  std::vector<torch::nn::AnyModule> units_after_stem_;
};
TORCH_MODULE(DenseNet);

}  // namespace ttl
