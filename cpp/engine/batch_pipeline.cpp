#include "engine/batch_pipeline.h"

#include <cmath>

#include "core/error.h"

namespace ttl {
namespace {
constexpr double kPi = 3.14159265358979323846;

torch::Tensor uniform(int64_t n, double lo, double hi, at::Generator& g) {
  return torch::rand({n}, g, torch::kFloat64) * (hi - lo) + lo;
}

// Per-sample affine maps from output to input coordinates (normalised [-1, 1]) for grid_sample.
torch::Tensor random_affine(int64_t n, const AugmentOptions& a, at::Generator& g) {
  torch::Tensor scale = torch::sqrt(uniform(n, a.crop_scale_min, 1.0, g));
  torch::Tensor aspect = torch::exp(uniform(n, -a.max_aspect_log, a.max_aspect_log, g));
  torch::Tensor sx = torch::clamp(scale * torch::sqrt(aspect), 0.0, 1.0);
  torch::Tensor sy = torch::clamp(scale / torch::sqrt(aspect), 0.0, 1.0);
  torch::Tensor tx = (uniform(n, -1, 1, g)) * (1 - sx);
  torch::Tensor ty = (uniform(n, -1, 1, g)) * (1 - sy);
  torch::Tensor angle = uniform(n, -a.max_rotation_deg, a.max_rotation_deg, g) * (kPi / 180.0);
  torch::Tensor flip = a.hflip ? torch::where(torch::rand({n}, g, torch::kFloat64) < 0.5, -1.0, 1.0)
                               : torch::ones({n}, torch::kFloat64);
  torch::Tensor c = torch::cos(angle), s = torch::sin(angle);
  torch::Tensor theta = torch::stack({torch::stack({c * sx * flip, -s * sy, tx}, 1),
                                      torch::stack({s * sx * flip, c * sy, ty}, 1)},
                                     1);
  return theta.to(torch::kFloat32);
}

// 3D: random crop (scale per axis), flips along each axis, and a small rotation in the H-W plane.
torch::Tensor random_affine3d(int64_t n, const AugmentOptions& a, at::Generator& g) {
  torch::Tensor scale = torch::pow(uniform(n, a.crop_scale_min, 1.0, g), 1.0 / 3.0);
  auto flip = [&] {
    return a.hflip ? torch::where(torch::rand({n}, g, torch::kFloat64) < 0.5, -1.0, 1.0) : torch::ones({n}, torch::kFloat64);
  };
  torch::Tensor fx = flip(), fy = flip(), fz = flip();
  torch::Tensor angle = uniform(n, -a.max_rotation_deg, a.max_rotation_deg, g) * (kPi / 180.0);
  torch::Tensor c = torch::cos(angle) * scale, s = torch::sin(angle) * scale, zero = torch::zeros({n}, torch::kFloat64);
  torch::Tensor t = uniform(n, -1, 1, g) * (1 - scale), u = uniform(n, -1, 1, g) * (1 - scale), v = uniform(n, -1, 1, g) * (1 - scale);
  // grid coordinates are (x = W, y = H, z = D)
  torch::Tensor theta = torch::stack({torch::stack({c * fx, -s * fy, zero, t}, 1), torch::stack({s * fx, c * fy, zero, u}, 1),
                                      torch::stack({zero, zero, scale * fz, v}, 1)},
                                     1);
  return theta.to(torch::kFloat32);
}
}  // namespace

torch::Tensor make_batch(const ImageStore& store, const torch::Tensor& indices, const PipelineOptions& o, bool train,
                         torch::Device device, at::Generator& generator) {
  if (static_cast<int64_t>(o.mean.size()) != o.channels || static_cast<int64_t>(o.std.size()) != o.channels)
    throw Error("E_BAD_ARGUMENT", "mean and std need one value per channel");
  const bool volume = store.images.dim() == 4 && !store.color;
  if (store.images.dim() != 3 && store.images.dim() != 4) throw Error("E_BAD_INPUT", "images must be [N, H, W], [N, H, W, C] or [N, D, H, W]");
  const double range = store.images.scalar_type() == torch::kUInt8 ? 255.0 : 65535.0;
  torch::Tensor raw = store.images.index_select(0, indices);
  torch::Tensor x = raw.to(device).to(torch::kFloat32).div_(range);
  x = store.color ? x.permute({0, 3, 1, 2}).contiguous() : x.unsqueeze(1);
  const int64_t n = x.size(0);
  namespace F = torch::nn::functional;
  if (volume) {
    if (train && o.augment.enabled) {
      torch::Tensor theta = random_affine3d(n, o.augment, generator).to(device);
      torch::Tensor grid = F::affine_grid(theta, {n, 1, o.size, o.size, o.size}, /*align_corners=*/false);
      x = F::grid_sample(x, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false));
    } else if (x.size(2) != o.size || x.size(3) != o.size || x.size(4) != o.size) {
      x = F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<int64_t>{o.size, o.size, o.size}).mode(torch::kTrilinear).align_corners(false));
    }
    if (o.channels > 1) x = x.expand({n, o.channels, o.size, o.size, o.size});
    auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
    torch::Tensor mean = torch::tensor(std::vector<float>(o.mean.begin(), o.mean.end()), opts).view({1, -1, 1, 1, 1});
    torch::Tensor std = torch::tensor(std::vector<float>(o.std.begin(), o.std.end()), opts).view({1, -1, 1, 1, 1});
    return ((x - mean) / std).contiguous();
  }
  if (train && o.augment.enabled) {
    torch::Tensor theta = random_affine(n, o.augment, generator).to(device);
    torch::Tensor grid = F::affine_grid(theta, {n, x.size(1), o.size, o.size}, /*align_corners=*/false);
    x = F::grid_sample(x, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false));
    torch::Tensor contrast = uniform(n, 1 - o.augment.contrast, 1 + o.augment.contrast, generator).to(device, torch::kFloat32);
    torch::Tensor brightness = uniform(n, -o.augment.brightness, o.augment.brightness, generator).to(device, torch::kFloat32);
    torch::Tensor mean = x.mean({1, 2, 3}, /*keepdim=*/true);
    x = ((x - mean) * contrast.view({n, 1, 1, 1}) + mean + brightness.view({n, 1, 1, 1})).clamp_(0.0, 1.0);
  } else if (x.size(2) != o.size || x.size(3) != o.size) {
    x = F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<int64_t>{o.size, o.size}).mode(torch::kBilinear).align_corners(false));
  }
  if (x.size(1) == 1 && o.channels > 1) x = x.expand({n, o.channels, o.size, o.size});
  if (x.size(1) != o.channels)
    throw Error("E_BAD_INPUT", "images have " + std::to_string(x.size(1)) + " channels, the model takes " +
                                   std::to_string(o.channels));
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  torch::Tensor mean = torch::tensor(std::vector<float>(o.mean.begin(), o.mean.end()), opts).view({1, -1, 1, 1});
  torch::Tensor std = torch::tensor(std::vector<float>(o.std.begin(), o.std.end()), opts).view({1, -1, 1, 1});
  return ((x - mean) / std).contiguous();
}

}  // namespace ttl
