#include "model_wrap.h"

#include "async.h"
#include "convert.h"
#include "fields.h"
#include "core/error.h"
#include "core/init.h"
#include "core/runtime.h"
#include "engine/complexity.h"
#include "engine/latency.h"
#include "engine/evaluation.h"
#include "analysis/features.h"
#include "analysis/grad_cam.h"
#include "dist_wrap.h"
#include "store_wrap.h"

#include <optional>

namespace ttl_binding {
namespace {

Napi::FunctionReference& constructor_ref(Napi::Env env) { return *env.GetInstanceData<Napi::FunctionReference>(); }

// Marks a model call as pending (acquire() counted it) until its Promise settles on the JS thread.
class PendingGuard {
 public:
  explicit PendingGuard(std::shared_ptr<ModelState> state) : state_(std::move(state)) {}
  ~PendingGuard() { state_->pending--; }

 private:
  std::shared_ptr<ModelState> state_;
};

// A model's own thread count for one compute-thread task; the process-wide count is back afterwards, so
// models and predictors with different settings share the compute thread without leaking theirs.
class ThreadScope {
 public:
  explicit ThreadScope(int threads) : saved_(at::get_num_threads()), active_(threads > 0 && threads != saved_) {
    if (active_) at::set_num_threads(threads);
  }
  ~ThreadScope() {
    if (active_) at::set_num_threads(saved_);
  }

 private:
  int saved_;
  bool active_;
};

template <typename R>
Napi::Promise run(Napi::Env env, std::shared_ptr<ModelState> state, std::function<R(ModelState&)> work,
                  std::function<Napi::Value(Napi::Env, R&)> to_js) {
  auto pending = std::make_shared<PendingGuard>(state);
  return schedule<R>(
      env,
      [state, work = std::move(work)]() {
        ThreadScope threads(state->threads);
        return work(*state);
      },
      std::move(to_js), std::move(pending));
}

Napi::Value undefined_result(Napi::Env env, bool&) { return env.Undefined(); }

}  // namespace

torch::Tensor ModelState::infer(const torch::Tensor& input) {
  if (int8_stale) throw ttl::Error("E_BAD_ARGUMENT", "the weights changed after quantizeForInference(): quantize again");
  if (int8) return int8->forward(input);
  // Autocast (a training setting) is not folded: such a model keeps computing like its training.
  if (!serving || !autocast.empty()) {
    torch::NoGradGuard no_grad;
    net->eval();
    return net->forward(input);
  }
  if (!inference) inference = std::make_unique<ttl::InferenceNetwork>(spec, *net, input.slice(0, 0, 1));
  return inference->forward(input);
}

Napi::Function ModelWrap::Init(Napi::Env env) {
  Napi::Function ctor = DefineClass(env, "Model",
                                    {
                                        InstanceMethod("units", &ModelWrap::Units),
                                        InstanceMethod("device", &ModelWrap::Device),
                                        InstanceMethod("forward", &ModelWrap::Forward),
                                        InstanceMethod("complexity", &ModelWrap::Complexity),
                                        InstanceMethod("loadState", &ModelWrap::LoadState),
                                        InstanceMethod("planState", &ModelWrap::PlanState),
                                        InstanceMethod("state", &ModelWrap::State),
                                        InstanceMethod("trainStep", &ModelWrap::TrainStep),
                                        InstanceMethod("configureTraining", &ModelWrap::ConfigureTraining),
                                        InstanceMethod("trainEpoch", &ModelWrap::TrainEpoch),
                                        InstanceMethod("predict", &ModelWrap::Predict),
                                        InstanceMethod("preprocess", &ModelWrap::Preprocess),
                                        InstanceMethod("evaluate", &ModelWrap::Evaluate),
                                        InstanceMethod("snapshot", &ModelWrap::Snapshot),
                                        InstanceMethod("restore", &ModelWrap::Restore),
                                        InstanceMethod("cancel", &ModelWrap::Cancel),
                                        InstanceMethod("pending", &ModelWrap::Pending),
                                        InstanceMethod("trainingGroups", &ModelWrap::TrainingGroups),
                                        InstanceMethod("latency", &ModelWrap::Latency),
                                        InstanceMethod("optimizeForInference", &ModelWrap::OptimizeForInference),
                                        InstanceMethod("quantizeForInference", &ModelWrap::QuantizeForInference),
                                        InstanceMethod("features", &ModelWrap::Features),
                                        InstanceMethod("gradCam", &ModelWrap::GradCam),
                                        InstanceMethod("dispose", &ModelWrap::Dispose),
                                        InstanceMethod("setGroup", &ModelWrap::SetGroup),
                                        InstanceMethod("broadcastState", &ModelWrap::BroadcastState),
                                    });
  env.SetInstanceData(new Napi::FunctionReference(Napi::Persistent(ctor)));
  return ctor;
}

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
  if (info.Length() != 1 || !info[0].IsExternal())
    throw Napi::TypeError::New(info.Env(), "Model cannot be constructed directly: use createModel()");
  state_ = *info[0].As<Napi::External<std::shared_ptr<ModelState>>>().Data();
}

Napi::Value ModelWrap::Create(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    ttl::ArchSpec spec = to_arch_spec(info[0]);
    Fields options(info[1], "model options", {"device", "seed", "threads", "memoryFormat"});
    const std::string device = options.string("device");
    const int64_t seed = options.integer("seed");
    const int threads = static_cast<int>(options.integer("threads"));
    const std::string memory_format = options.string("memoryFormat");
    using Result = std::shared_ptr<ModelState>;
    return schedule<Result>(
        env,
        [spec, device, seed, threads, memory_format]() {
          torch::manual_seed(static_cast<uint64_t>(seed));
          auto state = std::make_shared<ModelState>();
          state->threads = threads;
          state->spec = spec;
          state->device = ttl::resolve_device(device);
          state->net = ttl::build_backbone(spec);
          ttl::init_like_torchvision(*state->net);
          state->net->to(state->device);
          if (ttl::wants_channels_last(memory_format, *state->net, state->device)) state->net->use_channels_last();
          state->net->eval();
          return state;
        },
        [](Napi::Env env, Result& state) -> Napi::Value {
          auto* holder = new std::shared_ptr<ModelState>(state);
          auto external = Napi::External<std::shared_ptr<ModelState>>::New(
              env, holder, [](Napi::Env, std::shared_ptr<ModelState>* p) { delete p; });
          return constructor_ref(env).New({external});
        });
  });
}

std::shared_ptr<ModelState> ModelWrap::acquire(Napi::Env env) {
  if (!state_) throw make_error(env, "E_DISPOSED", "the model was disposed");
  state_->pending++;
  return state_;
}

Napi::Value ModelWrap::Units(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (!state_) throw make_error(info.Env(), "E_DISPOSED", "the model was disposed");
    const auto& units = state_->net->units();
    Napi::Array out = Napi::Array::New(info.Env(), units.size());
    for (size_t i = 0; i < units.size(); ++i) out.Set(i, from_unit(info.Env(), units[i]));
    return out;
  });
}

Napi::Value ModelWrap::Device(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (!state_) throw make_error(info.Env(), "E_DISPOSED", "the model was disposed");
    return Napi::String::New(info.Env(), state_->device.str());
  });
}

Napi::Value ModelWrap::Forward(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    torch::Tensor input = to_float_tensor(info[0], "input");
    std::vector<int64_t> capture_list = to_int_vector(info[1]);
    std::set<int64_t> capture(capture_list.begin(), capture_list.end());
    return run<ttl::ForwardResult>(
        env, acquire(env),
        [input, capture](ModelState& s) {
          ttl::ForwardResult r;
          if (capture.empty()) {
            r.output = s.infer(input.to(s.device));
          } else {
            torch::NoGradGuard no_grad;
            s.net->eval();
            r = s.net->forward_capture(input.to(s.device), capture);
          }
          // Conversions happen here, on the compute thread, so the JS thread only copies memory.
          r.output = r.output.to(torch::kCPU, torch::kFloat32).contiguous();
          for (auto& [unit, t] : r.captured) t = t.to(torch::kCPU, torch::kFloat32).contiguous();
          return r;
        },
        [](Napi::Env env, ttl::ForwardResult& r) -> Napi::Value {
          Napi::Object out = Napi::Object::New(env);
          out.Set("output", from_tensor(env, r.output));
          Napi::Object captured = Napi::Object::New(env);
          for (const auto& [unit, t] : r.captured) captured.Set(std::to_string(unit), from_tensor(env, t));
          out.Set("captured", captured);
          return out;
        });
  });
}

Napi::Value ModelWrap::Complexity(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    std::vector<int64_t> shape = to_int_vector(info[0]);
    const int64_t head_classes = info[1].As<Napi::Number>().Int64Value();
    return run<ttl::Complexity>(
        env, acquire(env), [shape, head_classes](ModelState& s) { return ttl::measure_complexity(*s.net, shape, head_classes); },
        [](Napi::Env env, ttl::Complexity& c) -> Napi::Value { return from_complexity(env, c); });
  });
}

Napi::Value ModelWrap::LoadState(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    std::vector<BorrowedTensor> source = borrow_state_dict(info[0].As<Napi::Array>());
    ttl::LoadOptions options = to_load_options(info[1]);
    return run<ttl::LoadReport>(
        env, acquire(env),
        [source = std::move(source), options](ModelState& s) {
          s.weights_changed();
          return ttl::load_state_dict(*s.net, copy_state_dict(source), options);
        },
        [](Napi::Env env, ttl::LoadReport& r) -> Napi::Value { return from_load_report(env, r); });
  });
}

Napi::Value ModelWrap::PlanState(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    std::map<std::string, std::vector<int64_t>> shapes;
    Napi::Array entries = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < entries.Length(); ++i) {
      Fields entry(entries.Get(i), "state entry", {"name", "shape"});
      shapes[entry.string("name")] = entry.integers("shape");
    }
    ttl::LoadOptions options = to_load_options(info[1]);
    return run<ttl::LoadPlan>(
        env, acquire(env),
        [shapes = std::move(shapes), options](ModelState& s) { return ttl::plan_state_dict(*s.net, shapes, options); },
        [](Napi::Env env, ttl::LoadPlan& plan) -> Napi::Value {
          Napi::Object out = Napi::Object::New(env);
          out.Set("report", from_load_report(env, plan.report));
          Napi::Array keys = Napi::Array::New(env, plan.keys.size());
          for (size_t i = 0; i < plan.keys.size(); ++i) keys.Set(i, Napi::String::New(env, plan.keys[i]));
          out.Set("keys", keys);
          return out;
        });
  });
}

Napi::Value ModelWrap::State(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    return run<ttl::StateDict>(
        env, acquire(env), [](ModelState& s) { return ttl::state_dict(*s.net); },
        [](Napi::Env env, ttl::StateDict& state) -> Napi::Value { return from_state_dict(env, state); });
  });
}

Napi::Value ModelWrap::ConfigureTraining(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    ttl::OptimOptions options = to_optim_options(info[0]);
    return run<bool>(
        env, acquire(env),
        [options](ModelState& s) {
          s.trainer = std::make_unique<ttl::Trainer>(*s.net, options);
          s.trainer->set_data_parallel(s.parallel);
          s.autocast = options.autocast;
          return true;
        },
        undefined_result);
  });
}

Napi::Value ModelWrap::TrainStep(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    torch::Tensor input = to_float_tensor(info[0], "input");
    torch::Tensor targets = to_target_tensor(info[1]);
    return run<double>(
        env, acquire(env),
        [input, targets](ModelState& s) {
          if (!s.trainer) throw ttl::Error("E_BAD_ARGUMENT", "configure training before calling trainStep");
          s.weights_changed();
          return s.trainer->step(input.to(s.device), targets.to(s.device, torch::kInt64));
        },
        [](Napi::Env env, double& loss) -> Napi::Value { return Napi::Number::New(env, loss); });
  });
}

Napi::Value ModelWrap::TrainEpoch(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto store = StoreWrap::from(info[0]);
    ttl::PipelineOptions pipeline = to_pipeline_options(info[1]);
    Fields o(info[2], "epoch options", {"batchSize", "seed", "epoch", "lastBatch"});
    const int64_t batch_size = o.integer("batchSize");
    const ttl::LastBatch last_batch = to_last_batch(o.string("lastBatch"));
    const uint64_t seed = static_cast<uint64_t>(o.integer("seed"));
    const int64_t epoch = o.integer("epoch");
    // The cancel flag is sticky (cancel(false) clears it): an abort that lands between epochs or during
    // validation must still stop the next epoch.
    auto state = acquire(env);
    auto pending = std::make_shared<PendingGuard>(state);
    std::optional<Napi::ThreadSafeFunction> progress;
    if (info[3].IsFunction())
      progress = Napi::ThreadSafeFunction::New(env, info[3].As<Napi::Function>(), "ttl-torch progress", 0, 1);
    std::shared_ptr<ttl::EpochRun> epoch_run;
    ttl::Trainer* trainer = nullptr;
    struct Release {
      std::optional<Napi::ThreadSafeFunction> f;
      ~Release() {
        if (f) f->Release();
      }
    };
    // Built in place: a temporary Release would release the function when it is destroyed.
    auto release = std::make_shared<Release>();
    release->f = progress;
    std::function<std::optional<ttl::EpochStats>()> step =
        [state, release, store, pipeline, batch_size, last_batch, seed, epoch, epoch_run, trainer]() mutable -> std::optional<ttl::EpochStats> {
      ModelState& s = *state;
      ThreadScope threads(s.threads);
      if (!s.trainer) throw ttl::Error("E_BAD_ARGUMENT", "configure training before calling trainEpoch");
      if (s.cancel.load()) throw ttl::Error("E_CANCELLED", "training was cancelled");
      if (!epoch_run) {
        trainer = s.trainer.get();
        ttl::Shard shard;
        if (s.group) shard = {s.group->rank(), s.group->world_size()};
        epoch_run = std::make_shared<ttl::EpochRun>(*s.trainer, *store, pipeline, batch_size, seed, epoch, last_batch, shard);
      }
      // Other calls on this model may run between batches; one that replaced the trainer ends the epoch.
      if (s.trainer.get() != trainer)
        throw ttl::Error("E_BUSY", "training was reconfigured (configureTraining) during an epoch");
      auto report = [&](const ttl::BatchProgress& p) {
        if (!release->f) return;
        auto* copy = new ttl::BatchProgress(p);
        release->f->NonBlockingCall(copy, [](Napi::Env env, Napi::Function fn, ttl::BatchProgress* p) {
          std::unique_ptr<ttl::BatchProgress> owned(p);
          Napi::Object event = Napi::Object::New(env);
          event.Set("batch", Napi::Number::New(env, static_cast<double>(p->batch)));
          event.Set("batches", Napi::Number::New(env, static_cast<double>(p->batches)));
          event.Set("loss", Napi::Number::New(env, p->loss));
          fn.Call({event});
        });
      };
      s.weights_changed();
      if (epoch_run->next(report)) return std::nullopt;
      return epoch_run->stats();
    };
    return schedule_steps<ttl::EpochStats>(
        env, std::move(step),
        [](Napi::Env env, ttl::EpochStats& stats) -> Napi::Value {
          Napi::Object out = Napi::Object::New(env);
          out.Set("loss", Napi::Number::New(env, stats.loss));
          out.Set("batches", Napi::Number::New(env, static_cast<double>(stats.batches)));
          out.Set("samples", Napi::Number::New(env, static_cast<double>(stats.samples)));
          out.Set("lr", Napi::Number::New(env, stats.lr));
          return out;
        },
        Lane::Background, pending);
  });
}

namespace {
// Data-parallel evaluation: each rank takes its rows [rank*n/ranks, (rank+1)*n/ranks) and every rank gets all
// rows back in order. A store too small to give each rank two rows is taken whole everywhere (the same
// result, no collective).
bool splits_rows(const ModelState& s, const ttl::ImageStore& store) {
  return s.group && store.size() >= 2 * s.group->world_size();
}

ttl::ImageStore rank_rows(const ModelState& s, const ttl::ImageStore& store) {
  const int64_t n = store.size(), ranks = s.group->world_size(), rank = s.group->rank();
  const int64_t begin = rank * n / ranks, end = (rank + 1) * n / ranks;
  const auto rows = [&](const torch::Tensor& t) { return t.defined() ? t.slice(0, begin, end) : torch::Tensor(); };
  return {store.images.slice(0, begin, end), store.labels.slice(0, begin, end), rows(store.masks), rows(store.targets), store.color};
}
}  // namespace

template <typename R>
Napi::Value ModelWrap::OverStore(const Napi::CallbackInfo& info, StoreWork<R> work, std::function<Napi::Value(Napi::Env, R&)> to_js) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto store = StoreWrap::from(info[0]);
    ttl::PipelineOptions pipeline = to_pipeline_options(info[1]);
    const int64_t batch_size = info[2].As<Napi::Number>().Int64Value();
    return run<R>(
        env, acquire(env), [store, pipeline, batch_size, work](ModelState& s) { return work(s, *store, pipeline, batch_size); },
        std::move(to_js));
  });
}

Napi::Value ModelWrap::Predict(const Napi::CallbackInfo& info) {
  return OverStore<torch::Tensor>(info, [](ModelState& s, const ttl::ImageStore& store, const ttl::PipelineOptions& p, int64_t batch) {
    const auto forward = [&s](const torch::Tensor& x) { return s.infer(x); };
    const bool multi_label = s.net->multi_label();
    if (!splits_rows(s, store)) return ttl::predict(forward, s.device, store, p, batch, s.autocast, multi_label, &s.cancel);
    return s.group->gather_rows(
        ttl::predict(forward, s.device, rank_rows(s, store), p, batch, s.autocast, multi_label, &s.cancel).contiguous());
  }, [](Napi::Env env, torch::Tensor& t) -> Napi::Value { return from_tensor(env, t); });
}

// The eval pipeline's output for the whole store, [N, C, spatial...] on the CPU: what predict() feeds the network,
// for another engine (onnxruntime) to run.
Napi::Value ModelWrap::Preprocess(const Napi::CallbackInfo& info) {
  return OverStore<torch::Tensor>(info, [](ModelState& s, const ttl::ImageStore& store, const ttl::PipelineOptions& p, int64_t batch) {
    std::vector<torch::Tensor> parts;
    ttl::for_each_batch(store, p, batch, torch::kCPU, [&](const ttl::Batch& b, const torch::Tensor&) { parts.push_back(b.input); }, &s.cancel);
    return torch::cat(parts, 0).contiguous();
  }, [](Napi::Env env, torch::Tensor& t) -> Napi::Value { return from_tensor(env, t); });
}

Napi::Value ModelWrap::Evaluate(const Napi::CallbackInfo& info) {
  return OverStore<ttl::Evaluation>(info, [](ModelState& s, const ttl::ImageStore& store, const ttl::PipelineOptions& p, int64_t batch) {
    const torch::Tensor weights = s.trainer ? s.trainer->class_weights() : torch::Tensor();
    const torch::Tensor pos_weight = s.trainer ? s.trainer->pos_weight() : torch::Tensor();
    const bool split = splits_rows(s, store);
    ttl::Evaluation e =
        ttl::evaluate(*s.net, split ? rank_rows(s, store) : store, p, batch, s.autocast, weights, pos_weight, &s.cancel);
    // Converted here, on the compute thread, so the JS thread only copies memory.
    e.scores = e.scores.to(torch::kFloat64).contiguous();
    if (split) e = {s.group->gather_rows(e.scores), s.group->gather_rows(e.loss.contiguous())};
    return e;
  }, [](Napi::Env env, ttl::Evaluation& e) -> Napi::Value {
    Napi::Object out = Napi::Object::New(env);
    out.Set("scores", from_double_tensor(env, e.scores));
    out.Set("loss", from_double_tensor(env, e.loss));
    return out;
  });
}

Napi::Value ModelWrap::Snapshot(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    return run<bool>(
        env, acquire(env),
        [](ModelState& s) {
          s.snapshot.clear();
          for (auto& [name, t] : ttl::state_dict(*s.net)) s.snapshot[name] = t.clone();
          return true;
        },
        undefined_result);
  });
}

Napi::Value ModelWrap::Restore(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    return run<bool>(
        env, acquire(env),
        [](ModelState& s) {
          if (s.snapshot.empty()) throw ttl::Error("E_BAD_ARGUMENT", "no snapshot to restore");
          s.weights_changed();
          ttl::load_state_dict(*s.net, s.snapshot, {});
          return true;
        },
        undefined_result);
  });
}

Napi::Value ModelWrap::TrainingGroups(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    using Groups = std::vector<std::pair<double, std::vector<std::string>>>;
    return run<Groups>(
        env, acquire(env),
        [](ModelState& s) {
          if (!s.trainer) throw ttl::Error("E_BAD_ARGUMENT", "training is not configured");
          return s.trainer->groups();
        },
        [](Napi::Env env, Groups& groups) -> Napi::Value {
          Napi::Array out = Napi::Array::New(env, groups.size());
          for (size_t i = 0; i < groups.size(); ++i) {
            Napi::Object g = Napi::Object::New(env);
            g.Set("lr", Napi::Number::New(env, groups[i].first));
            Napi::Array names = Napi::Array::New(env, groups[i].second.size());
            for (size_t j = 0; j < groups[i].second.size(); ++j) names.Set(j, groups[i].second[j]);
            g.Set("params", names);
            out.Set(i, g);
          }
          return out;
        });
  });
}

Napi::Value ModelWrap::Latency(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    std::vector<int64_t> shape = to_int_vector(info[0]);
    const int64_t warmup = info[1].As<Napi::Number>().Int64Value();
    const int64_t runs = info[2].As<Napi::Number>().Int64Value();
    return run<std::vector<double>>(
        env, acquire(env),
        [shape, warmup, runs](ModelState& s) {
          return ttl::measure_latency([&s](const torch::Tensor& x) { return s.infer(x); }, s.device, shape, warmup, runs);
        },
        [](Napi::Env env, std::vector<double>& times) -> Napi::Value {
          Napi::Float64Array out = Napi::Float64Array::New(env, times.size());
          std::copy(times.begin(), times.end(), out.Data());
          return out;
        });
  });
}

Napi::Value ModelWrap::OptimizeForInference(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    // With an input shape ([C, spatial...]) the copy is built now, from a random probe; otherwise from the
    // first input served.
    std::vector<int64_t> shape = info[0].IsArray() ? to_int_vector(info[0]) : std::vector<int64_t>{};
    using Info = std::optional<std::pair<std::string, int64_t>>;
    return run<Info>(
        env, acquire(env),
        [shape](ModelState& s) -> Info {
          s.serving = true;
          s.int8.reset();  // back to the float serving copy
          s.int8_stale = false;
          if (shape.empty()) return std::nullopt;
          std::vector<int64_t> probe_shape = {1};
          probe_shape.insert(probe_shape.end(), shape.begin(), shape.end());
          s.weights_changed();
          s.infer(torch::randn(probe_shape, torch::TensorOptions().device(s.device)));
          if (!s.inference) return std::nullopt;  // autocast: not served from a copy
          return std::make_pair(ttl::to_string(s.inference->layout()), s.inference->folded_norms());
        },
        [](Napi::Env env, Info& result) -> Napi::Value {
          if (!result) return env.Undefined();
          Napi::Object out = Napi::Object::New(env);
          out.Set("layout", result->first);
          out.Set("foldedNorms", Napi::Number::New(env, static_cast<double>(result->second)));
          return out;
        });
  });
}

Napi::Value ModelWrap::QuantizeForInference(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    std::vector<std::shared_ptr<const ttl::ImageStore>> stores;
    Napi::Array list = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) stores.push_back(StoreWrap::from(list.Get(i)));
    ttl::PipelineOptions pipeline = to_pipeline_options(info[1]);
    const int64_t batch_size = info[2].As<Napi::Number>().Int64Value();
    const std::string engine = info[3].As<Napi::String>().Utf8Value();
    struct Info {
      std::string engine;
      int64_t convolutions, images, fused_sums;
    };
    return run<Info>(
        env, acquire(env),
        [stores, pipeline, batch_size, engine](ModelState& s) {
          s.int8.reset();  // the old copy's memory back before the new one is built
          s.int8 = ttl::quantize_resnet(s.spec, *s.net, stores, pipeline, batch_size, engine, &s.cancel);
          s.int8_stale = false;
          s.serving = true;
          return Info{s.int8->engine(), s.int8->convolutions(), s.int8->calibration_images(), s.int8->fused_sums()};
        },
        [](Napi::Env env, Info& result) -> Napi::Value {
          Napi::Object out = Napi::Object::New(env);
          out.Set("engine", result.engine);
          out.Set("convolutions", Napi::Number::New(env, static_cast<double>(result.convolutions)));
          out.Set("calibrationImages", Napi::Number::New(env, static_cast<double>(result.images)));
          out.Set("fusedSums", Napi::Number::New(env, static_cast<double>(result.fused_sums)));
          return out;
        });
  });
}

Napi::Value ModelWrap::Features(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto store = StoreWrap::from(info[0]);
    ttl::PipelineOptions pipeline = to_pipeline_options(info[1]);
    std::vector<int64_t> list = to_int_vector(info[2]);
    std::set<int64_t> units(list.begin(), list.end());
    if (units.empty()) throw ttl::Error("E_BAD_ARGUMENT", "name at least one unit");
    const int64_t batch_size = info[3].As<Napi::Number>().Int64Value();
    const int64_t spatial = info[4].As<Napi::Number>().Int64Value();
    using Result = std::map<int64_t, torch::Tensor>;
    return run<Result>(
        env, acquire(env),
        [store, pipeline, units, batch_size, spatial](ModelState& s) {
          return ttl::extract_features(*s.net, *store, pipeline, units, batch_size, spatial);
        },
        [](Napi::Env env, Result& features) -> Napi::Value {
          Napi::Object out = Napi::Object::New(env);
          for (auto& [unit, t] : features) out.Set(std::to_string(unit), from_tensor(env, t));
          return out;
        });
  });
}

Napi::Value ModelWrap::GradCam(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    torch::Tensor input = to_float_tensor(info[0], "input");
    const int64_t unit = info[1].As<Napi::Number>().Int64Value();
    const int64_t target = info[2].As<Napi::Number>().Int64Value();
    return run<torch::Tensor>(
        env, acquire(env), [input, unit, target](ModelState& s) { return ttl::grad_cam(*s.net, input.to(s.device), unit, target); },
        [](Napi::Env env, torch::Tensor& cam) -> Napi::Value { return from_tensor(env, cam); });
  });
}

Napi::Value ModelWrap::Cancel(const Napi::CallbackInfo& info) {
  if (state_) state_->cancel = info.Length() == 0 || info[0].ToBoolean().Value();
  return info.Env().Undefined();
}

Napi::Value ModelWrap::Pending(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), state_ ? state_->pending.load() : 0);
}

Napi::Value ModelWrap::Dispose(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    if (state_ && state_->pending > 0)
      throw make_error(info.Env(), "E_BUSY", "cannot dispose a model while " + std::to_string(state_->pending.load()) +
                                                 " call(s) on it are running");
    state_.reset();
    return info.Env().Undefined();
  });
}

Napi::Value ModelWrap::SetGroup(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    std::shared_ptr<ttl::dist::Group> group;
    std::shared_ptr<ttl::DataParallel> parallel;
    if (!info[0].IsNull() && !info[0].IsUndefined()) {
      group = DistGroupWrap::from(info[0]);
      parallel = std::make_shared<ttl::dist::GroupDataParallel>(group, to_data_parallel_options(info[1]));
    }
    // Swapped on the compute thread, between steps that may be using the old group.
    return run<bool>(
        env, acquire(env),
        [group, parallel](ModelState& s) {
          s.group = group;
          s.parallel = parallel;
          if (s.trainer) s.trainer->set_data_parallel(parallel);
          return true;
        },
        undefined_result);
  });
}

Napi::Value ModelWrap::BroadcastState(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const int root = info[0].As<Napi::Number>().Int32Value();
    return run<bool>(
        env, acquire(env),
        [root](ModelState& s) {
          if (!s.group) throw ttl::Error("E_BAD_ARGUMENT", "broadcastState needs a process group (setGroup first)");
          torch::NoGradGuard no_grad;
          std::vector<torch::Tensor> tensors;
          // state_dict is ordered by name: the same order on every rank.
          for (auto& [name, t] : ttl::state_dict(*s.net)) tensors.push_back(t);
          s.group->broadcast(tensors, root);
          return true;
        },
        undefined_result);
  });
}

}  // namespace ttl_binding
