#pragma once
#include "core/arch.h"

namespace ttl {

// PENet (Huang et al. 2020, the paper's handcrafted pulmonary-embolism baseline) as units: stem (7x7x7 conv
// stride 1x2x2, GroupNorm, LeakyReLU, 3x3x3 max-pool stride 2) then every PENet bottleneck of four stages
// (3, 4, 6, 3 blocks; widths 128..1024 with expansion 2; cardinality 32). Names follow the reference code
// (in_conv.0, encoders.N.penet_blocks.M.*); input [N, C, D, H, W].
class PENetImpl : public BackboneImpl {
 public:
  explicit PENetImpl(const ArchSpec& spec);
  torch::Tensor forward_unit(int64_t index, torch::Tensor x) override;

 private:
  torch::nn::Sequential in_conv{nullptr};
  torch::nn::MaxPool3d max_pool{nullptr};
  std::vector<torch::nn::AnyModule> blocks_;
};
TORCH_MODULE(PENet);

}  // namespace ttl
