#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <unordered_set>

#include "core/arch.h"
#include "core/backbone.h"
#include "engine/fused_resnet.h"

namespace ttl {

// How a serving copy computes, from fastest to plainest; each is kept only if its output on a probe
// matches the source network's eval output to 1e-4 relative.
enum class InferenceLayout {
  Fused,   // ResNet v1 on LibTorch 2.x: FusedResNet (convolution, ReLU and residual sum in one oneDNN kernel)
  OneDnn,  // folded, units on oneDNN (mkldnn) tensors with convolution weights reordered once
  Dense,   // folded, ordinary strided tensors
  Plain,   // nothing folded (folding did not reproduce the source network)
};

std::string to_string(InferenceLayout layout);

// A private eval-mode copy of `source` (same device, its weights) with its batch norms folded into their
// convolutions (fold_batch_norms, on `probe`); `folded` receives the norms that the copy's forward must skip.
Backbone folded_copy(const ArchSpec& spec, BackboneImpl& source, const torch::Tensor& probe,
                     std::unordered_set<const torch::nn::Module*>& folded);

// A private eval-only copy of a network for serving: batch norms folded into the preceding convolutions,
// no autograd state (InferenceMode), and, on CPUs where LibTorch has oneDNN, the units run on oneDNN
// tensors. The source network is left untouched; the copy does not follow later changes to its weights.
class InferenceNetwork {
 public:
  // `probe`: one input of the shape to serve ([N, C, spatial...], on the source's device), used to find
  // the foldable pairs and to check each layout against the source.
  InferenceNetwork(const ArchSpec& spec, BackboneImpl& source, const torch::Tensor& probe);

  torch::Tensor forward(const torch::Tensor& input);
  InferenceLayout layout() const { return layout_; }
  int64_t folded_norms() const { return folded_norms_; }

 private:
  // Builds the copy for `layout`; false when it fails or does not reproduce `expected`.
  bool build(InferenceLayout layout, const torch::Tensor& probe, const torch::Tensor& expected);

  ArchSpec spec_;
  BackboneImpl& source_;  // read while building only
  Backbone net_;                        // every layout but Fused
  std::unique_ptr<FusedResNet> fused_;  // Fused
  InferenceLayout layout_ = InferenceLayout::Plain;
  std::unordered_set<const torch::nn::Module*> skipped_;
  int64_t folded_norms_ = 0;
};

}  // namespace ttl
