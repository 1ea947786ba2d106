#pragma once
#include <torch/torch.h>

namespace ttl {

// Canonical correlation analysis exactly as google/svcca cca_core.get_cca_similarity: activations are
// neurons x datapoints; covariances rescaled by their largest entry, neurons whose variance is below
// epsilon dropped, epsilon added to the diagonals, pinv + symmetric square roots, then an SVD. Returns the
// canonical correlations (descending), in float64. Both inputs are float64 [neurons, datapoints].
torch::Tensor cca_coefficients(const torch::Tensor& x, const torch::Tensor& y, double epsilon);

// SVCCA's first step: centre each neuron, keep the top singular directions whose singular values cover
// `keep_fraction` of their sum, and return those directions scaled by their singular values
// ([kept, datapoints]).
torch::Tensor svd_reduce(const torch::Tensor& x, double keep_fraction);

}  // namespace ttl
