#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace ttl_binding {

// Interactive tasks (forward, predict, evaluation batches, everything else) run before queued background
// tasks (training batches): a predict waits for the batch in flight, not for other jobs' queued batches.
enum class Lane { Interactive, Background };

// One long-lived thread that runs all LibTorch work, each lane in submission order. Unlike libuv's worker
// pool it stays warm (allocator caches, oneDNN primitives) and keeps its per-thread settings (OpenMP
// threads, flush-denormal) between calls.
class ComputeThread {
 public:
  static ComputeThread& instance();
  void post(std::function<void()> task, Lane lane = Lane::Interactive);
  // Threads to use; applied on the compute thread before the next task.
  void set_threads(int64_t threads);

 private:
  ComputeThread();
  void loop();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> interactive_, background_;
  std::thread thread_;
};

}  // namespace ttl_binding
