#include "analysis/grad_cam.h"

#include "core/error.h"
#include "core/macs.h"

namespace ttl {

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
  torch::Tensor logits = model.forward_head(model.forward_units(activation, unit + 1, model.num_built_units()));
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
