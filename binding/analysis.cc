#include "analysis.h"

#include <cstring>

#include "analysis/cca.h"
#include "analysis/probe.h"
#include "async.h"
#include "convert.h"
#include "core/error.h"

namespace ttl_binding {
namespace {

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
