#include "engine/activation_observer.h"

#include <numeric>

namespace ttl {

const torch::Tensor& ActivationObserver::observe(const torch::Tensor& t) {
  if (histogram_.empty()) {
    min_ = std::min(min_, t.min().item<double>());
    max_ = std::max(max_, t.max().item<double>());
    return t;
  }
  const torch::Tensor counts = at::histc(t.to(torch::kFloat), kBins, min_, max_).to(torch::kDouble).contiguous();
  const double* c = counts.data_ptr<double>();
  for (int64_t i = 0; i < kBins; ++i) histogram_[i] += c[i];
  return t;
}

void ActivationObserver::start_histogram() {
  TORCH_CHECK(min_ <= max_, "int8: an activation saw no calibration values");
  histogram_.assign(kBins, 0.0);
}

std::pair<double, double> ActivationObserver::range(int64_t levels) const {
  TORCH_CHECK(!histogram_.empty(), "int8: no calibration histogram");
  const double width = (max_ - min_) / kBins;
  if (width <= 0) return {min_, max_};
  // Expected squared error of quantizing to bins [a, b): clipped values move to the nearer edge, the rest
  // round with a uniform error of step^2 / 12. Bin centres stand in for their values.
  const auto error = [&](int64_t a, int64_t b) {
    const double step = (b - a) * width / static_cast<double>(levels);
    double sum = 0;
    for (int64_t i = 0; i < kBins; ++i) {
      if (histogram_[i] == 0) continue;
      const double distance = i < a ? (a - i - 0.5) * width : i >= b ? (i - b + 0.5) * width : 0;
      sum += histogram_[i] * (i < a || i >= b ? distance * distance : step * step / 12);
    }
    return sum;
  };
  // Shrink from the side whose outer bin holds fewer values, keeping the best range seen.
  int64_t a = 0, b = kBins, best_a = 0, best_b = kBins;
  double best = error(a, b);
  while (b - a > 1) {
    if (histogram_[a] <= histogram_[b - 1]) ++a;
    else --b;
    const double e = error(a, b);
    if (e < best) best = e, best_a = a, best_b = b;
  }
  return {min_ + best_a * width, min_ + best_b * width};
}

}  // namespace ttl
