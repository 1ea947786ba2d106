#pragma once
#include <torch/torch.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/arch.h"
#include "core/backbone.h"
#include "engine/activation_observer.h"
#include "engine/batch_pipeline.h"
#include "engine/folded_resnet.h"
#include "engine/image_store.h"
#include "engine/quantized_ops.h"

namespace ttl {

// The int8 serving copy of a ResNet v1 classifier (basic or bottleneck blocks, linear head): post-training static
// quantization of the folded serving copy (batch norms in the convolutions), with per-channel symmetric int8
// weights and per-tensor affine uint8 activations whose ranges were recorded on calibration images. The units
// run on LibTorch's quantized kernels end to end (convolution+ReLU fused, a block's last convolution fused with
// its residual sum and ReLU where the engine has that kernel, else the sum as add+ReLU; max pooling on quantized
// tensors); the average pool and the linear head run in float on the dequantized features,
// so the logits are not rounded (the head is a few thousand MACs of the network's billions).
// Built from the network's folded structure (FoldedResNet); other families are refused.
class Int8ResNet {
 public:
  // Folds a private copy of `source` (CPU, eval mode) on `probe` (one input of the shape to serve).
  Int8ResNet(const ArchSpec& spec, BackboneImpl& source, const torch::Tensor& probe);

  // A float pass of a calibration batch that records every activation (see ActivationObserver: every batch
  // once, then start_histograms(), then every batch again).
  void observe(const torch::Tensor& batch);
  void start_histograms();
  // Quantizes with the recorded ranges for `engine` ('' : the preferred one this LibTorch has); forward() then
  // runs int8.
  void quantize(const std::string& engine);
  // Logits [N, classes] in float.
  torch::Tensor forward(const torch::Tensor& input);

  const std::string& engine() const { return engine_; }
  int64_t convolutions() const;
  int64_t calibration_images() const { return calibration_images_; }
  // Blocks whose residual sum and ReLU run inside their last convolution's kernel.
  int64_t fused_sums() const { return fused_sums_ ? static_cast<int64_t>(net_.blocks.size()) : 0; }

 private:
  struct Activation {
    ActivationObserver observer;
    QuantParams params;
  };
  struct Conv {
    FoldedConv folded;
    Activation out;
    c10::IValue packed;
  };

  // One walk of the network for both passes: float with range recording, or int8 once quantized.
  torch::Tensor run(torch::Tensor x);
  torch::Tensor conv(Conv& c, const torch::Tensor& x);
  // relu(last(x) + shortcut), recorded in or requantized to `sum`.
  torch::Tensor conv_add_relu(Conv& last, Activation& sum, const torch::Tensor& x, const torch::Tensor& shortcut);
  void for_each_activation(const std::function<void(Activation&)>& visit);

  Activation input_;
  ResNetOf<Conv> net_;
  std::vector<Activation> sums_;  // relu(branch + shortcut), one per block
  bool histograms_ = false;  // calibration's second pass
  std::string engine_;       // empty until quantized
  bool fused_sums_ = false;  // the engine runs conv_add_relu as one kernel
  int64_t calibration_images_ = 0;
};

// Builds the int8 copy of `source`, calibrated on every image of `calibration` through the evaluation pipeline.
std::unique_ptr<Int8ResNet> quantize_resnet(const ArchSpec& spec, BackboneImpl& source,
                                            const std::vector<std::shared_ptr<const ImageStore>>& calibration,
                                            const PipelineOptions& pipeline, int64_t batch_size, const std::string& engine,
                                            const std::atomic<bool>* cancel);

}  // namespace ttl
