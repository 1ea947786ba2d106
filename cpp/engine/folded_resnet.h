#pragma once
#include <torch/torch.h>

#include <optional>
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

struct FoldedBlock {
  std::vector<FoldedConv> branch;      // conv1..convN
  std::optional<FoldedConv> shortcut;  // the projection (downsample.0), or the identity
};

struct FoldedResNet {
  FoldedConv stem;
  torch::nn::MaxPool2dOptions pool{3};
  std::vector<FoldedBlock> blocks;  // relu(branch(x) + shortcut(x)) each
  torch::Tensor fc_weight, fc_bias;  // after global average pooling
  int64_t folded_norms = 0;
};

// Whether `source` is such a network (family 'resnet', a linear head: the TTL head or torchvision's own).
bool is_resnet_classifier(const ArchSpec& spec, const BackboneImpl& source);

// A private eval-mode copy of `source` folded on `probe` (one input of the shape to serve), as FoldedResNet.
// Fails unless is_resnet_classifier() and every batch norm folded.
FoldedResNet fold_resnet(const ArchSpec& spec, BackboneImpl& source, const torch::Tensor& probe);

}  // namespace ttl
