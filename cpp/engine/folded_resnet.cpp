#include "engine/folded_resnet.h"

#include <unordered_set>

#include "engine/inference_network.h"
#include "models/conv.h"

namespace ttl {
namespace {

using torch::nn::Module;

template <typename Impl>
Impl* find(const torch::OrderedDict<std::string, std::shared_ptr<Module>>& modules, const std::string& name) {
  const auto* m = modules.find(name);
  return m ? (*m)->as<Impl>() : nullptr;
}

}  // namespace

bool is_resnet_classifier(const ArchSpec& spec, const BackboneImpl& source) {
  return spec.family == "resnet" && (source.head_kind() == HeadKind::Linear || source.head_kind() == HeadKind::Original);
}

FoldedResNet fold_resnet(const ArchSpec& spec, BackboneImpl& source, const torch::Tensor& probe) {
  TORCH_CHECK(is_resnet_classifier(spec, source), "not a ResNet v1 classifier: ", spec.family);
  std::unordered_set<const Module*> folded;
  Backbone copy = folded_copy(spec, source, probe, folded);
  const auto modules = copy->named_modules();
  int64_t norms = 0;
  for (const auto& m : modules) norms += m.value()->as<torch::nn::BatchNorm2d>() != nullptr;
  // Every norm in a convolution, so a walk that calls no norm computes what the network does.
  TORCH_CHECK(norms == static_cast<int64_t>(folded.size()), norms - static_cast<int64_t>(folded.size()), " batch norms of ",
              spec.family, " could not be folded");

  const auto conv_at = [&](const std::string& name, bool relu) {
    auto* c = find<torch::nn::Conv2dImpl>(modules, name);
    TORCH_CHECK(c && c->bias.defined(), "no folded convolution ", name);
    const auto& o = c->options;
    FoldedConv out;
    out.weight = c->weight.detach();
    out.bias = c->bias.detach();
    out.stride = at::IntArrayRef(o.stride()).vec();
    out.padding = explicit_padding(o.padding());
    out.dilation = at::IntArrayRef(o.dilation()).vec();
    out.groups = o.groups();
    out.relu = relu;
    return out;
  };
  FoldedResNet net;
  net.stem = conv_at("conv1", true);
  auto* pool = find<torch::nn::MaxPool2dImpl>(modules, "maxpool");
  TORCH_CHECK(pool, "no stem max pool");
  net.pool = pool->options;
  const auto& units = copy->units();
  for (int64_t i = 1; i < copy->num_built_units(); ++i) {
    const std::string prefix = units[i].name + ".";
    FoldedResNet::Block block;
    for (int n = 1; find<torch::nn::Conv2dImpl>(modules, prefix + "conv" + std::to_string(n)); ++n)
      block.branch.push_back(conv_at(prefix + "conv" + std::to_string(n), true));
    TORCH_CHECK(block.branch.size() >= 2, "block ", units[i].name, " has ", block.branch.size(), " convolutions");
    block.branch.back().relu = false;  // the ReLU comes after the sum
    if (find<torch::nn::Conv2dImpl>(modules, prefix + "downsample.0")) block.shortcut = conv_at(prefix + "downsample.0", false);
    net.blocks.push_back(std::move(block));
  }
  auto* fc = find<torch::nn::LinearImpl>(modules, copy->head_name());
  TORCH_CHECK(fc, "no linear head ", copy->head_name());
  net.fc_weight = fc->weight.detach();
  net.fc_bias = fc->bias.detach();
  net.folded_norms = norms;
  return net;
}

}  // namespace ttl
