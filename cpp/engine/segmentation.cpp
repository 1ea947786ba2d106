#include "engine/segmentation.h"


namespace ttl {
namespace {
// [B, spatial...] class indices -> [B, C, spatial...] one-hot float.
torch::Tensor channels_one_hot(const torch::Tensor& masks, int64_t num_classes) {
  std::vector<int64_t> order = {0, masks.dim()};
  for (int64_t d = 1; d < masks.dim(); ++d) order.push_back(d);
  return torch::one_hot(masks, num_classes).permute(order).to(torch::kFloat32);
}

std::vector<int64_t> spatial_axes(int64_t rank) {
  std::vector<int64_t> axes;
  for (int64_t d = 2; d < rank; ++d) axes.push_back(d);
  return axes;
}
}  // namespace

torch::Tensor segmentation_loss(const torch::Tensor& logits, const torch::Tensor& masks, const torch::Tensor& class_weights) {
  const torch::Tensor x = logits.to(torch::kFloat32);
  auto options = torch::nn::functional::CrossEntropyFuncOptions();
  if (class_weights.defined()) options.weight(class_weights);
  const torch::Tensor ce = torch::nn::functional::cross_entropy(x, masks, options);
  // Soft Dice over the whole batch per foreground class, so a batch without a class adds no noise.
  const torch::Tensor probs = torch::softmax(x, 1).slice(1, 1);
  const torch::Tensor truth = channels_one_hot(masks, x.size(1)).slice(1, 1);
  std::vector<int64_t> axes = spatial_axes(x.dim());
  axes.push_back(0);
  const torch::Tensor intersection = (probs * truth).sum(axes);
  const torch::Tensor total = probs.sum(axes) + truth.sum(axes);
  const torch::Tensor dice = (2 * intersection + 1) / (total + 1);
  return ce + (1 - dice.mean());
}

torch::Tensor overlap_scores(const torch::Tensor& predicted, const torch::Tensor& truth, int64_t num_classes) {
  const torch::Tensor p = channels_one_hot(predicted, num_classes).slice(1, 1);
  const torch::Tensor t = channels_one_hot(truth, num_classes).slice(1, 1);
  const std::vector<int64_t> axes = spatial_axes(p.dim());
  const torch::Tensor intersection = (p * t).sum(axes).to(torch::kFloat64);  // [B, C-1]
  const torch::Tensor total = (p.sum(axes) + t.sum(axes)).to(torch::kFloat64);
  const torch::Tensor present = (total > 0).to(torch::kFloat64);
  const torch::Tensor count = present.sum(1);
  const torch::Tensor safe = total.clamp_min(1);
  const torch::Tensor dice = (2 * intersection / safe * present).sum(1);
  const torch::Tensor jaccard = (intersection / (total - intersection).clamp_min(1) * present).sum(1);
  const torch::Tensor none = count == 0;
  return torch::stack({torch::where(none, torch::ones_like(dice), dice / count.clamp_min(1)),
                       torch::where(none, torch::ones_like(jaccard), jaccard / count.clamp_min(1))},
                      1);
}

}  // namespace ttl
