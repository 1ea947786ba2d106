#include "analysis/features.h"

#include "core/error.h"
#include "core/runtime.h"

namespace ttl {

std::map<int64_t, torch::Tensor> extract_features(BackboneImpl& model, const ImageStore& store, const PipelineOptions& pipeline,
                                                  const std::set<int64_t>& units, int64_t batch_size, int64_t spatial_samples) {
  for (int64_t u : units)
    if (u < 0 || u >= model.num_built_units()) throw Error("E_BAD_CUTOFF", "unit " + std::to_string(u + 1) + " is not in the network");
  torch::NoGradGuard no_grad;
  model.eval();
  const torch::Device device = device_of(model);
  at::Generator generator = at::detail::createCPUGenerator(12345);
  std::map<int64_t, std::vector<torch::Tensor>> parts;
  const int64_t last = *units.rbegin();
  for_each_batch(store, pipeline, batch_size, device, [&](const Batch& batch, const torch::Tensor&) {
    model.forward_units(batch.input, 0, last + 1, [&](int64_t i, const torch::Tensor& x) {
      if (!units.count(i)) return;
      torch::Tensor flat = x.flatten(2);  // [B, C, positions]
      if (spatial_samples > 0) {
        torch::Tensor pick = torch::randint(flat.size(2), {flat.size(0), 1, spatial_samples}, generator, torch::kInt64).to(device);
        torch::Tensor sampled = flat.gather(2, pick.expand({flat.size(0), flat.size(1), spatial_samples}));
        parts[i].push_back(sampled.permute({0, 2, 1}).reshape({-1, flat.size(1)}).cpu());
      } else {
        parts[i].push_back(flat.mean(2).cpu());
      }
    });
  });
  std::map<int64_t, torch::Tensor> out;
  for (auto& [unit, list] : parts) out[unit] = torch::cat(list, 0).to(torch::kFloat32);
  return out;
}

}  // namespace ttl
