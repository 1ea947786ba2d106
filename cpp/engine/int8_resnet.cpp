#include "engine/int8_resnet.h"

#include <unordered_set>

#include "core/error.h"
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

Int8ResNet::Int8ResNet(const ArchSpec& spec, BackboneImpl& source, const torch::Tensor& probe) {
  // Checked in TypeScript first, with the model's name (src/predictor.ts); this is the second line.
  if (spec.family != "resnet" || (source.head_kind() != HeadKind::Linear && source.head_kind() != HeadKind::Original))
    throw Error("E_INT8_UNSUPPORTED", "int8 serving supports ResNet v1 classifiers (family 'resnet', a linear head), not a '" +
                                          spec.family + "' network with this head");
  TORCH_CHECK(probe.device().is_cpu(), "LibTorch's quantized kernels run on the CPU only");
  std::unordered_set<const Module*> folded;
  Backbone copy = folded_copy(spec, source, probe, folded);
  const auto modules = copy->named_modules();
  int64_t norms = 0;
  for (const auto& m : modules) norms += m.value()->as<torch::nn::BatchNorm2d>() != nullptr;
  // Every norm in a convolution, so the walk below (which calls no norm) computes what the network does.
  TORCH_CHECK(norms == static_cast<int64_t>(folded.size()), "int8: ", norms - static_cast<int64_t>(folded.size()),
              " batch norms of ", spec.family, " could not be folded");

  const auto conv_at = [&](const std::string& name, bool relu) {
    auto* c = find<torch::nn::Conv2dImpl>(modules, name);
    TORCH_CHECK(c && c->bias.defined(), "int8: no folded convolution ", name);
    const auto& o = c->options;
    Conv out;
    out.weight = c->weight.detach();
    out.bias = c->bias.detach();
    out.stride = at::IntArrayRef(o.stride()).vec();
    out.padding = explicit_padding(o.padding());
    out.dilation = at::IntArrayRef(o.dilation()).vec();
    out.groups = o.groups();
    out.relu = relu;
    return out;
  };
  stem_ = conv_at("conv1", true);
  auto* pool = find<torch::nn::MaxPool2dImpl>(modules, "maxpool");
  TORCH_CHECK(pool, "int8: no stem max pool");
  pool_ = pool->options;
  const auto& units = copy->units();
  for (int64_t i = 1; i < copy->num_built_units(); ++i) {
    const std::string prefix = units[i].name + ".";
    Block block;
    for (int n = 1; find<torch::nn::Conv2dImpl>(modules, prefix + "conv" + std::to_string(n)); ++n)
      block.branch.push_back(conv_at(prefix + "conv" + std::to_string(n), true));
    TORCH_CHECK(block.branch.size() >= 2, "int8: block ", units[i].name, " has ", block.branch.size(), " convolutions");
    block.branch.back().relu = false;  // the ReLU comes after the sum
    if (find<torch::nn::Conv2dImpl>(modules, prefix + "downsample.0")) block.shortcut = conv_at(prefix + "downsample.0", false);
    blocks_.push_back(std::move(block));
  }
  auto* fc = find<torch::nn::LinearImpl>(modules, copy->head_name());
  TORCH_CHECK(fc, "int8: no linear head ", copy->head_name());
  fc_weight_ = fc->weight.detach();
  fc_bias_ = fc->bias.detach();
}

int64_t Int8ResNet::convolutions() const {
  int64_t n = 1;
  for (const Block& b : blocks_) n += static_cast<int64_t>(b.branch.size()) + (b.shortcut ? 1 : 0);
  return n;
}

torch::Tensor Int8ResNet::conv(Conv& c, const torch::Tensor& x) {
  if (!engine_.empty()) return quantized_conv2d(x, c.packed, c.out.params, c.relu);
  torch::Tensor y = at::conv2d(x, c.weight, c.bias, c.stride, c.padding, c.dilation, c.groups);
  return c.out.observer.observe(c.relu ? y.relu_() : y);
}

torch::Tensor Int8ResNet::add_relu(Activation& a, const torch::Tensor& branch, const torch::Tensor& shortcut) {
  if (!engine_.empty()) return quantized_add_relu(branch, shortcut, a.params);
  return a.observer.observe((branch + shortcut).relu_());
}

torch::Tensor Int8ResNet::run(torch::Tensor x) {
  x = x.contiguous(at::MemoryFormat::ChannelsLast);  // the quantized kernels' layout (NHWC)
  x = engine_.empty() ? input_.observer.observe(x)
                      : at::quantize_per_tensor(x, input_.params.scale, input_.params.zero_point, torch::kQUInt8);
  const auto& p = pool_;
  x = at::max_pool2d(conv(stem_, x), *p.kernel_size(), *p.stride(), *p.padding(), *p.dilation(), p.ceil_mode());
  for (Block& b : blocks_) {
    torch::Tensor shortcut = b.shortcut ? conv(*b.shortcut, x) : x;
    torch::Tensor y = x;
    for (Conv& c : b.branch) y = conv(c, y);
    x = add_relu(b.sum, y, shortcut);
  }
  // Global average pool and the linear head in float (see the class comment).
  torch::Tensor features = (engine_.empty() ? x : x.dequantize()).mean({2, 3});
  return torch::linear(features, fc_weight_, fc_bias_);
}

void Int8ResNet::for_each_activation(const std::function<void(Activation&)>& visit) {
  visit(input_);
  visit(stem_.out);
  for (Block& b : blocks_) {
    for (Conv& c : b.branch) visit(c.out);
    if (b.shortcut) visit(b.shortcut->out);
    visit(b.sum);
  }
}

void Int8ResNet::observe(const torch::Tensor& batch) {
  TORCH_CHECK(engine_.empty(), "int8: the copy is already quantized");
  c10::InferenceMode inference;
  run(batch);
  if (!histograms_) calibration_images_ += batch.size(0);
}

void Int8ResNet::start_histograms() {
  for_each_activation([](Activation& a) { a.observer.start_histogram(); });
  histograms_ = true;
}

void Int8ResNet::quantize(const std::string& engine) {
  TORCH_CHECK(histograms_, "int8: calibration did not reach its second pass");
  const std::string chosen = select_quantized_engine(engine);
  const int64_t levels = activation_levels(chosen);
  for_each_activation([&](Activation& a) {
    const auto [lo, hi] = a.observer.range(levels);
    a.params = activation_params(lo, hi, levels);
  });
  const auto pack = [](Conv& c) { c.packed = pack_conv2d(c.weight, c.bias, c.stride, c.padding, c.dilation, c.groups); };
  pack(stem_);
  for (Block& b : blocks_) {
    for (Conv& c : b.branch) pack(c);
    if (b.shortcut) pack(*b.shortcut);
  }
  engine_ = chosen;
}

torch::Tensor Int8ResNet::forward(const torch::Tensor& input) {
  TORCH_CHECK(!engine_.empty(), "int8: the copy is not quantized yet");
  c10::InferenceMode inference;
  return run(input);
}

std::unique_ptr<Int8ResNet> quantize_resnet(const ArchSpec& spec, BackboneImpl& source,
                                            const std::vector<std::shared_ptr<const ImageStore>>& calibration,
                                            const PipelineOptions& pipeline, int64_t batch_size, const std::string& engine,
                                            const std::atomic<bool>* cancel) {
  std::unique_ptr<Int8ResNet> net;
  const auto pass = [&] {
    for (const auto& store : calibration)
      for_each_batch(*store, pipeline, batch_size, torch::kCPU, [&](const Batch& b, const torch::Tensor&) {
        if (!net) net = std::make_unique<Int8ResNet>(spec, source, b.input.slice(0, 0, 1));
        net->observe(b.input);
      }, cancel);
  };
  pass();
  if (!net) throw Error("E_BAD_ARGUMENT", "int8 calibration needs at least one image");
  net->start_histograms();
  pass();
  net->quantize(engine);
  return net;
}

}  // namespace ttl
