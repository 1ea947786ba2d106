#pragma once
#include <torch/torch.h>

#include "core/backbone.h"

namespace ttl {

// Grad-CAM (Selvaraju et al. 2017) at a unit's output: ReLU of the gradient-weighted sum of its channels for
// the target class (-1: the predicted class), upsampled to the input size and scaled to [0, 1] per image
// (per volume for 3D networks: [N, D, H, W]).
torch::Tensor grad_cam(BackboneImpl& model, const torch::Tensor& input, int64_t unit, int64_t target_class);

}  // namespace ttl
