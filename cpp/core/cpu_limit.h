#pragma once
#include <string>

namespace ttl {

// The cores this process may use: the CPUs of its affinity mask, capped by the CPU quota of its cgroup and
// every ancestor (v1 cpu.cfs_quota_us / cpu.cfs_period_us, v2 cpu.max). A 1-CPU container on a 16-core host
// sees 16 CPUs in /proc and in std::thread::hardware_concurrency(); 16 OpenMP threads there are throttled
// in every period, and each parallel region waits for the throttled ones.
struct CpuLimit {
  int cores = 1;          // what threads may use: min(affinity, quota rounded to the nearest core), >= 1
  int affinity = 1;       // CPUs in the affinity mask
  double quota = 0;       // the tightest quota in cores; 0: none
  std::string quota_file; // where the tightest quota was read (empty: none)
};

// Read once per process (containers do not change their limit while a process runs). The cgroup
// hierarchy is read under TTL_TORCH_CGROUP_ROOT when set (default /sys/fs/cgroup).
const CpuLimit& cpu_limit();

}  // namespace ttl
