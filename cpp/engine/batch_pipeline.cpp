#include "engine/batch_pipeline.h"

#include <cmath>

#include "core/constants.h"
#include "core/error.h"
#include "core/macs.h"
#include "engine/mapped_images.h"

namespace ttl {
namespace {
namespace F = torch::nn::functional;

torch::Tensor uniform(int64_t n, double lo, double hi, at::Generator& g) {
  return torch::rand({n}, g, torch::kFloat64) * (hi - lo) + lo;
}

torch::Tensor random_flip(int64_t n, bool enabled, at::Generator& g) {
  return enabled ? torch::where(torch::rand({n}, g, torch::kFloat64) < 0.5, -1.0, 1.0) : torch::ones({n}, torch::kFloat64);
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
  torch::Tensor flip = random_flip(n, a.hflip, g);
  torch::Tensor c = torch::cos(angle), s = torch::sin(angle);
  torch::Tensor theta = torch::stack({torch::stack({c * sx * flip, -s * sy, tx}, 1),
                                      torch::stack({s * sx * flip, c * sy, ty}, 1)},
                                     1);
  return theta.to(torch::kFloat32);
}

// 3D: random crop (scale per axis), flips along each axis, and a small rotation in the H-W plane.
torch::Tensor random_affine3d(int64_t n, const AugmentOptions& a, at::Generator& g) {
  torch::Tensor scale = torch::pow(uniform(n, a.crop_scale_min, 1.0, g), 1.0 / 3.0);
  torch::Tensor fx = random_flip(n, a.hflip, g), fy = random_flip(n, a.hflip, g), fz = random_flip(n, a.hflip, g);
  torch::Tensor angle = uniform(n, -a.max_rotation_deg, a.max_rotation_deg, g) * (kPi / 180.0);
  torch::Tensor c = torch::cos(angle) * scale, s = torch::sin(angle) * scale, zero = torch::zeros({n}, torch::kFloat64);
  torch::Tensor t = uniform(n, -1, 1, g) * (1 - scale), u = uniform(n, -1, 1, g) * (1 - scale), v = uniform(n, -1, 1, g) * (1 - scale);
  // grid coordinates are (x = W, y = H, z = D)
  torch::Tensor theta = torch::stack({torch::stack({c * fx, -s * fy, zero, t}, 1), torch::stack({s * fx, c * fy, zero, u}, 1),
                                      torch::stack({zero, zero, scale * fz, v}, 1)},
                                     1);
  return theta.to(torch::kFloat32);
}

// Brightness/contrast jitter per sample, in units of the [0, 1] intensity range.
torch::Tensor jitter_intensity(torch::Tensor x, const AugmentOptions& a, at::Generator& g) {
  const int64_t n = x.size(0);
  std::vector<int64_t> per_sample(x.dim(), 1);
  per_sample[0] = n;
  std::vector<int64_t> reduce;
  for (int64_t d = 1; d < x.dim(); ++d) reduce.push_back(d);
  torch::Tensor contrast = uniform(n, 1 - a.contrast, 1 + a.contrast, g).to(x.device(), torch::kFloat32).view(per_sample);
  torch::Tensor brightness = uniform(n, -a.brightness, a.brightness, g).to(x.device(), torch::kFloat32).view(per_sample);
  torch::Tensor mean = x.mean(reduce, /*keepdim=*/true);
  return ((x - mean) * contrast + mean + brightness).clamp_(0.0, 1.0);
}
}  // namespace

std::vector<int64_t> output_shape(const PipelineOptions& o, int64_t spatial_dims) {
  TORCH_CHECK(!o.shape.empty() || o.size > 0, "the pipeline needs a positive size or a shape");
  if (o.shape.empty()) return std::vector<int64_t>(spatial_dims, o.size);
  if (static_cast<int64_t>(o.shape.size()) != spatial_dims)
    throw Error("E_BAD_ARGUMENT", "the pipeline shape needs " + std::to_string(spatial_dims) + " sizes for these images");
  return o.shape;
}

Batch make_batch(const ImageStore& store, const torch::Tensor& indices, const PipelineOptions& o, bool train,
                 torch::Device device, at::Generator& generator) {
  TORCH_CHECK(o.channels >= 1, "the pipeline needs a channel count");
  if (static_cast<int64_t>(o.mean.size()) != o.channels || static_cast<int64_t>(o.std.size()) != o.channels)
    throw Error("E_BAD_ARGUMENT", "mean and std need one value per channel");
  if (store.images.dim() != 3 && store.images.dim() != 4)
    throw Error("E_BAD_INPUT", "images must be [N, H, W], [N, H, W, C] or [N, D, H, W]");
  const int64_t dims = store.images.dim() == 4 && !store.color ? 3 : 2;
  const std::vector<int64_t> out = output_shape(o, dims);
  const double range = store.images.scalar_type() == torch::kUInt8 ? 255.0 : 65535.0;
  torch::Tensor gathered = store.images.index_select(0, indices);
  // 16-bit samples mapped from an image cache are viewed as int16 (see mapped_images.h): read them as unsigned.
  if (gathered.scalar_type() == torch::kInt16) gathered = gathered.to(torch::kInt32).bitwise_and_(0xFFFF);
  torch::Tensor x = gathered.to(device).to(torch::kFloat32).div_(range);
  x = store.color ? x.permute({0, 3, 1, 2}).contiguous() : x.unsqueeze(1);
  torch::Tensor masks = store.masks.defined() ? store.masks.index_select(0, indices).to(device).unsqueeze(1).to(torch::kFloat32)
                                              : torch::Tensor();
  const int64_t n = x.size(0);
  std::vector<int64_t> sampled = {n, x.size(1)};
  sampled.insert(sampled.end(), out.begin(), out.end());
  if (train && o.augment.enabled) {
    torch::Tensor theta = (dims == 3 ? random_affine3d(n, o.augment, generator) : random_affine(n, o.augment, generator)).to(device);
    torch::Tensor grid = F::affine_grid(theta, sampled, /*align_corners=*/false);
    x = F::grid_sample(x, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false));
    if (masks.defined())
      masks = F::grid_sample(masks, grid, F::GridSampleFuncOptions().mode(torch::kNearest).padding_mode(torch::kBorder).align_corners(false));
    x = jitter_intensity(x, o.augment, generator);
  } else if (x.sizes().slice(2).vec() != out) {
    x = resize_to(x, out);
    if (masks.defined()) masks = F::interpolate(masks, F::InterpolateFuncOptions().size(out).mode(torch::kNearest));
  }
  if (x.size(1) == 1 && o.channels > 1) {
    sampled[1] = o.channels;
    x = x.expand(sampled);
  }
  if (x.size(1) != o.channels)
    throw Error("E_BAD_INPUT", "images have " + std::to_string(x.size(1)) + " channels, the model takes " +
                                   std::to_string(o.channels));
  std::vector<int64_t> per_channel(dims + 2, 1);
  per_channel[1] = -1;
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  torch::Tensor mean = torch::tensor(std::vector<float>(o.mean.begin(), o.mean.end()), opts).view(per_channel);
  torch::Tensor std = torch::tensor(std::vector<float>(o.std.begin(), o.std.end()), opts).view(per_channel);
  return {((x - mean) / std).contiguous(), masks.defined() ? masks.squeeze(1).to(torch::kInt64) : masks};
}

void for_each_batch(const ImageStore& store, const PipelineOptions& options, int64_t batch_size, torch::Device device,
                    const std::function<void(const Batch&, const torch::Tensor&)>& visit,
                    const std::atomic<bool>* cancel) {
  if (batch_size < 1) throw Error("E_BAD_ARGUMENT", "batchSize must be >= 1");
  at::Generator unused = at::detail::createCPUGenerator(0);
  for (int64_t start = 0; start < store.size(); start += batch_size) {
    if (cancel && cancel->load()) throw Error("E_CANCELLED", "evaluation was cancelled");
    torch::Tensor idx = torch::arange(start, std::min(store.size(), start + batch_size), torch::kInt64);
    // Mapped images, as in training (EpochRun::next): the first batch starts its own reads, each batch starts the
    // next one's, which then overlap this one's work (see prefetch_images).
    if (store.mapped && start == 0) prefetch_images(store.images, idx);
    if (store.mapped && start + batch_size < store.size())
      prefetch_images(store.images, torch::arange(start + batch_size, std::min(store.size(), start + 2 * batch_size), torch::kInt64));
    visit(make_batch(store, idx, options, /*train=*/false, device, unused), idx);
  }
}

}  // namespace ttl
