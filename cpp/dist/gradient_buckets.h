#pragma once
#include <torch/torch.h>

#include <vector>

namespace ttl::dist {

// Consecutive runs of `tensors` (indices, in the given order) of one dtype and about `bucket_bytes` each, so that
// each all-reduce moves megabytes, not the few hundred bytes of a batch norm's weight (as DDP buckets).
std::vector<std::vector<size_t>> bucket_indices(const std::vector<torch::Tensor>& tensors, int64_t bucket_bytes);

// The tensors at `indices`.
std::vector<torch::Tensor> pick(const std::vector<torch::Tensor>& tensors, const std::vector<size_t>& indices);

// Tensors as one flat tensor, and back into them.
torch::Tensor flatten(const std::vector<torch::Tensor>& tensors);
void unflatten_into(const torch::Tensor& flat, const std::vector<torch::Tensor>& tensors);

}  // namespace ttl::dist
