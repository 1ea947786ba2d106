#include "core/cpu_share.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>

namespace ttl {

int threads_for(int cores, double others_busy) {
  const double free_cores = cores - std::max(0.0, others_busy);
  return std::clamp(static_cast<int>(std::floor(free_cores + 0.25)), 1, std::max(1, cores));
}

std::optional<CpuShare::Sample> CpuShare::sample() {
  // First line: "cpu  user nice system idle iowait irq softirq steal ..." in clock ticks, summed over CPUs.
  std::ifstream stat("/proc/stat");
  std::string label;
  uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
  if (!(stat >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) || label != "cpu")
    return std::nullopt;
  rusage self{};
  if (getrusage(RUSAGE_SELF, &self) != 0) return std::nullopt;
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return Sample{std::chrono::steady_clock::now(), user + nice + system + irq + softirq + steal,
                seconds(self.ru_utime) + seconds(self.ru_stime)};
}

int CpuShare::threads(int cores) {
  const auto now = std::chrono::steady_clock::now();
  if (!last_ || now - last_->time >= sample_interval) {
    const auto current = sample();
    if (current && last_) {
      const double wall = std::chrono::duration<double>(current->time - last_->time).count();
      const double busy = static_cast<double>(current->busy_ticks - last_->busy_ticks) / sysconf(_SC_CLK_TCK);
      others_busy_ = std::max(0.0, (busy - (current->self_seconds - last_->self_seconds)) / wall);
    }
    last_ = current;
  }
  return threads_for(cores, others_busy_);
}

}  // namespace ttl
