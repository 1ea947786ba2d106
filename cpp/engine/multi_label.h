#pragma once
#include <torch/torch.h>

#include "core/backbone.h"
#include "engine/image_store.h"

namespace ttl {

// Multi-label classification: one sigmoid per label, binary cross-entropy per label (torch's
// BCEWithLogitsLoss, whose pos_weight multiplies the positives' term: n_neg / n_pos evens out a rare finding).

// The loss the trainer minimises: the mean over every (sample, label) of the weighted BCE. logits and
// targets [B, L] float32; pos_weight [L] or undefined (1).
torch::Tensor multi_label_loss(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& pos_weight);

// The same loss per sample, [B, 2] float64: (its BCE summed over the labels, L). Column 0's total over column 1's
// total is multi_label_loss over the whole store, so rows of several stores or ranks combine exactly (as
// evaluation's cross-entropy terms do).
torch::Tensor multi_label_loss_terms(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& pos_weight);

// What a network's logits mean as probabilities: a sigmoid per label (multi-label), else a softmax over dim 1.
torch::Tensor probabilities(const torch::Tensor& logits, bool multi_label);

// Targets of a multi-label batch: [samples, labels] (E_BAD_INPUT otherwise).
void check_multi_label_targets(const torch::Tensor& targets, int64_t samples, int64_t labels);

// A multi-label network trains and evaluates on a store with an [N, L] target matrix of its L labels, and a store
// with targets only on a multi-label network (a softmax over them would train on the unused class labels).
void check_store_task(const BackboneImpl& model, const ImageStore& store);

}  // namespace ttl
