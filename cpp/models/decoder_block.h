#pragma once
#include <torch/torch.h>

namespace ttl {

// One U-Net decoder stage: upsample to the skip's size, concatenate the skip, then two
// (conv 3x3, batch norm, ReLU). Without a skip it only refines (the stage at the shallowest kept block).
class DecoderBlockImpl : public torch::nn::Module {
 public:
  DecoderBlockImpl(int64_t spatial_dims, int64_t in_channels, int64_t skip_channels, int64_t out_channels);
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& skip);

 private:
  torch::nn::Sequential conv1{nullptr}, conv2{nullptr};
};
TORCH_MODULE(DecoderBlock);

// Conv (3x3 or 3x3x3, no bias) + batch norm + ReLU, named .0 / .1 / .2 as in segmentation_models_pytorch.
torch::nn::Sequential conv_bn_relu(int64_t spatial_dims, int64_t in, int64_t out);

}  // namespace ttl
