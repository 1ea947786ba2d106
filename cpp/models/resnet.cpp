#include "models/resnet.h"

#include "core/error.h"
#include "core/macs.h"
#include "models/basic_block.h"
#include "models/bottleneck.h"
#include "models/conv.h"
#include "models/residual_stages.h"

namespace ttl {

ResNetImpl::ResNetImpl(const ArchSpec& spec) {
  if (spec.block != "basic" && spec.block != "bottleneck")
    throw Error("E_BAD_ARCH", "resnet block must be 'basic' or 'bottleneck', got '" + spec.block + "'");
  in_channels_ = spec.in_channels;
  const bool bottleneck = spec.block == "bottleneck";
  const int64_t expansion = bottleneck ? BottleneckImpl::expansion : BasicBlockImpl::expansion;
  // ResNeXt (cardinality groups of widthPerGroup channels) and Wide ResNet (widthPerGroup 128): bottleneck only.
  const int64_t groups = spec.cardinality > 0 ? spec.cardinality : 1;
  const int64_t width_per_group = spec.width_per_group > 0 ? spec.width_per_group : 64;
  if (!bottleneck && (groups != 1 || width_per_group != 64))
    throw Error("E_BAD_ARCH", "resnet cardinality and widthPerGroup need bottleneck blocks (torchvision's BasicBlock has neither)");

  conv1 = register_module("conv1", conv2d(spec.in_channels, 64, 7, 2, 3));
  bn1 = register_module("bn1", batch_norm2d(64));
  relu = register_module("relu", ttl::relu());
  maxpool = register_module("maxpool", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)));
  add_unit({"stem", 0, 64, 4, {"conv1.", "bn1."}, true});

  int64_t inplanes = 64;
  for_each_residual_unit(*this, spec, {}, 64, 4, [&](const ResidualSlot& u) {
    add_unit({u.name, u.stage + 1, u.width * expansion, u.reduction, {u.name + "."}, u.built, u.slim});
    if (u.built) {
      auto layer = u.stage_module();
      const std::string index = std::to_string(u.index);
      blocks_.push_back(bottleneck ? torch::nn::AnyModule(layer->register_module(index, Bottleneck(inplanes, u.width, u.stride, groups, width_per_group)))
                                   : torch::nn::AnyModule(layer->register_module(index, BasicBlock(inplanes, u.width, u.stride))));
    }
    inplanes = u.width * expansion;
  });
  build_head(spec.head, "fc");
}

torch::Tensor ResNetImpl::forward_unit(int64_t index, torch::Tensor x) {
  if (index == 0) return call(maxpool, call(relu, call(bn1, call(conv1, x))));
  return blocks_.at(index - 1).forward(x);
}

}  // namespace ttl
