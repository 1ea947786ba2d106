#include "engine/inference_network.h"

#include <ATen/Context.h>

#include "core/macs.h"
#include "core/runtime.h"
#include "engine/batch_norm_folding.h"
#include "engine/folded_resnet.h"
#include "models/conv.h"

namespace ttl {
namespace {

using torch::nn::Module;

// Stands in for the folded batch norms (their convolutions already apply them), and runs ReLUs on oneDNN
// tensors in place: each one's input is the output of the convolution or sum before it, used by nothing else
// (a network where that did not hold would fail the copy's check against the source on the probe, whose
// activations have negative values), which saves an allocation and a pass over memory per ReLU.
class ServingHook : public CallHook {
 public:
  explicit ServingHook(const std::unordered_set<const Module*>& skipped) : skipped_(skipped) {}
  torch::Tensor replace(const Module& m, const torch::Tensor& input) override {
    if (skipped_.count(&m)) return input;
    if (input.is_mkldnn() && m.as<torch::nn::ReLU>()) return torch::Tensor(input).relu_();
    return torch::Tensor();
  }

 private:
  const std::unordered_set<const Module*>& skipped_;
};

void copy_weights(BackboneImpl& from, BackboneImpl& to) {
  torch::NoGradGuard no_grad;
  auto params = to.named_parameters();
  for (const auto& p : from.named_parameters()) params[p.key()].copy_(p.value());
  auto buffers = to.named_buffers();
  for (const auto& b : from.named_buffers()) buffers[b.key()].copy_(b.value());
}

Backbone eval_copy(const ArchSpec& spec, BackboneImpl& source) {
  Backbone copy = build_backbone(spec);
  copy->to(device_of(source));
  copy_weights(source, *copy);
  copy->eval();
  return copy;
}

// Reorders every convolution's weights once into oneDNN's blocked layout for these shapes, so no call
// pays for the reorder again.
void to_onednn(BackboneImpl& model) {
  for (const auto& m : model.modules()) {
    if (auto* c = m->as<torch::nn::Conv2d>()) {
      const auto& o = c->options;
      c->weight = at::mkldnn_reorder_conv2d_weight(c->weight.to_mkldnn(), explicit_padding(o.padding()), o.stride(), o.dilation(), o.groups());
      if (c->bias.defined()) c->bias = c->bias.to_mkldnn();
    } else if (auto* c3 = m->as<torch::nn::Conv3d>()) {
      const auto& o = c3->options;
      c3->weight = at::mkldnn_reorder_conv3d_weight(c3->weight.to_mkldnn(), explicit_padding(o.padding()), o.stride(), o.dilation(), o.groups());
      if (c3->bias.defined()) c3->bias = c3->bias.to_mkldnn();
    }
  }
}

double relative_error(const torch::Tensor& actual, const torch::Tensor& expected) {
  const double scale = expected.abs().max().item<double>();
  return (actual - expected).abs().max().item<double>() / std::max(scale, 1e-30);
}

}  // namespace

std::string to_string(InferenceLayout layout) {
  switch (layout) {
    case InferenceLayout::Fused: return "fused";
    case InferenceLayout::OneDnn: return "onednn";
    case InferenceLayout::Dense: return "dense";
    case InferenceLayout::Plain: return "plain";
  }
  return "?";
}

InferenceNetwork::InferenceNetwork(const ArchSpec& spec, BackboneImpl& source, const torch::Tensor& probe)
    : spec_(spec), source_(source) {
  torch::Tensor expected;
  {
    torch::NoGradGuard no_grad;
    source.eval();
    expected = source.forward(probe);
  }
  const bool onednn = at::hasMKLDNN() && probe.device().is_cpu() && !source.dense_output() &&
                      source.head_kind() != HeadKind::None;
  const bool fused = onednn && probe.dim() == 4 && FusedResNet::available() && is_resnet_classifier(spec, source);
  if (fused && build(InferenceLayout::Fused, probe, expected)) return;
  if (onednn && build(InferenceLayout::OneDnn, probe, expected)) return;
  if (build(InferenceLayout::Dense, probe, expected)) return;
  TORCH_CHECK(build(InferenceLayout::Plain, probe, expected), "the inference copy does not reproduce the network");
}

Backbone folded_copy(const ArchSpec& spec, BackboneImpl& source, const torch::Tensor& probe,
                     std::unordered_set<const Module*>& folded) {
  Backbone copy = eval_copy(spec, source);
  folded = fold_batch_norms(*copy, probe);
  return copy;
}

bool InferenceNetwork::build(InferenceLayout layout, const torch::Tensor& probe, const torch::Tensor& expected) {
  layout_ = layout;
  skipped_.clear();
  fused_.reset();
  try {
    if (layout == InferenceLayout::Fused) {
      FoldedResNet folded = fold_resnet(spec_, source_, probe);
      folded_norms_ = folded.folded_norms;
      fused_ = std::make_unique<FusedResNet>(std::move(folded));
      return relative_error(forward(probe), expected) <= 1e-4;
    }
    net_ = layout == InferenceLayout::Plain ? eval_copy(spec_, source_) : folded_copy(spec_, source_, probe, skipped_);
    folded_norms_ = static_cast<int64_t>(skipped_.size());
    if (layout == InferenceLayout::OneDnn) to_onednn(*net_);
    return relative_error(forward(probe), expected) <= 1e-4;
  } catch (const c10::Error&) {
    return false;  // an op without a oneDNN kernel (e.g. concatenation in LibTorch 1.13): a plainer layout
  }
}

torch::Tensor InferenceNetwork::forward(const torch::Tensor& input) {
  c10::InferenceMode inference;
  if (layout_ == InferenceLayout::Fused) return fused_->forward(input);
  ServingHook hook(skipped_);
  if (layout_ != InferenceLayout::OneDnn) return net_->forward(input);
  // Units on oneDNN tensors end to end; the head (pooling, linear) back on strided ones.
  torch::Tensor x = net_->forward_units(input.to_mkldnn(), 0, net_->num_built_units());
  return net_->forward_head(x.to_dense());
}

}  // namespace ttl
