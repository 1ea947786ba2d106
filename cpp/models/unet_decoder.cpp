#include "models/unet_decoder.h"

#include "core/error.h"
#include "core/macs.h"

namespace ttl {

UNetDecoderImpl::UNetDecoderImpl(int64_t spatial_dims, const std::vector<int64_t>& skip_channels, int64_t num_classes)
    : blocks(register_module("blocks", torch::nn::ModuleList())) {
  if (skip_channels.empty()) throw Error("E_INTERNAL", "a U-Net decoder needs at least one encoder feature");
  int64_t channels = skip_channels.back();
  for (int64_t i = static_cast<int64_t>(skip_channels.size()) - 2; i >= 0; --i) {
    const int64_t width = width_for(skip_channels[i]);
    blocks->push_back(DecoderBlock(spatial_dims, channels, skip_channels[i], width));
    channels = width;
  }
  final = register_module("final", DecoderBlock(spatial_dims, channels, 0, width_for(channels)));
  channels = width_for(channels);
  if (spatial_dims == 3) {
    classifier = torch::nn::AnyModule(torch::nn::Conv3d(torch::nn::Conv3dOptions(channels, num_classes, 1)));
  } else {
    classifier = torch::nn::AnyModule(torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, num_classes, 1)));
  }
  register_module("classifier", classifier.ptr());
}

torch::Tensor UNetDecoderImpl::forward(const std::vector<torch::Tensor>& features, at::IntArrayRef output_size) {
  if (features.size() != blocks->size() + 1) throw Error("E_INTERNAL", "U-Net decoder got the wrong number of features");
  torch::Tensor x = features.back();
  for (size_t j = 0; j < blocks->size(); ++j)
    x = blocks[j]->as<DecoderBlockImpl>()->forward(x, features[features.size() - 2 - j]);
  x = final->forward(x, torch::Tensor());
  return resize_to(call(classifier, x), output_size);
}

}  // namespace ttl
