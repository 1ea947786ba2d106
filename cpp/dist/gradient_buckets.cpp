#include "dist/gradient_buckets.h"

namespace ttl::dist {

std::vector<std::vector<size_t>> bucket_indices(const std::vector<torch::Tensor>& tensors, int64_t bucket_bytes) {
  std::vector<std::vector<size_t>> buckets;
  size_t begin = 0;
  while (begin < tensors.size()) {
    std::vector<size_t> bucket;
    int64_t bytes = 0;
    size_t end = begin;
    while (end < tensors.size() && tensors[end].scalar_type() == tensors[begin].scalar_type() &&
           (end == begin || bytes + static_cast<int64_t>(tensors[end].nbytes()) <= bucket_bytes)) {
      bytes += static_cast<int64_t>(tensors[end].nbytes());
      bucket.push_back(end++);
    }
    buckets.push_back(std::move(bucket));
    begin = end;
  }
  return buckets;
}

std::vector<torch::Tensor> pick(const std::vector<torch::Tensor>& tensors, const std::vector<size_t>& indices) {
  std::vector<torch::Tensor> out;
  out.reserve(indices.size());
  for (size_t i : indices) out.push_back(tensors[i]);
  return out;
}

torch::Tensor flatten(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> flat;
  flat.reserve(tensors.size());
  for (const auto& t : tensors) flat.push_back(t.reshape({-1}));
  return torch::cat(flat);
}

void unflatten_into(const torch::Tensor& flat, const std::vector<torch::Tensor>& tensors) {
  int64_t offset = 0;
  for (const auto& t : tensors) {
    const int64_t n = t.numel();
    t.copy_(flat.narrow(0, offset, n).view_as(t));
    offset += n;
  }
  TORCH_CHECK(offset == flat.numel(), "a bucket of ", flat.numel(), " values was unflattened into ", offset);
}

}  // namespace ttl::dist
