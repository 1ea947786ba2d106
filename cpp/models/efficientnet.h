#pragma once
#include "core/arch.h"
#include "models/mbconv.h"

namespace ttl {

// torchvision EfficientNet B0-B4 and EfficientNetV2-S (arch.variant: b0..b4, v2_s) as units: the stem
// (features.0), every MBConv / FusedMBConv block (features.S.J), and the last 1x1 convolution (features.N), with
// torchvision's widths, depths (width/depth multipliers, rounded as torchvision rounds them) and BatchNorm eps.
// The original head is classifier.0 (Dropout at the variant's rate) and classifier.1 (Linear).
class EfficientNetImpl : public BackboneImpl {
 public:
  explicit EfficientNetImpl(const ArchSpec& spec);
  torch::Tensor forward_unit(int64_t index, torch::Tensor x) override;

 protected:
  bool build_original_head(int64_t in_channels, int64_t num_classes) override;
  torch::Tensor forward_original_head(torch::Tensor x) override;

 private:
  std::vector<torch::nn::Sequential> convs_;  // the stem and the last convolution, by unit index
  std::vector<MBConv> blocks_;
  double dropout_ = 0.0;
  torch::nn::AdaptiveAvgPool2d avgpool{nullptr};
  torch::nn::Dropout classifier_dropout{nullptr};
  torch::nn::Linear classifier_linear{nullptr};
};
TORCH_MODULE(EfficientNet);

// Stem + every block + the last convolution.
int64_t efficientnet_units(const ArchSpec& spec);

}  // namespace ttl
