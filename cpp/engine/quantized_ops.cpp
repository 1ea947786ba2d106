#include "engine/quantized_ops.h"

#include <ATen/Context.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/error.h"
#include "engine/boxed_op.h"

namespace ttl {
namespace {

// Fastest first, as `npm run bench -- int8` measured every engine on an AVX2 CPU without VNNI (ResNet-50 cut at
// k = 17/14/12, batch 1): bench/results/int8.json.
const char* const kEnginePreference[] = {"onednn", "fbgemm", "x86", "qnnpack"};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::vector<std::string> supported_quantized_engines() {
  std::vector<std::string> names;
  for (at::QEngine e : at::globalContext().supportedQEngines())
    if (e != at::kNoQEngine) names.push_back(lower(c10::toString(e)));
  return names;
}

std::string select_quantized_engine(const std::string& requested) {
  const std::vector<std::string> names = supported_quantized_engines();
  const auto has = [&](const std::string& name) { return std::find(names.begin(), names.end(), name) != names.end(); };
  std::string list;
  for (const std::string& name : names) list += (list.empty() ? "" : ", ") + name;
  std::string chosen = requested;
  for (const char* preferred : kEnginePreference)
    if (chosen.empty() && has(preferred)) chosen = preferred;
  if (chosen.empty()) throw Error("E_INT8_UNSUPPORTED", "this LibTorch has no quantized CPU engine");
  if (!has(chosen)) throw Error("E_BAD_ARGUMENT", "this LibTorch has no quantized engine '" + chosen + "' (it has: " + list + ")");
  for (at::QEngine e : at::globalContext().supportedQEngines())
    if (lower(c10::toString(e)) == chosen) at::globalContext().setQEngine(e);
  return chosen;
}

int64_t activation_levels(const std::string& engine) { return engine == "fbgemm" || engine == "x86" ? 127 : 255; }

QuantParams activation_params(double min, double max, int64_t levels) {
  const double qmax = static_cast<double>(levels);
  min = std::min(min, 0.0);
  max = std::max(max, 0.0);
  QuantParams p;
  p.scale = std::max((max - min) / qmax, 1e-8);
  p.zero_point = std::clamp<int64_t>(std::llround(-min / p.scale), 0, static_cast<int64_t>(qmax));
  return p;
}

c10::IValue pack_conv2d(const torch::Tensor& weight, const torch::Tensor& bias, at::IntArrayRef stride,
                        at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups) {
  const torch::Tensor w = weight.to(torch::kFloat).contiguous();
  const torch::Tensor scales = (w.abs().amax({1, 2, 3}) / 127.0).clamp_min(1e-12).to(torch::kDouble);
  const torch::Tensor zeros = torch::zeros({w.size(0)}, torch::kLong);
  const torch::Tensor q = at::quantize_per_channel(w, scales, zeros, 0, torch::kQInt8);
  static const c10::OperatorHandle prepack = require_op("quantized::conv2d_prepack", "");
  return call_op_value(prepack, {q, bias.to(torch::kFloat), stride.vec(), padding.vec(), dilation.vec(), groups});
}

torch::Tensor quantized_conv2d(const torch::Tensor& input, const c10::IValue& packed, const QuantParams& out, bool relu) {
  static const c10::OperatorHandle conv = require_op("quantized::conv2d", "new");
  static const c10::OperatorHandle conv_relu = require_op("quantized::conv2d_relu", "new");
  return call_op(relu ? conv_relu : conv, {input, packed, out.scale, out.zero_point});
}

torch::Tensor quantized_add_relu(const torch::Tensor& a, const torch::Tensor& b, const QuantParams& out) {
  static const c10::OperatorHandle add_relu = require_op("quantized::add_relu", "");
  return call_op(add_relu, {a, b, out.scale, out.zero_point});
}

bool has_quantized_conv2d_add_relu(const std::string& engine) {
  return engine == "onednn" && find_op("quantized::conv2d_add_relu", "").has_value();
}

torch::Tensor quantized_conv2d_add_relu(const torch::Tensor& input, const torch::Tensor& accum, const c10::IValue& packed,
                                        const QuantParams& out) {
  static const c10::OperatorHandle conv_add_relu = require_op("quantized::conv2d_add_relu", "");
  return call_op(conv_add_relu, {input, accum, packed, out.scale, out.zero_point});
}

}  // namespace ttl
