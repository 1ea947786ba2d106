#pragma once
#include "core/arch.h"

namespace ttl {

// torchvision.models.video.r3d_18 as units: stem (3x7x7 conv stride 1x2x2, bn, relu) then every residual
// block; input [N, C, T, H, W].
class R3DImpl : public BackboneImpl {
 public:
  explicit R3DImpl(const ArchSpec& spec);
  torch::Tensor forward_unit(int64_t index, torch::Tensor x) override;

 private:
  torch::nn::Sequential stem{nullptr};
  std::vector<torch::nn::AnyModule> blocks_;
};
TORCH_MODULE(R3D);

}  // namespace ttl
