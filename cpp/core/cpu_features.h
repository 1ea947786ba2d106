#pragma once
#include <string>
#include <vector>

namespace ttl {

// The x86 instructions that decide which kernels LibTorch can use and which precisions pay off here: bf16
// autocast is emulated (slow) without AVX512-BF16 or AMX, and int8 convolutions saturate and run slower
// without VNNI. Each counts only when the OS also saves its registers (XCR0), as the kernels' own dispatch
// checks. Empty off x86.
std::vector<std::string> cpu_features();

}  // namespace ttl
