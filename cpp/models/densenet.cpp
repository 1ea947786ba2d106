#include "models/densenet.h"

#include "core/error.h"
#include "core/macs.h"
#include "models/conv.h"
#include "models/dense_layer.h"

namespace ttl {

DenseNetImpl::DenseNetImpl(const ArchSpec& spec) {
  if (spec.layers.empty()) throw Error("E_BAD_ARCH", "densenet needs block sizes");
  if (spec.growth_rate < 1 || spec.num_init_features < 1 || spec.bn_size < 1)
    throw Error("E_BAD_ARCH", "densenet needs growthRate, numInitFeatures and bnSize >= 1");
  in_channels_ = spec.in_channels;
  const int64_t total = count_units(spec);
  const int64_t keep = spec.keep_units < 0 ? total : spec.keep_units;
  auto features = register_module("features", std::make_shared<torch::nn::Module>());

  const int64_t init = spec.num_init_features;
  conv0 = features->register_module("conv0", conv2d(spec.in_channels, init, 7, 2, 3));
  norm0 = features->register_module("norm0", batch_norm2d(init));
  relu0 = features->register_module("relu0", relu());
  pool0 = features->register_module("pool0",
                                    torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)));
  add_unit({"stem", 0, init, 4, {"features.conv0.", "features.norm0."}, true});

  int64_t channels = init, reduction = 4, unit = 1;
  const int64_t blocks = static_cast<int64_t>(spec.layers.size());
  for (int64_t b = 1; b <= blocks; ++b) {
    const std::string block_name = "denseblock" + std::to_string(b);
    std::shared_ptr<torch::nn::Module> block;
    for (int64_t l = 1; l <= spec.layers[b - 1]; ++l, ++unit) {
      const std::string layer_name = "denselayer" + std::to_string(l);
      const std::string name = block_name + "." + layer_name;
      const bool built = unit < keep;
      const int64_t growth = unit_width(spec, unit + 1, spec.growth_rate);
      channels += growth;
      add_unit({name, b, channels, reduction, {"features." + name + "."}, built, growth != spec.growth_rate});
      if (!built) continue;
      if (!block) block = features->register_module(block_name, std::make_shared<torch::nn::Module>());
      units_after_stem_.emplace_back(
          block->register_module(layer_name, DenseLayer(channels - growth, growth, spec.bn_size)));
    }
    const bool slim = is_slim(spec, unit + 1);
    const bool built = unit++ < keep;
    if (b < blocks) {
      const std::string name = "transition" + std::to_string(b);
      reduction *= 2;
      add_unit({name, b, channels / 2, reduction, {"features." + name + "."}, built, slim});
      if (built) units_after_stem_.emplace_back(features->register_module(name, Transition(channels, channels / 2)));
      channels /= 2;
    } else {
      add_unit({"norm5", b, channels, reduction, {"features.norm5."}, built, slim});
      if (built) norm5 = features->register_module("norm5", batch_norm2d(channels));
    }
  }
  // Dense layers and transitions output raw convolution features; the stem and norm5 normalise.
  mark_units(UnitOutput::PreActivation, 1, units().size() - 1);
  build_head(spec.head, "classifier");
}

bool DenseNetImpl::build_original_head(int64_t in_channels, int64_t num_classes) {
  classifier = register_module("classifier", torch::nn::Linear(in_channels, num_classes));
  return true;
}

torch::Tensor DenseNetImpl::forward_original_head(torch::Tensor x) {
  return call(classifier, torch::flatten(torch::adaptive_avg_pool2d(x, {1, 1}), 1));
}

torch::Tensor DenseNetImpl::forward_unit(int64_t index, torch::Tensor x) {
  if (index == 0) return call(pool0, call(relu0, call(norm0, call(conv0, x))));
  if (norm5 && index == num_built_units() - 1) return torch::relu(call(norm5, x));
  return units_after_stem_.at(index - 1).forward(x);
}

}  // namespace ttl
