#pragma once
#include <napi.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "compute_thread.h"

namespace ttl_binding {

// A JS Error carrying a stable `code` (E_WEIGHTS_MISMATCH, E_TORCH, ...).
Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message);

// Runs the current exception's handler: fills code and message for any exception type.
void describe_current_exception(std::string& code, std::string& message);

// Runs `step` as a series of compute-thread tasks in `lane`, each queued behind whatever was
// posted meanwhile, until it returns a result. A long job (a training epoch, one batch per step) then
// delays other calls by one step, not by the whole job. `step` (and the tensors it owns) is destroyed on the
// compute thread; `hold_until_settled` (a pending-call guard) is released on the JS thread right after the
// Promise settles, so state that JS reads (a model's pending count) changes only on the JS thread, never
// while a call that has finished computing is still unsettled.
template <typename R>
Napi::Promise schedule_steps(Napi::Env env, std::function<std::optional<R>()> step,
                             std::function<Napi::Value(Napi::Env, R&)> to_js, Lane lane = Lane::Interactive,
                             std::shared_ptr<void> hold_until_settled = nullptr) {
  struct Job {
    Napi::Promise::Deferred deferred;
    Napi::ThreadSafeFunction tsfn;
    std::function<std::optional<R>()> step;
    std::function<Napi::Value(Napi::Env, R&)> to_js;
    std::optional<R> result;
    std::string code, message;
    Lane lane;
    std::shared_ptr<void> hold;

    static void settle(Napi::Env env, Job& job) {
      if (!job.result) {
        job.deferred.Reject(make_error(env, job.code, job.message).Value());
        return;
      }
      try {
        job.deferred.Resolve(job.to_js(env, *job.result));
      } catch (const Napi::Error& e) {
        job.deferred.Reject(e.Value());
      } catch (...) {
        std::string code, message;
        describe_current_exception(code, message);
        job.deferred.Reject(make_error(env, code, message).Value());
      }
    }

    static void pump(std::shared_ptr<Job> job) {
      ComputeThread::instance().post([job]() {
        try {
          job->result = job->step();
          if (!job->result) return pump(job);
        } catch (...) {
          describe_current_exception(job->code, job->message);
        }
        job->step = nullptr;
        job->tsfn.BlockingCall([job](Napi::Env env, Napi::Function) {
          Napi::HandleScope scope(env);
          settle(env, *job);
          job->hold.reset();
        });
        job->tsfn.Release();
      }, job->lane);
    }
  };
  auto deferred = Napi::Promise::Deferred::New(env);
  auto tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}),
                                            "ttl-torch", 0, 1);
  auto job = std::make_shared<Job>(
      Job{deferred, tsfn, std::move(step), std::move(to_js), std::nullopt, "", "", lane, std::move(hold_until_settled)});
  Job::pump(job);
  return deferred.Promise();
}


// Runs `work` on the compute thread and settles a Promise on the JS thread with `to_js(result)`.
// Every exception becomes a rejection with a JS Error; nothing escapes to abort the process.
template <typename R>
Napi::Promise schedule(Napi::Env env, std::function<R()> work, std::function<Napi::Value(Napi::Env, R&)> to_js,
                       std::shared_ptr<void> hold_until_settled = nullptr) {
  return schedule_steps<R>(env, [work = std::move(work)]() -> std::optional<R> { return work(); }, std::move(to_js),
                           Lane::Interactive, std::move(hold_until_settled));
}

}  // namespace ttl_binding

namespace ttl_binding {

// Runs a JS-facing function body so that any C++ exception surfaces as a JS Error with a code;
// node-addon-api itself only converts Napi::Error.
template <typename F>
Napi::Value guard(Napi::Env env, F&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    std::string code, message;
    describe_current_exception(code, message);
    throw make_error(env, code, message);
  }
}

}  // namespace ttl_binding
