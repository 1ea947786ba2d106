#include "models/squeezenet.h"

#include "core/error.h"
#include "core/macs.h"
#include "models/conv.h"
#include "models/fire.h"

namespace ttl {
namespace {
struct FireSpec {
  int64_t squeeze, expand;  // expand1x1 == expand3x3 in squeezenet1_1
  bool pool_before;
};
// squeezenet1_1: features.3 .. features.12; max-pools at features.5 and features.8.
const std::vector<FireSpec> kFires = {{16, 64, false}, {16, 64, false}, {32, 128, true}, {32, 128, false},
                                      {48, 192, true}, {48, 192, false}, {64, 256, false}, {64, 256, false}};

torch::nn::MaxPool2d ceil_max_pool() {
  return torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).ceil_mode(true));
}
}  // namespace

SqueezeNetImpl::SqueezeNetImpl(const ArchSpec& spec) {
  in_channels_ = spec.in_channels;
  const int64_t keep = spec.keep_units < 0 ? count_units(spec) : spec.keep_units;
  auto features = register_module("features", std::make_shared<torch::nn::Module>());
  auto add_feature = [&](auto module) {
    features->register_module(std::to_string(features_.size()), module);
    features_.emplace_back(module);
  };

  add_feature(conv2d(spec.in_channels, 64, 3, 2, 0, true));
  add_feature(relu());
  add_feature(ceil_max_pool());
  unit_ranges_.push_back({0, 2});
  add_unit({"stem", 0, 64, 4, {"features.0."}, true});

  int64_t inplanes = 64, reduction = 4, block = 1;
  for (size_t i = 0; i < kFires.size(); ++i) {
    const int64_t k = static_cast<int64_t>(i) + 2;
    const FireSpec f{unit_width(spec, k, kFires[i].squeeze), unit_width(spec, k, kFires[i].expand), kFires[i].pool_before};
    const bool built = static_cast<int64_t>(i) + 1 < keep;
    const size_t first = features_.size();
    if (f.pool_before) {
      reduction *= 2;
      ++block;
    }
    const size_t fire_index = 3 + i + (i >= 2) + (i >= 4);  // torchvision index of this Fire module
    const std::string name = "features." + std::to_string(fire_index);
    add_unit({name, block, 2 * f.expand, reduction, {name + "."}, built, f.expand != kFires[i].expand});
    if (built) {
      if (f.pool_before) add_feature(ceil_max_pool());
      Fire fire(inplanes, f.squeeze, f.expand, f.expand);
      add_feature(fire);
      unit_ranges_.push_back({first, features_.size() - 1});
    }
    inplanes = 2 * f.expand;
  }
  // No batch norm anywhere: pooled Fire outputs grow to |x|^2 ~ 5e4 by features.7, which made a new linear
  // head's steps at LR 1e-3 overshoot (batch losses of 2-3.5 on BreastMNIST); the head standardises them.
  mark_units(UnitOutput::Unscaled, 0, units().size());
  build_head(spec.head, "classifier");
}

bool SqueezeNetImpl::build_original_head(int64_t in_channels, int64_t num_classes) {
  auto classifier = register_module("classifier", std::make_shared<torch::nn::Module>());
  std::vector<torch::nn::AnyModule> modules = {
      torch::nn::AnyModule(torch::nn::Dropout(0.5)), torch::nn::AnyModule(conv2d(in_channels, num_classes, 1, 1, 0, true)),
      torch::nn::AnyModule(relu()), torch::nn::AnyModule(torch::nn::AdaptiveAvgPool2d(1))};
  for (size_t i = 0; i < modules.size(); ++i) classifier->register_module(std::to_string(i), modules[i].ptr());
  classifier_ = std::move(modules);
  return true;
}

torch::Tensor SqueezeNetImpl::forward_original_head(torch::Tensor x) {
  for (auto& module : classifier_) x = call(module, x);
  return torch::flatten(x, 1);
}

torch::Tensor SqueezeNetImpl::forward_unit(int64_t index, torch::Tensor x) {
  const auto [first, last] = unit_ranges_.at(index);
  for (size_t i = first; i <= last; ++i) x = call(features_[i], x);
  return x;
}

}  // namespace ttl
