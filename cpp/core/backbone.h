#pragma once
#include <torch/torch.h>

#include <functional>

#include <map>
#include <optional>
#include <set>

#include "core/linear_head.h"
#include "core/unit.h"
#include "models/unet_decoder.h"

namespace ttl {

// Which classifier sits on top of the kept units.
enum class HeadKind {
  Original,  // the architecture's own classifier, torchvision names (ImageNet checkpoints load into it)
  Linear,    // TTL head: global average pool -> dropout -> linear
  None,      // features only
  UNet,      // segmentation: U-Net decoder over the kept block ends, logits per pixel/voxel
};

struct HeadOptions {
  HeadKind kind = HeadKind::None;
  int64_t num_classes = 0;
  double dropout = 0.0;
  bool zero_init = false;  // a new classifier starts at zero (BiT): every class equally likely, no random-head transient
  // One sigmoid per label (multi-label classification) instead of a softmax over classes: what the trainer's loss
  // (binary cross-entropy), evaluation and predict apply to the logits. The network itself is the same.
  bool multi_label = false;
};

struct ForwardResult {
  torch::Tensor output;                      // head output, or the last unit's output without a head
  std::map<int64_t, torch::Tensor> captured;  // unit index (0-based) -> unit output
};

// A network as an ordered list of units plus a head. Subclasses build their units with torchvision
// parameter names, record each unit's metadata while building it, and implement forward_unit().
class BackboneImpl;
// memoryFormat 'auto' | 'channels-last' | 'contiguous' for this network on this device: 'auto' is channels-last
// for 2D networks on the CPU (oneDNN's NHWC kernels: 1.11-1.23x a training step here; 3D gains nothing).
bool wants_channels_last(const std::string& memory_format, const BackboneImpl& net, const torch::Device& device);

class BackboneImpl : public torch::nn::Module {
 public:
  const std::vector<UnitInfo>& units() const { return units_; }
  int64_t num_built_units() const { return built_units_; }
  const std::string& head_name() const { return head_name_; }
  HeadKind head_kind() const { return head_.kind; }
  int64_t num_classes() const { return head_.num_classes; }
  bool multi_label() const { return head_.multi_label; }
  int64_t spatial_dims() const { return spatial_dims_; }
  // Segmentation networks output logits per pixel/voxel, [N, classes, spatial...].
  bool dense_output() const { return head_.kind == HeadKind::UNet; }
  // Keeps convolution weights, and converts each input, in channels-last order (NHWC / NDHWC): oneDNN's
  // direct convolutions for that layout, which LibTorch uses for training too.
  void use_channels_last();
  bool channels_last() const { return channels_last_; }
  // Units whose outputs feed the U-Net decoder (0-based): the last kept unit of each kept block,
  // one per resolution.
  const std::vector<int64_t>& skip_units() const { return skip_units_; }

  // The unit (0-based, built or not) that owns a parameter, buffer or module name, by its param_prefixes;
  // -1 for the head and anything else. The trainer, the weights loader and complexity all ask this.
  int64_t unit_of(const std::string& name) const;

  virtual torch::Tensor forward_unit(int64_t index, torch::Tensor x) = 0;
  // Runs units [first, last) on x and returns the last output; `visit(i, output)` sees each unit's output.
  torch::Tensor forward_units(torch::Tensor x, int64_t first, int64_t last,
                              const std::function<void(int64_t, const torch::Tensor&)>& visit = {});
  torch::Tensor forward(torch::Tensor x);
  ForwardResult forward_capture(torch::Tensor x, const std::set<int64_t>& capture);
  // The head alone, on the last built unit's output (a segmentation decoder needs forward()).
  torch::Tensor forward_head(torch::Tensor x);

  // Parameter-name prefixes of the head (the original and a new one share the name), to recognise
  // head keys in checkpoints.
  // A segmentation network also treats the replaced classifier's keys as its head's.
  std::vector<std::string> head_prefixes() const { return {head_name_ + ".", "decoder.", std::string(LinearHead::kNormName) + "."}; }

 protected:
  // Records a unit; `built` is false for units past the cutoff (kept as metadata only).
  void add_unit(UnitInfo info);
  // Marks units [first, end) as outputting `output` (see UnitOutput). Called after the units are added; a
  // pre-activation network marks those between the stem and the last (its full form normalises once, before
  // its classifier).
  void mark_units(UnitOutput output, size_t first, size_t end);
  // Builds the head. Subclasses with a special original head override build_original_head. A linear head
  // after a unit whose output is not normalised normalises first (LinearHead).
  void build_head(const HeadOptions& options, const std::string& name);
  // Returns false when the architecture's own head is the plain linear head.
  virtual bool build_original_head(int64_t in_channels, int64_t num_classes);
  virtual torch::Tensor forward_original_head(torch::Tensor x);
  int64_t last_channels() const;
  int64_t spatial_dims_ = 2;
  int64_t in_channels_ = 3;

 private:
  void build_decoder(int64_t num_classes);

  std::vector<UnitInfo> units_;
  int64_t built_units_ = 0;
  HeadOptions head_;
  std::string head_name_;
  LinearHead linear_head_;  // head 'linear' (and 'original' where it is the plain linear head)
  UNetDecoder decoder_{nullptr};
  std::vector<int64_t> skip_units_;
  bool channels_last_ = false;
};

using Backbone = std::shared_ptr<BackboneImpl>;

}  // namespace ttl
