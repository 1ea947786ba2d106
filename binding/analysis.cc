#include "analysis.h"

#include <cstring>

#include "analysis/cca.h"
#include "analysis/probe.h"
#include "async.h"
#include "convert.h"
#include "core/error.h"

namespace ttl_binding {
namespace {

torch::Tensor to_double_tensor(const Napi::Value& value, const char* what) {
  Napi::Object o = value.As<Napi::Object>();
  if (!o.Get("data").IsTypedArray() || o.Get("data").As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw ttl::Error("E_BAD_INPUT", std::string(what) + ".data must be a Float64Array");
  Napi::Float64Array data = o.Get("data").As<Napi::Float64Array>();
  std::vector<int64_t> shape = to_int_vector(o.Get("shape"));
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  if (numel != static_cast<int64_t>(data.ElementLength()))
    throw ttl::Error("E_BAD_INPUT", std::string(what) + ": shape does not match the data length");
  torch::Tensor out = torch::empty(shape, torch::kFloat64);  // memcpy: no ATen kernel on the JS thread
  std::memcpy(out.data_ptr<double>(), data.Data(), data.ByteLength());
  return out;
}

Napi::Object from_double_tensor(Napi::Env env, const torch::Tensor& tensor) {
  torch::Tensor t = tensor.to(torch::kFloat64).contiguous();
  Napi::Float64Array data = Napi::Float64Array::New(env, t.numel());
  std::memcpy(data.Data(), t.data_ptr<double>(), t.numel() * sizeof(double));
  Napi::Object out = Napi::Object::New(env);
  out.Set("data", data);
  Napi::Array shape = Napi::Array::New(env, t.dim());
  for (int64_t i = 0; i < t.dim(); ++i) shape.Set(i, Napi::Number::New(env, static_cast<double>(t.size(i))));
  out.Set("shape", shape);
  return out;
}

Napi::Value tensor_result(Napi::Env env, torch::Tensor& t) { return from_double_tensor(env, t); }

}  // namespace

Napi::Value Cca(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    torch::Tensor x = to_double_tensor(info[0], "x");
    torch::Tensor y = to_double_tensor(info[1], "y");
    const double epsilon = info[2].As<Napi::Number>().DoubleValue();
    return schedule<torch::Tensor>(info.Env(), [x, y, epsilon] { return ttl::cca_coefficients(x, y, epsilon); }, tensor_result);
  });
}

Napi::Value SvdReduce(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    torch::Tensor x = to_double_tensor(info[0], "x");
    const double keep = info[1].As<Napi::Number>().DoubleValue();
    return schedule<torch::Tensor>(info.Env(), [x, keep] { return ttl::svd_reduce(x, keep); }, tensor_result);
  });
}

Napi::Value FitProbe(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    torch::Tensor train_x = to_float_tensor(info[0], "trainX");
    torch::Tensor train_y = to_label_tensor(info[1]);
    torch::Tensor apply_x = to_float_tensor(info[2], "applyX");
    const int64_t classes = info[3].As<Napi::Number>().Int64Value();
    const double l2 = info[4].As<Napi::Number>().DoubleValue();
    const int64_t iterations = info[5].As<Napi::Number>().Int64Value();
    return schedule<ttl::ProbeResult>(
        info.Env(), [=] { return ttl::fit_linear_probe(train_x, train_y, apply_x, classes, l2, iterations); },
        [](Napi::Env env, ttl::ProbeResult& r) -> Napi::Value {
          Napi::Object out = Napi::Object::New(env);
          out.Set("trainProbs", from_tensor(env, r.train_probs));
          out.Set("applyProbs", from_tensor(env, r.apply_probs));
          return out;
        });
  });
}

}  // namespace ttl_binding
