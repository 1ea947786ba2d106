#include "models/resnet_v2.h"

#include "core/error.h"
#include "core/macs.h"
#include "models/conv.h"
#include "models/residual_stages.h"

namespace ttl {

ResNetV2Impl::ResNetV2Impl(const ArchSpec& spec) {
  in_channels_ = spec.in_channels;
  const int64_t total = count_units(spec);
  const int64_t keep = spec.keep_units < 0 ? total : spec.keep_units;

  bn_data = register_module("bn_data", batch_norm2d(spec.in_channels));
  conv0 = register_module("conv0", conv2d(spec.in_channels, 64, 7, 2, 3));
  bn0 = register_module("bn0", batch_norm2d(64));
  relu = register_module("relu", ttl::relu());
  maxpool = register_module("maxpool", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)));
  add_unit({"stem", 0, 64, 4, {"bn_data.", "conv0.", "bn0."}, true});

  int64_t in = 64;
  for_each_residual_unit(*this, spec, {"stage", 1, ""}, 256, 4, [&](const ResidualSlot& u) {
    std::vector<std::string> prefixes = {u.name + "."};
    if (u.k == total) prefixes.push_back("bn_final.");
    add_unit({u.name, u.stage + 1, u.width, u.reduction, prefixes, u.built, u.slim});
    if (u.built)
      blocks_.push_back(u.stage_module()->register_module(std::to_string(u.index), PreActBottleneck(in, u.width, u.stride, u.index == 0 || in != u.width)));
    in = u.width;
  });
  if (keep == total) bn_final = register_module("bn_final", batch_norm2d(in));
  // The bottlenecks' residual stream is un-normalised; the stem ends in ReLU, the last unit in bn_final.
  mark_units(UnitOutput::PreActivation, 1, units().size() - 1);
  build_head(spec.head, "fc");
}

torch::Tensor ResNetV2Impl::forward_unit(int64_t index, torch::Tensor x) {
  if (index == 0) return call(maxpool, call(relu, call(bn0, call(conv0, call(bn_data, x)))));
  x = blocks_.at(index - 1)->forward(x);
  if (bn_final && index == static_cast<int64_t>(blocks_.size())) x = call(relu, call(bn_final, x));
  return x;
}

}  // namespace ttl
