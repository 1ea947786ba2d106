#include "compute_thread.h"

#include "core/runtime.h"

namespace ttl_binding {

ComputeThread& ComputeThread::instance() {
  // Never destroyed: the thread may still be blocked in wait() when the process exits.
  static ComputeThread* thread = new ComputeThread();
  return *thread;
}

ComputeThread::ComputeThread() : thread_([this] { loop(); }) { thread_.detach(); }

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
      ready_.wait(lock, [this] { return !interactive_.empty() || !background_.empty(); });
      auto& queue = interactive_.empty() ? background_ : interactive_;
      task = std::move(queue.front());
      queue.pop_front();
    }
    ttl::adapt_compute_threads();
    task();
  }
}

}  // namespace ttl_binding
