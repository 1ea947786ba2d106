#include "engine/fused_resnet.h"

#include "engine/boxed_op.h"

namespace ttl {
namespace {

const std::optional<c10::OperatorHandle>& conv_unary() {
  static const auto op = find_op("mkldnn::_convolution_pointwise", "");
  return op;
}

const std::optional<c10::OperatorHandle>& conv_binary_inplace() {
  static const auto op = find_op("mkldnn::_convolution_pointwise_", "binary");
  return op;
}

c10::List<c10::optional<at::Scalar>> no_scalars() { return c10::List<c10::optional<at::Scalar>>(); }

}  // namespace

bool FusedResNet::available() { return conv_unary() && conv_binary_inplace(); }

FusedResNet::FusedResNet(FoldedResNet net) : net_(std::move(net).map([](FoldedConv&& c) { return Conv{std::move(c), {}}; })) {
  TORCH_CHECK(available(), "this LibTorch has no fused oneDNN convolutions");
}

const torch::Tensor& FusedResNet::weight(Conv& c, const torch::Tensor& x) {
  if (!c.weight.defined()) {
    // With the input's shape oneDNN picks the weight format its NHWC kernel wants; without it, every call would
    // reorder the weights again (1.7x the latency in a PyTorch 2.15 prototype). The argument is 2.x's.
    static const c10::OperatorHandle reorder = require_op("aten::mkldnn_reorder_conv2d_weight", "");
    const FoldedConv& f = c.folded;
    c.weight = call_op(reorder, {f.weight.contiguous().to_mkldnn(), f.padding, f.stride, f.dilation, f.groups, x.sizes().vec()});
  }
  return c.weight;
}

torch::Tensor FusedResNet::conv(Conv& c, const torch::Tensor& x) {
  const FoldedConv& f = c.folded;
  return call_op(*conv_unary(), {x, weight(c, x), f.bias, f.padding, f.stride, f.dilation, f.groups,
                                 std::string(f.relu ? "relu" : "none"), no_scalars(), c10::IValue()});
}

torch::Tensor FusedResNet::conv_add_relu(Conv& c, const torch::Tensor& x, torch::Tensor& shortcut) {
  const FoldedConv& f = c.folded;
  return call_op(*conv_binary_inplace(), {shortcut, x, weight(c, x), f.bias, f.padding, f.stride, f.dilation, f.groups,
                                          std::string("add"), 1.0, std::string("relu"), no_scalars(), c10::IValue()});
}

torch::Tensor FusedResNet::forward(const torch::Tensor& input) {
  const auto& p = net_.pool;
  torch::Tensor x = input.contiguous(at::MemoryFormat::ChannelsLast);
  x = at::max_pool2d(conv(net_.stem, x), *p.kernel_size(), *p.stride(), *p.padding(), *p.dilation(), p.ceil_mode());
  for (auto& b : net_.blocks) {
    // The block's input is its own tensor (the pool's or the previous block's output), so with an identity
    // shortcut the sum may overwrite it once the branch has read it.
    torch::Tensor shortcut = b.shortcut ? conv(*b.shortcut, x) : x;
    torch::Tensor y = x;
    for (size_t i = 0; i + 1 < b.branch.size(); ++i) y = conv(b.branch[i], y);
    x = conv_add_relu(b.branch.back(), y, shortcut);
  }
  return torch::linear(x.mean({2, 3}), net_.fc_weight, net_.fc_bias);
}

}  // namespace ttl
