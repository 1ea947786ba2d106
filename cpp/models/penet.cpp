#include "models/penet.h"

#include "core/error.h"
#include "core/macs.h"
#include "models/penet_bottleneck.h"
#include "models/residual_stages.h"

namespace ttl {

PENetImpl::PENetImpl(const ArchSpec& spec) {
  if (spec.cardinality < 1) throw Error("E_BAD_ARCH", "penet needs cardinality >= 1");
  spatial_dims_ = 3;
  in_channels_ = spec.in_channels;
  in_conv = register_module("in_conv", torch::nn::Sequential(
      torch::nn::Conv3d(torch::nn::Conv3dOptions(spec.in_channels, 64, 7).stride({1, 2, 2}).padding(3).bias(false)),
      torch::nn::GroupNorm(64 / 16, 64), torch::nn::LeakyReLU()));
  max_pool = register_module("max_pool", torch::nn::MaxPool3d(torch::nn::MaxPool3dOptions(3).stride(2).padding(1)));
  add_unit({"stem", 0, 64, 4, {"in_conv.", "max_pool."}, true});

  const int64_t total = count_units(spec) - 1;
  int64_t in = 64;
  for_each_residual_unit(*this, spec, {"encoders.", 0, ".penet_blocks"}, 128, 4, [&](const ResidualSlot& u) {
    const int64_t out = u.width * PENetBottleneckImpl::expansion;
    add_unit({u.name, u.stage + 1, out, u.reduction, {u.name + "."}, u.built, u.slim});
    if (u.built) {
      // Stochastic depth: survival falls linearly from 1 to 0.5 over the blocks, as in PENet.
      const double survival = 1.0 - 0.5 * static_cast<double>(u.k - 2) / static_cast<double>(total);
      blocks_.emplace_back(u.stage_module()->register_module(std::to_string(u.index), PENetBottleneck(in, u.width, spec.cardinality, u.stride, survival)));
    }
    in = out;
  });
  build_head(spec.head, "classifier");
}

torch::Tensor PENetImpl::forward_unit(int64_t index, torch::Tensor x) {
  if (index == 0) return call(max_pool, run_sequential(in_conv, x));
  return blocks_.at(index - 1).forward(x);
}

}  // namespace ttl
