#include <dlfcn.h>
#include <malloc.h>
#include <napi.h>

#include "analysis.h"
#include "async.h"
#include "core/cpu_features.h"
#include "core/cpu_limit.h"
#include "convert.h"
#include "core/runtime.h"
#include "engine/quantized_ops.h"
#include "engine/trainer.h"
#include "dist_wrap.h"
#include "model_wrap.h"
#include "store_wrap.h"

namespace ttl_binding {
namespace {

// glibc's defaults cost 10-20% per training step against Python (which tunes them): one arena, large
// tensors via mmap only above 32 MiB, and no trimming of freed memory back to the OS below 1 GiB.
void tune_malloc() {
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

// ATen already splits work across its OpenMP threads; an OpenBLAS that threads inside those regions
// oversubscribes the cores (measured: about 20% slower training steps here). Debian's libblas.so.3 may be
// OpenBLAS or the reference BLAS, so the setter is looked up rather than linked.
void single_threaded_blas() {
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(1);
}

// batchesPerEpoch(samples, batchSize, lastBatch, ranks): the batches an epoch trains (engine/trainer.h plan_epoch),
// for the LR schedule that is laid out before any epoch runs. Validated in TypeScript.
Napi::Value BatchesPerEpoch(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    const auto plan = ttl::plan_epoch(info[0].As<Napi::Number>().Int64Value(), info[1].As<Napi::Number>().Int64Value(),
                                      to_last_batch(info[2].As<Napi::String>()), info[3].As<Napi::Number>().Int64Value());
    return Napi::Number::New(info.Env(), static_cast<double>(plan.trained));
  });
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  return schedule<ttl::RuntimeInfo>(
      info.Env(), [] { return ttl::runtime_info(); },
      [](Napi::Env env, ttl::RuntimeInfo& r) -> Napi::Value {
        Napi::Object out = Napi::Object::New(env);
        out.Set("libtorch", r.libtorch_version);
        out.Set("cudaCompiled", Napi::Boolean::New(env, r.cuda_compiled));
        out.Set("cudaAvailable", Napi::Boolean::New(env, r.cuda_available));
        out.Set("cudaDevices", Napi::Number::New(env, static_cast<double>(r.cuda_devices)));
        out.Set("threads", Napi::Number::New(env, static_cast<double>(r.threads)));
        out.Set("adaptiveThreads", Napi::Boolean::New(env, r.adaptive_threads));
        out.Set("othersBusyCores", Napi::Number::New(env, r.others_busy_cores));
        out.Set("flushDenormal", Napi::Boolean::New(env, r.flush_denormal));
        out.Set("parallelInfo", r.parallel_info);
        out.Set("deterministic", Napi::Boolean::New(env, r.deterministic));
        out.Set("cpuCapability", r.cpu_capability);
        const auto strings = [env](const std::vector<std::string>& list) {
          Napi::Array array = Napi::Array::New(env, list.size());
          for (uint32_t i = 0; i < list.size(); ++i) array.Set(i, list[i]);
          return array;
        };
        out.Set("families", strings(r.families));
        out.Set("quantizedEngines", strings(ttl::supported_quantized_engines()));
        return out;
      });
}

// Synchronous: CPUID and XGETBV only; the loader checks the ISA caps with it before LibTorch runs a kernel.
Napi::Value CpuFeatures(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    const auto features = ttl::cpu_features();
    Napi::Array array = Napi::Array::New(info.Env(), features.size());
    for (uint32_t i = 0; i < features.size(); ++i) array.Set(i, features[i]);
    return array;
  });
}

// Synchronous: it is read once per process from /proc and /sys, and a launcher needs it before any work.
Napi::Value CpuLimit(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    const ttl::CpuLimit& l = ttl::cpu_limit();
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("cores", Napi::Number::New(info.Env(), l.cores));
    out.Set("affinity", Napi::Number::New(info.Env(), l.affinity));
    out.Set("quota", Napi::Number::New(info.Env(), l.quota));
    out.Set("quotaFile", l.quota_file);
    return out;
  });
}

// On the compute thread (which waits the half second), so it measures between tasks, not beside one.
Napi::Value FreeThreads(const Napi::CallbackInfo& info) {
  return schedule<int>(
      info.Env(), [] { return ttl::measure_free_threads(std::chrono::milliseconds(500)); },
      [](Napi::Env env, int& threads) -> Napi::Value { return Napi::Number::New(env, threads); });
}

// On the compute thread, so that it applies from the next task on, in order with the work posted before it.
Napi::Value SetDeterministic(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    const bool on = info[0].As<Napi::Boolean>().Value();
    ComputeThread::instance().post([on] { ttl::set_deterministic(on); });
    return info.Env().Undefined();
  });
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    ComputeThread::instance().set_threads(info[0].As<Napi::Number>().Int64Value());
    return info.Env().Undefined();
  });
}

// Sync, from the main thread's 'exit' event (src/native/loader.ts).
Napi::Value StopComputeThread(const Napi::CallbackInfo& info) {
  ComputeThread::stop();
  return info.Env().Undefined();
}

}  // namespace
}  // namespace ttl_binding

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  using namespace ttl_binding;
  tune_malloc();
  single_threaded_blas();
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("setDeterministic", Napi::Function::New(env, SetDeterministic));
  exports.Set("stopComputeThread", Napi::Function::New(env, StopComputeThread));
  exports.Set("cpuLimit", Napi::Function::New(env, CpuLimit));
  exports.Set("cpuFeatures", Napi::Function::New(env, CpuFeatures));
  exports.Set("freeThreads", Napi::Function::New(env, FreeThreads));
  exports.Set("batchesPerEpoch", Napi::Function::New(env, BatchesPerEpoch));
  exports.Set("createModel", Napi::Function::New(env, ModelWrap::Create));
  exports.Set("Model", ModelWrap::Init(env));
  exports.Set("Store", StoreWrap::Init(env));
  exports.Set("DistStore", DistStoreWrap::Init(env));
  exports.Set("DistGroup", DistGroupWrap::Init(env));
  exports.Set("distributedSupport", Napi::Function::New(env, DistributedSupport));
  exports.Set("cca", Napi::Function::New(env, Cca));
  exports.Set("svdReduce", Napi::Function::New(env, SvdReduce));
  exports.Set("fitProbe", Napi::Function::New(env, FitProbe));
  return exports;
}

NODE_API_MODULE(ttl_torch, InitAddon)
