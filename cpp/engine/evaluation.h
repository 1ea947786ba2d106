#pragma once
#include <torch/torch.h>

#include <atomic>

#include "core/backbone.h"
#include "engine/batch_pipeline.h"
#include "engine/image_store.h"

namespace ttl {

// One validation pass of either task over a store, in order.
struct Evaluation {
  // Classification: [N, C] class probabilities (multi-label: [N, L], a sigmoid per label). Segmentation: [N, 2] per image (Dice, Jaccard) over the
  // foreground classes at the masks' resolution (see overlap_scores).
  torch::Tensor scores;
  // [N, 2] float64 per sample: (class-weighted cross-entropy summed over the sample's targets, the sum of
  // their class weights). Column 0's total over column 1's total is the cross-entropy the trainer minimises
  // (torch's weighted mean) over the whole store, so rows of several stores or ranks combine exactly.
  // Multi-label: (the sample's BCE summed over its labels, L), see multi_label_loss_terms.
  torch::Tensor loss;
};

// Evaluates the model (eval mode, no gradients) on every sample of the store: labels for a classification
// network, masks for a segmentation network (logits are resized to the masks' resolution), targets for a
// multi-label network. `class_weights` and `pos_weight` are the training's (undefined: unweighted).
Evaluation evaluate(BackboneImpl& model, const ImageStore& store, const PipelineOptions& pipeline, int64_t batch_size,
                    const std::string& autocast, const torch::Tensor& class_weights, const torch::Tensor& pos_weight,
                    const std::atomic<bool>* cancel = nullptr);

}  // namespace ttl
