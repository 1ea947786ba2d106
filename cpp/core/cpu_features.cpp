#include "core/cpu_features.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <cstdint>
#endif

namespace ttl {

#if defined(__x86_64__) || defined(__i386__)
namespace {
struct Registers {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
};

Registers cpuid(unsigned leaf, unsigned subleaf) {
  Registers r;
  if (__get_cpuid_max(0, nullptr) >= leaf) __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
  return r;
}

// The register state the OS saves on a context switch (XGETBV 0): a feature whose registers it does not save
// cannot be used even when CPUID lists it.
uint64_t saved_state() {
  if (!(cpuid(1, 0).ecx & (1u << 27))) return 0;  // OSXSAVE
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

bool bit(unsigned reg, int n) { return (reg >> n) & 1u; }
}  // namespace

std::vector<std::string> cpu_features() {
  const uint64_t xcr0 = saved_state();
  const bool ymm = (xcr0 & 0x6) == 0x6;                    // SSE + AVX state
  const bool zmm = ymm && (xcr0 & 0xe0) == 0xe0;           // opmask, ZMM_Hi256, Hi16_ZMM
  const bool tiles = (xcr0 & 0x60000) == 0x60000;          // XTILECFG, XTILEDATA
  const Registers l1 = cpuid(1, 0), l7 = cpuid(7, 0), l7s1 = cpuid(7, 1);
  std::vector<std::string> out;
  const auto add = [&out](bool has, const char* name) {
    if (has) out.emplace_back(name);
  };
  add(ymm && bit(l1.ecx, 28), "avx");
  add(ymm && bit(l1.ecx, 12), "fma");
  add(ymm && bit(l7.ebx, 5), "avx2");
  add(ymm && bit(l7s1.eax, 4), "avx_vnni");
  add(zmm && bit(l7.ebx, 16), "avx512f");
  add(zmm && bit(l7.ebx, 30), "avx512bw");
  add(zmm && bit(l7.ecx, 11), "avx512_vnni");
  add(zmm && bit(l7s1.eax, 5), "avx512_bf16");
  add(tiles && bit(l7.edx, 22), "amx_bf16");
  add(tiles && bit(l7.edx, 25), "amx_int8");
  return out;
}
#else
std::vector<std::string> cpu_features() { return {}; }
#endif

}  // namespace ttl
