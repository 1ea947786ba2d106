#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace ttl_binding {

// One long-lived thread that runs all LibTorch work in submission order. Unlike libuv's worker pool it
// stays warm (allocator caches, oneDNN primitives) and keeps its per-thread settings (OpenMP threads,
// flush-denormal) between calls.
class ComputeThread {
 public:
  static ComputeThread& instance();
  void post(std::function<void()> task);
  // Threads to use; applied on the compute thread before the next task.
  void set_threads(int64_t threads);

 private:
  ComputeThread();
  void loop();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  std::thread thread_;
};

}  // namespace ttl_binding
