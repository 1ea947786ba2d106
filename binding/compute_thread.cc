#include "compute_thread.h"

#include <atomic>

#include "core/runtime.h"

namespace ttl_binding {

namespace {
// The one compute thread once created; stop() reads it without creating one.
std::atomic<ComputeThread*> created{nullptr};
}  // namespace

ComputeThread& ComputeThread::instance() {
  // Never destroyed: the thread may still be blocked in wait() when the process exits.
  static ComputeThread* thread = created = new ComputeThread();
  return *thread;
}

ComputeThread::ComputeThread() : thread_([this] { loop(); }) { thread_.detach(); }

// How long the exit waits for the task in flight: longer than any one training batch takes, yet bounded, since a
// collective waiting for a peer that is gone may never end.
constexpr auto kExitWait = std::chrono::seconds(30);

void ComputeThread::stop() {
  ComputeThread* self = created.load();
  if (!self) return;
  std::unique_lock<std::mutex> lock(self->mutex_);
  self->stopping_ = true;
  self->ready_.notify_all();
  self->idle_.wait_for(lock, kExitWait, [self] { return !self->busy_; });
}

void ComputeThread::post(std::function<void()> task, Lane lane) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    (lane == Lane::Interactive ? interactive_ : background_).push_back(std::move(task));
  }
  ready_.notify_one();
}

void ComputeThread::set_threads(int64_t threads) {
  post([threads] { ttl::configure_compute_thread(threads); });
}

void ComputeThread::loop() {
  ttl::configure_compute_thread(0);
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      busy_ = false;
      idle_.notify_all();
      ready_.wait(lock, [this] { return stopping_ || !interactive_.empty() || !background_.empty(); });
      // Exiting: park here for good; the queued tasks' Promises die with the process.
      if (stopping_) ready_.wait(lock, [] { return false; });
      auto& queue = interactive_.empty() ? background_ : interactive_;
      task = std::move(queue.front());
      queue.pop_front();
      busy_ = true;
    }
    ttl::adapt_compute_threads();
    task();
    // The task's captures (tensors, a job) are freed while still busy.
    task = nullptr;
  }
}

}  // namespace ttl_binding
