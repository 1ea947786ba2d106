#pragma once
#include <torch/torch.h>

#include <algorithm>
#include <vector>

#include "models/decoder_block.h"

namespace ttl {

// U-Net decoder over the features of a truncated encoder: the deepest kept feature is upsampled and
// joined with each shallower kept feature in turn, refined at the shallowest one, classified per
// pixel (1x1 conv) and the logits resized to the input. Only features that exist feed it, so an
// encoder cut after block k gets a decoder with k - 1 joins.
class UNetDecoderImpl : public torch::nn::Module {
 public:
  // skip_channels: channels of the kept features, shallowest first.
  UNetDecoderImpl(int64_t spatial_dims, const std::vector<int64_t>& skip_channels, int64_t num_classes);
  // features: shallowest first; output_size: spatial size of the logits.
  torch::Tensor forward(const std::vector<torch::Tensor>& features, at::IntArrayRef output_size);

  // Decoder width for a stage that joins a feature of `channels` channels.
  static int64_t width_for(int64_t channels) { return std::clamp<int64_t>(channels / 2, 16, 256); }

 private:
  torch::nn::ModuleList blocks{nullptr};
  DecoderBlock final{nullptr};
  torch::nn::AnyModule classifier;
};
TORCH_MODULE(UNetDecoder);

}  // namespace ttl
