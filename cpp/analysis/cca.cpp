#include "analysis/cca.h"

#include "core/error.h"

// ATen's linalg_* functions, not torch::linalg (the C++ frontend's wrappers, gone from LibTorch 2.x's headers):
// the same kernels on both lines.
namespace ttl {
namespace {

// pinv(a)^(1/2) of a symmetric positive semi-definite matrix from one eigendecomposition: v diag(w^-1/2) v^T
// over the eigenvalues above linalg_pinv's 1e-15 relative cutoff. google/svcca takes the pseudo-inverse (an
// SVD) and then its square root (an eigh); for a PSD matrix both are this, at a third of the cost.
torch::Tensor inverse_sqrt(const torch::Tensor& a) {
  auto [w, v] = at::linalg_eigh(a, "L");
  const double cutoff = 1e-15 * w.abs().max().item<double>();
  torch::Tensor scale = torch::where(w > cutoff, w.clamp_min(cutoff).rsqrt(), torch::zeros_like(w));
  return torch::matmul(v * scale.unsqueeze(0), v.transpose(0, 1));
}

// How many leading singular values (descending) reach `keep_fraction` of their sum.
int64_t kept(const torch::Tensor& s, double keep_fraction) {
  torch::Tensor share = torch::cumsum(s, 0) / s.sum();
  return std::min<int64_t>(s.size(0), torch::nonzero(share >= keep_fraction - 1e-12).min().item<int64_t>() + 1);
}

void check(const torch::Tensor& t, const char* name) {
  if (t.dim() != 2) throw Error("E_BAD_INPUT", std::string(name) + " must be [neurons, datapoints]");
}

}  // namespace

torch::Tensor cca_coefficients(const torch::Tensor& x_in, const torch::Tensor& y_in, double epsilon) {
  check(x_in, "x");
  check(y_in, "y");
  if (x_in.size(1) != y_in.size(1)) throw Error("E_BAD_INPUT", "x and y need the same number of datapoints");
  const torch::Tensor x = x_in.to(torch::kFloat64), y = y_in.to(torch::kFloat64);
  const int64_t nx = x.size(0);
  torch::Tensor cov = torch::cov(torch::cat({x, y}, 0));  // rows are variables, N - 1 normalisation
  torch::Tensor sxx = cov.slice(0, 0, nx).slice(1, 0, nx);
  torch::Tensor sxy = cov.slice(0, 0, nx).slice(1, nx);
  torch::Tensor syy = cov.slice(0, nx).slice(1, nx);
  const double xmax = sxx.abs().max().item<double>(), ymax = syy.abs().max().item<double>();
  sxx = sxx / xmax;
  syy = syy / ymax;
  sxy = sxy / std::sqrt(xmax * ymax);
  // remove_small: neurons whose (rescaled) variance is below epsilon
  torch::Tensor xi = torch::nonzero(sxx.diagonal().abs() >= epsilon).flatten();
  torch::Tensor yi = torch::nonzero(syy.diagonal().abs() >= epsilon).flatten();
  if (xi.numel() == 0 || yi.numel() == 0) return torch::zeros({std::min(x.size(0), y.size(0))}, torch::kFloat64);
  sxx = sxx.index_select(0, xi).index_select(1, xi);
  syy = syy.index_select(0, yi).index_select(1, yi);
  sxy = sxy.index_select(0, xi).index_select(1, yi);
  sxx = sxx + epsilon * torch::eye(sxx.size(0), torch::kFloat64);
  syy = syy + epsilon * torch::eye(syy.size(0), torch::kFloat64);
  torch::Tensor invsqrt_xx = inverse_sqrt(sxx);
  torch::Tensor invsqrt_yy = inverse_sqrt(syy);
  torch::Tensor arr = torch::matmul(invsqrt_xx, torch::matmul(sxy, invsqrt_yy));
  return at::linalg_svdvals(arr).abs();
}

torch::Tensor svd_reduce(const torch::Tensor& x_in, double keep_fraction) {
  check(x_in, "x");
  if (keep_fraction <= 0 || keep_fraction > 1) throw Error("E_BAD_ARGUMENT", "keep fraction must lie in (0, 1]");
  const torch::Tensor x = x_in.to(torch::kFloat64);
  torch::Tensor centred = x - x.mean(1, /*keepdim=*/true);
  if (centred.size(0) > centred.size(1)) {
    auto [u, s, vh] = at::linalg_svd(centred, /*full_matrices=*/false);
    const int64_t k = kept(s, keep_fraction);
    return s.slice(0, 0, k).unsqueeze(1) * vh.slice(0, 0, k);
  }
  // Neurons << datapoints (the usual case: 6x or more): with X = U S Vh, X X^T = U S^2 U^T, so the neurons x
  // neurons Gram matrix's eigh gives U and S, and S Vh = U^T X. One GEMM and a small eigh instead of the SVD of
  // the whole X: 2048 x 12.5k went from 14 s to a few here.
  auto [w, u] = at::linalg_eigh(torch::matmul(centred, centred.transpose(0, 1)), "L");
  torch::Tensor s = w.flip(0).clamp_min(0).sqrt();
  return torch::matmul(u.flip(1).slice(1, 0, kept(s, keep_fraction)).transpose(0, 1), centred);
}

}  // namespace ttl
