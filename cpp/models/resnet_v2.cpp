#include "models/resnet_v2.h"

#include "core/error.h"
#include "core/trace.h"
#include "models/conv.h"

namespace ttl {

ResNetV2Impl::ResNetV2Impl(const ArchSpec& spec) {
  if (spec.layers.size() != 4) throw Error("E_BAD_ARCH", "resnet_v2 needs 4 stage sizes");
  in_channels_ = spec.in_channels;
  const int64_t total = count_units(spec);
  const int64_t keep = spec.keep_units < 0 ? total : spec.keep_units;

  bn_data = register_module("bn_data", batch_norm2d(spec.in_channels));
  conv0 = register_module("conv0", conv2d(spec.in_channels, 64, 7, 2, 3));
  bn0 = register_module("bn0", batch_norm2d(64));
  relu = register_module("relu", ttl::relu());
  maxpool = register_module("maxpool", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)));
  add_unit({"stem", 0, 64, 4, {"bn_data.", "conv0.", "bn0."}, keep >= 1});

  int64_t in = 64, reduction = 4, unit = 1;
  for (size_t stage = 0; stage < 4; ++stage) {
    const std::string stage_name = "stage" + std::to_string(stage + 1);
    std::shared_ptr<torch::nn::Module> layer;
    for (int64_t b = 0; b < spec.layers[stage]; ++b, ++unit) {
      const int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
      const int64_t out = unit_width(spec, unit + 1, 256 << stage);
      reduction *= stride;
      const std::string name = stage_name + "." + std::to_string(b);
      const bool built = unit < keep;
      std::vector<std::string> prefixes = {name + "."};
      if (unit == total - 1) prefixes.push_back("bn_final.");
      add_unit({name, static_cast<int64_t>(stage + 1), out, reduction, prefixes, built, out != (256 << stage)});
      if (built) {
        if (!layer) layer = register_module(stage_name, std::make_shared<torch::nn::Module>());
        blocks_.push_back(layer->register_module(std::to_string(b), PreActBottleneck(in, out, stride, b == 0 || in != out)));
      }
      in = out;
    }
  }
  if (keep == total) bn_final = register_module("bn_final", batch_norm2d(in));
  build_head(spec.head, "fc");
}

torch::Tensor ResNetV2Impl::forward_unit(int64_t index, torch::Tensor x) {
  if (index == 0) return call(maxpool, call(relu, call(bn0, call(conv0, call(bn_data, x)))));
  x = blocks_.at(index - 1)->forward(x);
  if (bn_final && index == static_cast<int64_t>(blocks_.size())) x = call(relu, call(bn_final, x));
  return x;
}

}  // namespace ttl
