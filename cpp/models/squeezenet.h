#pragma once
#include "core/arch.h"

namespace ttl {

// torchvision squeezenet1_1 as units: stem (features.0-2) then each Fire module, a max-pool riding with
// the Fire module after it.
class SqueezeNetImpl : public BackboneImpl {
 public:
  explicit SqueezeNetImpl(const ArchSpec& spec);
  torch::Tensor forward_unit(int64_t index, torch::Tensor x) override;

 protected:
  bool build_original_head(int64_t in_channels, int64_t num_classes) override;
  torch::Tensor forward_original_head(torch::Tensor x) override;

 private:
  std::vector<torch::nn::AnyModule> features_;          // features.0 .. features.N in order
  std::vector<std::pair<size_t, size_t>> unit_ranges_;  // [first, last] feature index per unit
  std::vector<torch::nn::AnyModule> classifier_;
};
TORCH_MODULE(SqueezeNet);

}  // namespace ttl
