#pragma once
#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>

#include "core/arch.h"
#include "core/backbone.h"
#include "dist/data_parallel.h"
#include "dist/group.h"
#include "engine/inference_network.h"
#include "engine/int8_resnet.h"
#include "engine/trainer.h"
#include "weights/state_dict.h"

namespace ttl_binding {

// Everything a JS Model owns; shared with queued compute-thread work so it outlives a dispose().
struct ModelState {
  ttl::ArchSpec spec;
  ttl::Backbone net;
  torch::Device device = torch::kCPU;
  std::unique_ptr<ttl::Trainer> trainer;
  std::string autocast;
  ttl::StateDict snapshot;        // in-memory copy of the best weights so far
  std::atomic<bool> cancel{false};  // sticky: set by cancel(), cleared only by cancel(false)
  std::atomic<int> pending{0};
  int threads = 0;                  // intra-op threads for this model's tasks; 0: the process-wide setting
  std::shared_ptr<ttl::dist::Group> group;  // data-parallel: batches and evaluation are split over its ranks
  std::shared_ptr<ttl::DataParallel> parallel;  // with a group: what training steps do over it
  // Set by optimizeForInference(): forward, predict and latency then run `inference`, a folded copy built
  // from the first input it sees and dropped whenever the weights change.
  bool serving = false;
  std::unique_ptr<ttl::InferenceNetwork> inference;
  // Set by quantizeForInference(): serving runs this int8 copy instead. It cannot be rebuilt without its
  // calibration images, so after a weight change predictions are refused rather than served in float.
  std::unique_ptr<ttl::Int8ResNet> int8;
  bool int8_stale = false;

  // The eval-mode output of `net` for `input`, through the inference copy when serving.
  torch::Tensor infer(const torch::Tensor& input);
  // The weights changed: a serving copy is stale.
  void weights_changed() {
    inference.reset();
    int8_stale = int8_stale || int8;
    int8.reset();
  }
};

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  // create(spec, {device, seed}) -> Promise<Model>
  static Napi::Value Create(const Napi::CallbackInfo& info);
  explicit ModelWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Units(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value Forward(const Napi::CallbackInfo& info);
  Napi::Value Complexity(const Napi::CallbackInfo& info);
  Napi::Value LoadState(const Napi::CallbackInfo& info);
  Napi::Value PlanState(const Napi::CallbackInfo& info);
  Napi::Value Preprocess(const Napi::CallbackInfo& info);
  Napi::Value State(const Napi::CallbackInfo& info);
  Napi::Value TrainStep(const Napi::CallbackInfo& info);
  Napi::Value ConfigureTraining(const Napi::CallbackInfo& info);
  Napi::Value TrainEpoch(const Napi::CallbackInfo& info);
  Napi::Value Predict(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value Snapshot(const Napi::CallbackInfo& info);
  Napi::Value Restore(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value Pending(const Napi::CallbackInfo& info);
  Napi::Value TrainingGroups(const Napi::CallbackInfo& info);
  Napi::Value Latency(const Napi::CallbackInfo& info);
  Napi::Value OptimizeForInference(const Napi::CallbackInfo& info);
  Napi::Value QuantizeForInference(const Napi::CallbackInfo& info);
  Napi::Value Features(const Napi::CallbackInfo& info);
  Napi::Value GradCam(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value SetGroup(const Napi::CallbackInfo& info);
  Napi::Value BroadcastState(const Napi::CallbackInfo& info);

  // Runs `work` over the whole store (arguments: store, pipeline, batch size) on the compute thread and
  // converts its result with `to_js`.
  template <typename R>
  using StoreWork = std::function<R(ModelState&, const ttl::ImageStore&, const ttl::PipelineOptions&, int64_t)>;
  template <typename R>
  Napi::Value OverStore(const Napi::CallbackInfo& info, StoreWork<R> work, std::function<Napi::Value(Napi::Env, R&)> to_js);

  // Returns the live state or throws (disposed); counts the call as pending until it settles.
  std::shared_ptr<ModelState> acquire(Napi::Env env);

  std::shared_ptr<ModelState> state_;
};

}  // namespace ttl_binding
