#pragma once
#include <chrono>
#include <cstdint>
#include <optional>

namespace ttl {

// How many cores other processes leave to this one, measured rather than assumed: /proc/stat's busy time of
// all CPUs minus this process's own CPU time, over the interval since the previous sample. With a competing
// CPU-bound process on 2 cores, 2 OpenMP threads trained slower than 1 (one thread shares a core, and every
// parallel region waits for it), so the thread count follows what is free. Linux only; elsewhere nothing is
// known to be taken and every core is used.
class CpuShare {
 public:
  // Threads for the next piece of work: of the machine's `cores`, those not kept busy by others (at least 1).
  // Re-measured at most every sample_interval; in between the last choice stands.
  int threads(int cores);

  // Cores kept busy by other processes in the last measured interval (0 before the first one).
  double others_busy() const { return others_busy_; }

  // The shortest interval a measurement spans.
  static constexpr std::chrono::milliseconds sample_interval{500};

 private:
  struct Sample {
    std::chrono::steady_clock::time_point time;
    uint64_t busy_ticks = 0;
    double self_seconds = 0;
  };
  static std::optional<Sample> sample();

  std::optional<Sample> last_;
  double others_busy_ = 0;
};

// The cores not kept busy by others, turned into a thread count in [1, cores]. A quarter core of slack keeps
// system noise (a few percent busy) from costing a thread, while a competitor that takes most of a core does.
int threads_for(int cores, double others_busy);

}  // namespace ttl
