#include "models/resnet3d.h"

#include "core/error.h"
#include "core/macs.h"
#include "models/conv.h"
#include "models/residual_stages.h"
#include "models/resnet3d_blocks.h"

namespace ttl {

ResNet3dImpl::ResNet3dImpl(const ArchSpec& spec) {
  if (spec.block != "basic" && spec.block != "bottleneck" && spec.block != "resnext")
    throw Error("E_BAD_ARCH", "resnet3d block must be basic, bottleneck or resnext, got '" + spec.block + "'");
  if (spec.block == "resnext" && spec.cardinality < 1) throw Error("E_BAD_ARCH", "resnext needs cardinality >= 1");
  spatial_dims_ = 3;
  in_channels_ = spec.in_channels;
  conv1 = register_module("conv1", torch::nn::Conv3d(torch::nn::Conv3dOptions(spec.in_channels, 64, 7).stride({1, 2, 2}).padding(3).bias(false)));
  bn1 = register_module("bn1", torch::nn::BatchNorm3d(64));
  relu = register_module("relu", ttl::relu());
  maxpool = register_module("maxpool", torch::nn::MaxPool3d(torch::nn::MaxPool3dOptions(3).stride(2).padding(1)));
  add_unit({"stem", 0, 64, 4, {"conv1.", "bn1."}, true});

  const bool resnext = spec.block == "resnext";
  const int64_t expansion = spec.block == "basic" ? 1 : resnext ? 2 : 4;
  int64_t inplanes = 64;
  for_each_residual_unit(*this, spec, {}, resnext ? 128 : 64, 4, [&](const ResidualSlot& u) {
    const int64_t out = u.width * expansion;
    add_unit({u.name, u.stage + 1, out, u.reduction, {u.name + "."}, u.built, u.slim});
    if (u.built) {
      auto layer = u.stage_module();
      const std::string index = std::to_string(u.index);
      if (spec.block == "basic") {
        blocks_.emplace_back(layer->register_module(index, ResNet3dBasic(inplanes, u.width, u.stride)));
      } else {
        const int64_t groups = resnext ? spec.cardinality : 1;
        const int64_t mid = resnext ? spec.cardinality * (u.width / 32) : u.width;
        blocks_.emplace_back(layer->register_module(index, ResNet3dBottleneck(inplanes, mid, out, u.stride, groups)));
      }
    }
    inplanes = out;
  });
  build_head(spec.head, "fc");
}

torch::Tensor ResNet3dImpl::forward_unit(int64_t index, torch::Tensor x) {
  if (index == 0) return call(maxpool, call(relu, call(bn1, call(conv1, x))));
  return blocks_.at(index - 1).forward(x);
}

}  // namespace ttl
