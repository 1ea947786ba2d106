#include "models/downsample.h"

#include "models/conv.h"

namespace ttl {

torch::nn::Sequential make_downsample(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Sequential(conv2d(in, out, 1, stride), batch_norm2d(out));
}

}  // namespace ttl
