#include "engine/batch_norm_folding.h"

#include <map>
#include <unordered_map>

#include "core/macs.h"

namespace ttl {
namespace {

using torch::nn::Module;

bool is_conv(const Module& m) { return m.as<torch::nn::Conv2d>() || m.as<torch::nn::Conv3d>(); }
bool is_norm(const Module& m) { return m.as<torch::nn::BatchNorm2d>() || m.as<torch::nn::BatchNorm3d>(); }

// Which convolution output each batch norm call consumed, by tensor identity and version (an in-place
// op between them would change the version).
class PairRecorder : public CallHook {
 public:
  void record(const Module& m, const torch::Tensor& input, const torch::Tensor& output) override {
    if (is_conv(m)) {
      ++calls_[&m];
      // Holding the output keeps its TensorImpl alive, so the address cannot be reused by another tensor.
      produced_[output.unsafeGetTensorImpl()] = {&m, output, output._version()};
    } else if (is_norm(m)) {
      ++calls_[&m];
      auto it = produced_.find(input.unsafeGetTensorImpl());
      if (it != produced_.end() && it->second.version == input._version()) ++pairs_[{it->second.conv, &m}];
    }
  }

  // conv -> norm for the pairs that are the only use of both modules.
  std::map<const Module*, const Module*> foldable() const {
    std::map<const Module*, int> uses;
    for (const auto& [pair, count] : pairs_) ++uses[pair.first], ++uses[pair.second];
    std::map<const Module*, const Module*> out;
    for (const auto& [pair, count] : pairs_) {
      const auto& [conv, norm] = pair;
      if (uses[conv] == 1 && uses[norm] == 1 && calls_.at(conv) == count && calls_.at(norm) == count) out[conv] = norm;
    }
    return out;
  }

 private:
  struct Produced {
    const Module* conv;
    torch::Tensor output;
    int64_t version;
  };
  std::unordered_map<const c10::TensorImpl*, Produced> produced_;
  std::map<const Module*, int> calls_;
  std::map<std::pair<const Module*, const Module*>, int> pairs_;
};

template <typename Norm>
void fold_into(torch::Tensor& weight, torch::Tensor& bias, Norm& norm) {
  const auto& o = norm.options;
  TORCH_CHECK(o.track_running_stats(), "a batch norm without running statistics cannot be folded");
  TORCH_CHECK(weight.size(0) == o.num_features(), "folding a batch norm of ", o.num_features(),
              " features into a convolution with ", weight.size(0), " outputs");
  // In double: the folded weights should differ from the two-step computation by rounding only.
  torch::Tensor scale = (norm.running_var.to(torch::kDouble) + o.eps()).rsqrt();
  if (o.affine()) scale = scale * norm.weight.to(torch::kDouble);
  std::vector<int64_t> shape(weight.dim(), 1);
  shape[0] = -1;
  torch::Tensor b = bias.defined() ? bias.to(torch::kDouble) : torch::zeros_like(scale);
  b = (b - norm.running_mean.to(torch::kDouble)) * scale;
  if (o.affine()) b = b + norm.bias.to(torch::kDouble);
  weight = (weight.to(torch::kDouble) * scale.view(shape)).to(weight.scalar_type());
  bias = b.to(weight.scalar_type());
}

template <typename Conv, typename Norm>
bool try_fold(Module& conv_module, Module& norm_module) {
  auto* conv = conv_module.as<Conv>();
  auto* norm = norm_module.as<Norm>();
  if (!conv || !norm) return false;
  fold_into(conv->weight, conv->bias, *norm);
  return true;
}

}  // namespace

std::unordered_set<const Module*> fold_batch_norms(BackboneImpl& model, const torch::Tensor& probe) {
  torch::NoGradGuard no_grad;  // not InferenceMode: its tensors keep no version counter
  model.eval();
  std::map<const Module*, const Module*> pairs;
  {
    PairRecorder recorder;
    model.forward(probe);
    pairs = recorder.foldable();
  }
  std::unordered_map<const Module*, std::shared_ptr<Module>> modules;
  for (const auto& m : model.modules()) modules[m.get()] = m;
  std::unordered_set<const Module*> folded;
  for (const auto& [conv, norm] : pairs) {
    Module& c = *modules.at(conv);
    Module& n = *modules.at(norm);
    if (try_fold<torch::nn::Conv2dImpl, torch::nn::BatchNorm2dImpl>(c, n) ||
        try_fold<torch::nn::Conv3dImpl, torch::nn::BatchNorm3dImpl>(c, n))
      folded.insert(norm);
  }
  return folded;
}

}  // namespace ttl
