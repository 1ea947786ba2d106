#pragma once
#include <torch/torch.h>

#include <optional>
#include <type_traits>
#include <string>
#include <vector>

#include "core/arch.h"
#include "core/backbone.h"

namespace ttl {

// A ResNet v1 classifier (basic or bottleneck blocks, linear head) as plain data, every batch norm folded into
// the convolution before it: what the serving copies that walk the network themselves (fused fp32, int8) start
// from. Read from the network's structure by torchvision's module names.
struct FoldedConv {
  torch::Tensor weight, bias;  // folded, float
  std::vector<int64_t> stride, padding, dilation;
  int64_t groups = 1;
  bool relu = false;  // a ReLU follows (a branch's last convolution has its ReLU after the residual sum)
};

// The network's structure with one `Conv` per convolution: FoldedConv as folded, or a serving copy's own record
// (the folded convolution plus its packed weights, observers, ...).
template <typename Conv>
struct ResNetOf {
  struct Block {
    std::vector<Conv> branch;      // conv1..convN
    std::optional<Conv> shortcut;  // the projection (downsample.0), or the identity
  };
  Conv stem;
  torch::nn::MaxPool2dOptions pool{3};
  std::vector<Block> blocks;         // relu(branch(x) + shortcut(x)) each
  torch::Tensor fc_weight, fc_bias;  // after global average pooling
  int64_t folded_norms = 0;

  // The same network with every convolution replaced by make(std::move(conv)).
  template <typename Make>
  auto map(Make make) && {
    ResNetOf<std::invoke_result_t<Make, Conv&&>> out;
    out.stem = make(std::move(stem));
    out.pool = pool;
    for (Block& b : blocks) {
      auto& mapped = out.blocks.emplace_back();
      for (Conv& c : b.branch) mapped.branch.push_back(make(std::move(c)));
      if (b.shortcut) mapped.shortcut = make(std::move(*b.shortcut));
    }
    out.fc_weight = fc_weight;
    out.fc_bias = fc_bias;
    out.folded_norms = folded_norms;
    return out;
  }

  template <typename Visit>
  void for_each_conv(Visit visit) {
    visit(stem);
    for (Block& b : blocks) {
      for (Conv& c : b.branch) visit(c);
      if (b.shortcut) visit(*b.shortcut);
    }
  }
};

using FoldedResNet = ResNetOf<FoldedConv>;

// Whether `source` is such a network (family 'resnet', a linear head: the TTL head or torchvision's own).
bool is_resnet_classifier(const ArchSpec& spec, const BackboneImpl& source);

// A private eval-mode copy of `source` folded on `probe` (one input of the shape to serve), as FoldedResNet.
// Fails unless is_resnet_classifier() and every batch norm folded.
FoldedResNet fold_resnet(const ArchSpec& spec, BackboneImpl& source, const torch::Tensor& probe);

}  // namespace ttl
