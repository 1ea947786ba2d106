#include "models/efficientnet.h"

#include <cmath>

#include "core/error.h"
#include "core/macs.h"

namespace ttl {
namespace {

// One stage of torchvision's inverted_residual_setting, before the width and depth multipliers.
struct Stage {
  int64_t expand_ratio, kernel, stride, in, out, layers;
  bool fused;
};

struct Variant {
  const char* name;
  double width_mult, depth_mult, dropout;
  std::vector<Stage> stages;
  int64_t last_channels;  // 0: four times the last stage's width
};

const std::vector<Stage> kV1 = {{1, 3, 1, 32, 16, 1, false},   {6, 3, 2, 16, 24, 2, false},  {6, 5, 2, 24, 40, 2, false},
                                {6, 3, 2, 40, 80, 3, false},   {6, 5, 1, 80, 112, 3, false}, {6, 5, 2, 112, 192, 4, false},
                                {6, 3, 1, 192, 320, 1, false}};

// torchvision.models.efficientnet_b0..b4 and efficientnet_v2_s. Their BatchNorm eps (1e-5, V2 1e-3) is the model
// card's arch.normEps: the ONNX exporter reads it there too.
const Variant kVariants[] = {
    {"b0", 1.0, 1.0, 0.2, kV1, 0},
    {"b1", 1.0, 1.1, 0.2, kV1, 0},
    {"b2", 1.1, 1.2, 0.3, kV1, 0},
    {"b3", 1.2, 1.4, 0.3, kV1, 0},
    {"b4", 1.4, 1.8, 0.4, kV1, 0},
    {"v2_s", 1.0, 1.0, 0.2,
     {{1, 3, 1, 24, 24, 2, true}, {4, 3, 2, 24, 48, 4, true}, {4, 3, 2, 48, 64, 4, true},
      {4, 3, 2, 64, 128, 6, false}, {6, 3, 1, 128, 160, 9, false}, {6, 3, 2, 160, 256, 15, false}},
     1280},
};

const Variant& variant_of(const ArchSpec& spec) {
  std::string names;
  for (const Variant& v : kVariants) {
    if (spec.variant == v.name) return v;
    names += (names.empty() ? "" : ", ") + std::string(v.name);
  }
  throw Error("E_BAD_ARCH", "efficientnet variant '" + spec.variant + "' is not one of " + names);
}

// MBConvConfig.adjust_channels / adjust_depth; FusedMBConvConfig keeps both as given.
int64_t channels(const Variant& v, const Stage& s, int64_t c) { return s.fused ? c : make_divisible(c * v.width_mult); }
int64_t depth(const Variant& v, const Stage& s) { return s.fused ? s.layers : static_cast<int64_t>(std::ceil(s.layers * v.depth_mult)); }

constexpr double kStochasticDepth = 0.2;  // every variant's stochastic_depth_prob

}  // namespace

int64_t efficientnet_units(const ArchSpec& spec) {
  const Variant& v = variant_of(spec);
  int64_t n = 2;
  for (const Stage& s : v.stages) n += depth(v, s);
  return n;
}

EfficientNetImpl::EfficientNetImpl(const ArchSpec& spec) {
  const Variant& v = variant_of(spec);
  if (spec.slim_after >= 0)
    throw Error("E_BAD_ARCH", "efficientnet has no TransFusion (TF) rebuild: halving an MBConv block's width changes its "
                              "squeeze-excitation and expansion sizes, which torchvision does not define; use TTL, FTL, FFE or LWFT");
  in_channels_ = spec.in_channels;
  dropout_ = v.dropout;
  const double eps = spec.norm_eps;
  if (!(eps > 0)) throw Error("E_BAD_ARCH", "efficientnet needs normEps > 0 (torchvision: 1e-5, EfficientNetV2 1e-3)");
  const int64_t total = efficientnet_units(spec);
  const int64_t keep = spec.keep_units < 0 ? total : spec.keep_units;
  auto features = register_module("features", std::make_shared<torch::nn::Module>());

  const int64_t stem_out = channels(v, v.stages.front(), v.stages.front().in);
  convs_.push_back(features->register_module("0", conv_norm_silu(spec.in_channels, stem_out, 3, 2, 1, eps, true)));
  add_unit({"stem", 0, stem_out, 2, {"features.0."}, true});

  const int64_t total_blocks = total - 2;  // every unit but the stem and the last convolution
  int64_t unit = 1, block_id = 0, reduction = 2, width = stem_out;
  for (size_t si = 0; si < v.stages.size(); ++si) {
    const Stage& s = v.stages[si];
    const std::string stage_name = std::to_string(si + 1);
    std::shared_ptr<torch::nn::Module> stage;
    reduction *= s.stride;
    for (int64_t j = 0; j < depth(v, s); ++j, ++unit, ++block_id) {
      const std::string name = "features." + stage_name + "." + std::to_string(j);
      const int64_t out = channels(v, s, s.out);
      const bool built = unit < keep;
      add_unit({name, static_cast<int64_t>(si) + 1, out, reduction, {name + "."}, built});
      if (built) {
        if (!stage) stage = features->register_module(stage_name, std::make_shared<torch::nn::Module>());
        const MBConvConfig config{s.expand_ratio, s.kernel, j == 0 ? s.stride : 1, j == 0 ? width : out, out, s.fused};
        blocks_.push_back(stage->register_module(std::to_string(j), MBConv(config, kStochasticDepth * block_id / total_blocks, eps)));
      }
      width = out;
    }
  }
  const int64_t last = v.last_channels > 0 ? v.last_channels : 4 * width;
  const std::string last_name = "features." + std::to_string(v.stages.size() + 1);
  const bool built = unit < keep;
  add_unit({last_name, static_cast<int64_t>(v.stages.size()), last, reduction, {last_name + "."}, built});
  if (built) convs_.push_back(features->register_module(std::to_string(v.stages.size() + 1), conv_norm_silu(width, last, 1, 1, 1, eps, true)));
  // Blocks end in a batch norm without activation (the projection), with or without the residual sum.
  mark_units(UnitOutput::PreActivation, 1, units().size() - 1);
  build_head(spec.head, "classifier");
}

torch::Tensor EfficientNetImpl::forward_unit(int64_t index, torch::Tensor x) {
  if (index == 0) return run_sequential(convs_.front(), x);
  if (index == static_cast<int64_t>(blocks_.size()) + 1) return run_sequential(convs_.back(), x);
  return blocks_.at(index - 1)->forward(x);
}

bool EfficientNetImpl::build_original_head(int64_t in_channels, int64_t num_classes) {
  avgpool = register_module("avgpool", torch::nn::AdaptiveAvgPool2d(1));
  auto classifier = register_module("classifier", std::make_shared<torch::nn::Module>());
  classifier_dropout = classifier->register_module("0", torch::nn::Dropout(torch::nn::DropoutOptions(dropout_).inplace(true)));
  classifier_linear = classifier->register_module("1", torch::nn::Linear(in_channels, num_classes));
  return true;
}

torch::Tensor EfficientNetImpl::forward_original_head(torch::Tensor x) {
  return call(classifier_linear, call(classifier_dropout, torch::flatten(call(avgpool, x), 1)));
}

}  // namespace ttl
