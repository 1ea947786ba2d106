#include "models/decoder_block.h"

#include "core/macs.h"
#include "models/basic_block3d.h"
#include "models/conv.h"

namespace ttl {

torch::nn::Sequential conv_bn_relu(int64_t spatial_dims, int64_t in, int64_t out) {
  if (spatial_dims == 3) return conv_bn3d(in, out, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, true);
  return torch::nn::Sequential(conv2d(in, out, 3, 1, 1), batch_norm2d(out), relu());
}

DecoderBlockImpl::DecoderBlockImpl(int64_t spatial_dims, int64_t in_channels, int64_t skip_channels, int64_t out_channels)
    : conv1(register_module("conv1", conv_bn_relu(spatial_dims, in_channels + skip_channels, out_channels))),
      conv2(register_module("conv2", conv_bn_relu(spatial_dims, out_channels, out_channels))) {}

torch::Tensor DecoderBlockImpl::forward(torch::Tensor x, const torch::Tensor& skip) {
  if (skip.defined()) x = torch::cat({resize_to(x, skip.sizes().slice(2)), skip}, 1);
  return run_sequential(conv2, run_sequential(conv1, x));
}

}  // namespace ttl
