#pragma once
#include <napi.h>

namespace ttl_binding {

// cca(x, y, epsilon) and svdReduce(x, keepFraction): float64 {data, shape} in, float64 out, on the
// compute thread.
Napi::Value Cca(const Napi::CallbackInfo& info);
Napi::Value SvdReduce(const Napi::CallbackInfo& info);
// fitProbe(trainX, trainY, applyX, numClasses, l2, iterations) -> {trainProbs, applyProbs}
Napi::Value FitProbe(const Napi::CallbackInfo& info);

}  // namespace ttl_binding
