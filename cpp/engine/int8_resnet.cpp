#include "engine/int8_resnet.h"

#include "core/error.h"

namespace ttl {
namespace {

FoldedResNet fold_supported(const ArchSpec& spec, BackboneImpl& source, const torch::Tensor& probe) {
  // Checked in TypeScript first, with the model's name (src/predictor.ts); this is the second line.
  if (!is_resnet_classifier(spec, source))
    throw Error("E_INT8_UNSUPPORTED", "int8 serving supports ResNet v1 classifiers (family 'resnet', a linear head), not a '" +
                                          spec.family + "' network with this head");
  TORCH_CHECK(probe.device().is_cpu(), "LibTorch's quantized kernels run on the CPU only");
  return fold_resnet(spec, source, probe);
}

}  // namespace

Int8ResNet::Int8ResNet(const ArchSpec& spec, BackboneImpl& source, const torch::Tensor& probe)
    : net_(fold_supported(spec, source, probe).map([](FoldedConv&& c) { return Conv{std::move(c), {}, {}}; })),
      sums_(net_.blocks.size()) {}

int64_t Int8ResNet::convolutions() const {
  int64_t n = 1;
  for (const auto& b : net_.blocks) n += static_cast<int64_t>(b.branch.size()) + (b.shortcut ? 1 : 0);
  return n;
}

torch::Tensor Int8ResNet::conv(Conv& c, const torch::Tensor& x) {
  const FoldedConv& f = c.folded;
  if (!engine_.empty()) return quantized_conv2d(x, c.packed, c.out.params, f.relu);
  torch::Tensor y = at::conv2d(x, f.weight, f.bias, f.stride, f.padding, f.dilation, f.groups);
  return c.out.observer.observe(f.relu ? y.relu_() : y);
}

torch::Tensor Int8ResNet::conv_add_relu(Conv& last, Activation& sum, const torch::Tensor& x, const torch::Tensor& shortcut) {
  if (fused_sums_) return quantized_conv2d_add_relu(x, shortcut, last.packed, sum.params);
  // Calibration records the convolution's own range too: the unfused kernels requantize its output.
  const torch::Tensor branch = conv(last, x);
  if (!engine_.empty()) return quantized_add_relu(branch, shortcut, sum.params);
  return sum.observer.observe((branch + shortcut).relu_());
}

torch::Tensor Int8ResNet::run(torch::Tensor x) {
  x = x.contiguous(at::MemoryFormat::ChannelsLast);  // the quantized kernels' layout (NHWC)
  x = engine_.empty() ? input_.observer.observe(x)
                      : at::quantize_per_tensor(x, input_.params.scale, input_.params.zero_point, torch::kQUInt8);
  const auto& p = net_.pool;
  x = at::max_pool2d(conv(net_.stem, x), *p.kernel_size(), *p.stride(), *p.padding(), *p.dilation(), p.ceil_mode());
  for (size_t i = 0; i < net_.blocks.size(); ++i) {
    auto& b = net_.blocks[i];
    torch::Tensor shortcut = b.shortcut ? conv(*b.shortcut, x) : x;
    torch::Tensor y = x;
    for (size_t j = 0; j + 1 < b.branch.size(); ++j) y = conv(b.branch[j], y);
    x = conv_add_relu(b.branch.back(), sums_[i], y, shortcut);
  }
  // Global average pool and the linear head in float (see the class comment).
  torch::Tensor features = (engine_.empty() ? x : x.dequantize()).mean({2, 3});
  return torch::linear(features, net_.fc_weight, net_.fc_bias);
}

void Int8ResNet::for_each_activation(const std::function<void(Activation&)>& visit) {
  visit(input_);
  net_.for_each_conv([&](Conv& c) { visit(c.out); });
  for (Activation& sum : sums_) visit(sum);
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
  net_.for_each_conv([](Conv& c) {
    const FoldedConv& f = c.folded;
    c.packed = pack_conv2d(f.weight, f.bias, f.stride, f.padding, f.dilation, f.groups);
  });
  engine_ = chosen;
  fused_sums_ = has_quantized_conv2d_add_relu(chosen);
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
