#include "core/backbone.h"

#include "core/error.h"
#include "core/macs.h"

namespace ttl {

void BackboneImpl::add_unit(UnitInfo info) {
  if (!units_.empty() && info.reduction < units_.back().reduction)
    throw Error("E_INTERNAL", "unit " + info.name + " decreases the reduction");
  if (info.built) {
    if (built_units_ != static_cast<int64_t>(units_.size()))
      throw Error("E_INTERNAL", "unit " + info.name + " is built after a dropped unit");
    ++built_units_;
  }
  units_.push_back(std::move(info));
}

int64_t BackboneImpl::unit_of(const std::string& name) const {
  // Prefixes end with '.', so "layer1.0." owns "layer1.0.conv1.weight" and the module "layer1.0", not "layer1.01".
  const std::string dotted = name + ".";
  for (size_t i = 0; i < units_.size(); ++i)
    for (const std::string& prefix : units_[i].param_prefixes)
      if (dotted.rfind(prefix, 0) == 0) return static_cast<int64_t>(i);
  return -1;
}

torch::Tensor BackboneImpl::forward_units(torch::Tensor x, int64_t first, int64_t last,
                                          const std::function<void(int64_t, const torch::Tensor&)>& visit) {
  TORCH_CHECK(first >= 0 && last <= built_units_, "units ", first, "..", last, " are not all built");
  for (int64_t i = first; i < last; ++i) {
    x = forward_unit(i, x);
    if (visit) visit(i, x);
  }
  return x;
}

int64_t BackboneImpl::last_channels() const {
  TORCH_CHECK(built_units_ > 0, "a network needs at least one unit");
  return units_[built_units_ - 1].out_channels;
}

void BackboneImpl::build_head(const HeadOptions& options, const std::string& name) {
  head_ = options;
  head_name_ = name;
  if (options.multi_label && (options.kind == HeadKind::None || options.kind == HeadKind::UNet))
    throw Error("E_BAD_ARGUMENT", "a multi-label network needs a classification head ('linear' or 'original')");
  if (options.kind == HeadKind::None) return;
  if (options.num_classes < 1) throw Error("E_BAD_ARGUMENT", "numClasses must be >= 1");
  if (options.kind == HeadKind::UNet) return build_decoder(options.num_classes);
  if (options.kind == HeadKind::Original && build_original_head(last_channels(), options.num_classes)) return;
  linear_head_ = LinearHead(last_channels(), spatial_dims_, units_[built_units_ - 1].output, options.num_classes,
                            options.dropout, options.zero_init);
  // Registered in the order they run, under torchvision's names (checkpoints load into them).
  if (linear_head_.norm) register_module(LinearHead::kNormName, linear_head_.norm);
  if (linear_head_.pool3d) register_module("avgpool", linear_head_.pool3d);
  if (linear_head_.pool2d) register_module("avgpool", linear_head_.pool2d);
  if (linear_head_.dropout) register_module("dropout", linear_head_.dropout);
  register_module(name, linear_head_.linear);
}

void BackboneImpl::mark_units(UnitOutput output, size_t first, size_t end) {
  for (size_t i = first; i < end && i < units_.size(); ++i) units_[i].output = output;
}

void BackboneImpl::build_decoder(int64_t num_classes) {
  if (num_classes < 2) throw Error("E_BAD_ARGUMENT", "a segmentation network needs numClasses >= 2 (background included)");
  std::vector<int64_t> channels;
  for (int64_t i = 0; i < built_units_; ++i) {
    const bool block_end = i + 1 == built_units_ || units_[i + 1].block != units_[i].block;
    if (!block_end) continue;
    // Same resolution as the previous block end (e.g. ResNet's stem and layer1): the deeper one wins.
    if (!skip_units_.empty() && units_[skip_units_.back()].reduction == units_[i].reduction) {
      skip_units_.pop_back();
      channels.pop_back();
    }
    skip_units_.push_back(i);
    channels.push_back(units_[i].out_channels);
  }
  decoder_ = register_module("decoder", UNetDecoder(spatial_dims_, channels, num_classes));
}

bool BackboneImpl::build_original_head(int64_t, int64_t) { return false; }

torch::Tensor BackboneImpl::forward_original_head(torch::Tensor x) {
  TORCH_CHECK(false, "this architecture has no special original head");
  return x;
}

torch::Tensor BackboneImpl::forward_head(torch::Tensor x) {
  if (head_.kind == HeadKind::None) return x;
  if (decoder_) throw Error("E_BAD_ARGUMENT", "a segmentation network's decoder needs the encoder features: use forward()");
  if (!linear_head_.linear) return forward_original_head(x);
  return linear_head_.forward(x);
}

torch::Tensor BackboneImpl::forward(torch::Tensor x) { return forward_capture(x, {}).output; }

namespace {
at::MemoryFormat channels_last_for(int64_t dim) {
  return dim == 5 ? at::MemoryFormat::ChannelsLast3d : at::MemoryFormat::ChannelsLast;
}
}  // namespace

bool wants_channels_last(const std::string& memory_format, const BackboneImpl& net, const torch::Device& device) {
  if (memory_format == "channels-last") return true;
  if (memory_format == "contiguous") return false;
  if (memory_format != "auto")
    throw Error("E_BAD_ARGUMENT", "memoryFormat must be 'auto', 'channels-last' or 'contiguous', got '" + memory_format + "'");
  return net.spatial_dims() == 2 && device.is_cpu();
}

void BackboneImpl::use_channels_last() {
  torch::NoGradGuard no_grad;
  for (auto& p : parameters(true))
    if (p.dim() == spatial_dims_ + 2) p.set_data(p.data().contiguous(channels_last_for(p.dim())));
  channels_last_ = true;
}

ForwardResult BackboneImpl::forward_capture(torch::Tensor x, const std::set<int64_t>& capture) {
  const int64_t expected_rank = spatial_dims_ + 2;
  if (x.dim() != expected_rank)
    throw Error("E_BAD_INPUT", "input must have rank " + std::to_string(expected_rank) +
                                   " [N, C, " + (spatial_dims_ == 3 ? "D, H, W" : "H, W") +
                                   "], got rank " + std::to_string(x.dim()));
  if (x.size(1) != in_channels_)
    throw Error("E_BAD_INPUT", "input must have " + std::to_string(in_channels_) + " channels, got " +
                                   std::to_string(x.size(1)));
  if (channels_last_) x = x.contiguous(channels_last_for(x.dim()));
  ForwardResult result;
  const std::vector<int64_t> input_size = x.sizes().slice(2).vec();
  std::vector<torch::Tensor> skips;
  x = forward_units(x, 0, built_units_, [&](int64_t i, const torch::Tensor& out) {
    if (capture.count(i)) result.captured[i] = out;
    if (decoder_ && skips.size() < skip_units_.size() && skip_units_[skips.size()] == i) skips.push_back(out);
  });
  result.output = decoder_ ? decoder_->forward(skips, input_size) : forward_head(x);
  return result;
}

}  // namespace ttl
