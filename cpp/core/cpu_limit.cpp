#include "core/cpu_limit.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace ttl {
namespace {

int affinity_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
}

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// Cores allowed by one quota file, or 0 when it sets no limit (or cannot be read).
double v1_quota(const std::string& dir) {
  std::ifstream q(dir + "/cpu.cfs_quota_us"), p(dir + "/cpu.cfs_period_us");
  long long quota = 0, period = 0;
  if (!(q >> quota) || !(p >> period) || quota <= 0 || period <= 0) return 0;
  return static_cast<double>(quota) / static_cast<double>(period);
}

double v2_quota(const std::string& dir) {
  std::ifstream f(dir + "/cpu.max");
  std::string quota;
  long long period = 0;
  if (!(f >> quota >> period) || quota == "max" || period <= 0) return 0;
  const double q = std::atof(quota.c_str());
  return q > 0 ? q / static_cast<double>(period) : 0;
}

// This process's cgroup path for the v1 hierarchy holding `cpu`, and for v2 ("0::/path"), from /proc/self/cgroup.
struct Membership {
  std::string v1_mount, v1_path, v2_path;
  bool v1 = false, v2 = false;
};

Membership membership(const std::string& root) {
  Membership m;
  std::ifstream f("/proc/self/cgroup");
  std::string line;
  while (std::getline(f, line)) {
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1), path = line.substr(second + 1);
    if (controllers.empty()) {
      m.v2 = true;
      m.v2_path = path;
      continue;
    }
    std::stringstream list(controllers);
    std::string c;
    while (std::getline(list, c, ','))
      if (c == "cpu") {
        // The hierarchy is mounted under its controllers' names ("cpu", "cpu,cpuacct"), sometimes as a link.
        for (const std::string& name : {controllers, std::string("cpu"), std::string("cpu,cpuacct"), std::string("cpuacct,cpu")})
          if (exists(root + "/" + name)) {
            m.v1 = true;
            m.v1_mount = root + "/" + name;
            m.v1_path = path;
            break;
          }
      }
  }
  return m;
}

// The tightest quota on `path` and its ancestors below `mount`.
void tightest(const std::string& mount, std::string path, double (*read)(const std::string&), CpuLimit& limit) {
  for (;;) {
    const std::string dir = mount + (path == "/" ? "" : path);
    const double q = read(dir);
    if (q > 0 && (limit.quota == 0 || q < limit.quota)) {
      limit.quota = q;
      limit.quota_file = dir + (read == v1_quota ? "/cpu.cfs_quota_us" : "/cpu.max");
    }
    if (path.empty() || path == "/") return;
    const auto slash = path.find_last_of('/');
    path = slash == 0 ? "/" : path.substr(0, slash);
  }
}

CpuLimit measure() {
  CpuLimit limit;
  limit.affinity = affinity_cpus();
  const char* override_root = std::getenv("TTL_TORCH_CGROUP_ROOT");
  const std::string root = override_root && *override_root ? override_root : "/sys/fs/cgroup";
  const Membership m = membership(root);
  if (m.v1) tightest(m.v1_mount, m.v1_path, v1_quota, limit);
  else if (m.v2) tightest(root, m.v2_path, v2_quota, limit);
  // 1.5 cores run 2 threads (throttled a quarter of each period), 1.4 run 1.
  const int quota_cores = limit.quota > 0 ? std::max(1, static_cast<int>(std::lround(limit.quota))) : limit.affinity;
  limit.cores = std::max(1, std::min(limit.affinity, quota_cores));
  return limit;
}

}  // namespace

const CpuLimit& cpu_limit() {
  static const CpuLimit limit = measure();
  return limit;
}

}  // namespace ttl
