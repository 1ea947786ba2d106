#pragma once
#include <chrono>
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
  // Called from the process's 'exit' event, before exit() runs static destructors: lets the task in flight finish
  // and starts no other. LibTorch creates some statics lazily, on the compute thread, and exit() destroys those
  // first: a task still running then (a process.exit() right after setThreads(), or during training) corrupted
  // the heap. No-op where no task was ever posted.
  static void stop();

 private:
  ComputeThread();
  void loop();

  std::mutex mutex_;
  std::condition_variable ready_, idle_;
  std::deque<std::function<void()>> interactive_, background_;
  // busy_: a task (or the thread's own set-up) is running; stopping_: the process is exiting, take no more tasks.
  bool busy_ = true, stopping_ = false;
  std::thread thread_;
};

}  // namespace ttl_binding
