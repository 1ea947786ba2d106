#pragma once
#include <torch/torch.h>

namespace ttl {

// Cross-entropy plus soft Dice over the foreground classes (class 0 is background), the usual
// segmentation objective: cross-entropy gives stable gradients early, Dice counters the imbalance
// of small organs. logits [B, C, spatial...], masks [B, spatial...] int64.
torch::Tensor segmentation_loss(const torch::Tensor& logits, const torch::Tensor& masks, const torch::Tensor& class_weights);

// Per-image overlap of predicted and true masks over the foreground classes present in either
// (an image where neither has any foreground scores 1): [B, 2] = (Dice, Jaccard).
torch::Tensor overlap_scores(const torch::Tensor& predicted, const torch::Tensor& truth, int64_t num_classes);

}  // namespace ttl
