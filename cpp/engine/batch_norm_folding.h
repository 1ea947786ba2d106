#pragma once
#include <torch/torch.h>

#include <unordered_set>

#include "core/backbone.h"

namespace ttl {

// Folds eval-mode batch norms into the convolutions that feed them: W' = W * s, b' = (b - mean) * s + beta
// with s = gamma / sqrt(var + eps), per output channel. Only a norm whose every call takes the untouched
// output of one and the same convolution, called as often, is folded: a norm that precedes its convolution
// (pre-activation ResNets, DenseNets) or sits after a concatenation or a sum stays as it is.
// The pairs are found on one recorded forward pass of `probe` through the networks' call() sites.
// `model` is changed in place (convolutions gain a bias), so it must be a private inference copy; the
// returned norms are to be skipped when it runs (the serving copy's hook).
std::unordered_set<const torch::nn::Module*> fold_batch_norms(BackboneImpl& model, const torch::Tensor& probe);

}  // namespace ttl
