#include "analysis/features.h"

#include "core/error.h"
#include "core/macs.h"
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

torch::Tensor grad_cam(BackboneImpl& model, const torch::Tensor& input, int64_t unit, int64_t target_class) {
  if (unit < 0 || unit >= model.num_built_units()) throw Error("E_BAD_CUTOFF", "unit " + std::to_string(unit + 1) + " is not in the network");
  if (model.head_kind() == HeadKind::None) throw Error("E_BAD_ARGUMENT", "Grad-CAM needs a classification head");
  model.eval();
  torch::Tensor x;
  {
    torch::NoGradGuard no_grad;
    x = model.forward_units(input, 0, unit + 1);
  }
  torch::Tensor activation = x.detach().requires_grad_(true);
  torch::Tensor logits = model.forward_capture_head(model.forward_units(activation, unit + 1, model.num_built_units()));
  torch::Tensor target = target_class >= 0 ? torch::full({logits.size(0)}, target_class, torch::kInt64).to(logits.device())
                                           : logits.argmax(1);
  torch::Tensor score = logits.gather(1, target.unsqueeze(1)).sum();
  torch::Tensor grad = torch::autograd::grad({score}, {activation})[0];
  const bool volume = input.dim() == 5;
  std::vector<int64_t> spatial_dims = volume ? std::vector<int64_t>{2, 3, 4} : std::vector<int64_t>{2, 3};
  torch::Tensor weights = grad.mean(spatial_dims, /*keepdim=*/true);
  torch::Tensor cam = torch::relu((weights * activation).sum(1, /*keepdim=*/true)).detach();
  std::vector<int64_t> size(input.sizes().begin() + 2, input.sizes().end());
  cam = resize_to(cam, size);
  torch::Tensor flat = cam.flatten(1);
  torch::Tensor lo = std::get<0>(flat.min(1, true)), hi = std::get<0>(flat.max(1, true));
  std::vector<int64_t> out_shape = {input.size(0)};
  out_shape.insert(out_shape.end(), size.begin(), size.end());
  return ((flat - lo) / (hi - lo).clamp_min(1e-12)).view(out_shape).cpu();
}

}  // namespace ttl
