#include "models/resnet.h"

#include "core/error.h"
#include "core/trace.h"
#include "models/basic_block.h"
#include "models/bottleneck.h"
#include "models/conv.h"

namespace ttl {

ResNetImpl::ResNetImpl(const ArchSpec& spec) {
  if (spec.block != "basic" && spec.block != "bottleneck")
    throw Error("E_BAD_ARCH", "resnet block must be 'basic' or 'bottleneck', got '" + spec.block + "'");
  if (spec.layers.size() != 4) throw Error("E_BAD_ARCH", "resnet needs 4 stage sizes");
  in_channels_ = spec.in_channels;
  const bool bottleneck = spec.block == "bottleneck";
  const int64_t expansion = bottleneck ? BottleneckImpl::expansion : BasicBlockImpl::expansion;
  const int64_t keep = spec.keep_units < 0 ? count_units(spec) : spec.keep_units;

  conv1 = register_module("conv1", conv2d(spec.in_channels, 64, 7, 2, 3));
  bn1 = register_module("bn1", batch_norm2d(64));
  relu = register_module("relu", ttl::relu());
  maxpool = register_module("maxpool", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)));
  add_unit({"stem", 0, 64, 4, {"conv1.", "bn1."}, keep >= 1});

  int64_t inplanes = 64, reduction = 4, unit = 1;
  for (size_t stage = 0; stage < 4; ++stage) {
    const std::string stage_name = "layer" + std::to_string(stage + 1);
    std::shared_ptr<torch::nn::Module> layer;
    for (int64_t b = 0; b < spec.layers[stage]; ++b, ++unit) {
      const int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
      const int64_t planes = unit_width(spec, unit + 1, 64 << stage);
      reduction *= stride;
      const std::string name = stage_name + "." + std::to_string(b);
      const bool built = unit < keep;
      add_unit({name, static_cast<int64_t>(stage + 1), planes * expansion, reduction, {name + "."}, built,
                planes != (64 << stage)});
      if (built) {
        if (!layer) layer = register_module(stage_name, std::make_shared<torch::nn::Module>());
        torch::nn::AnyModule block = bottleneck
            ? torch::nn::AnyModule(layer->register_module(std::to_string(b), Bottleneck(inplanes, planes, stride)))
            : torch::nn::AnyModule(layer->register_module(std::to_string(b), BasicBlock(inplanes, planes, stride)));
        blocks_.push_back(std::move(block));
      }
      inplanes = planes * expansion;
    }
  }
  build_head(spec.head, "fc");
}

torch::Tensor ResNetImpl::forward_unit(int64_t index, torch::Tensor x) {
  if (index == 0) return call(maxpool, call(relu, call(bn1, call(conv1, x))));
  return blocks_.at(index - 1).forward(x);
}

}  // namespace ttl
