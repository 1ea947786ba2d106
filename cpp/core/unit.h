#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ttl {

// One natural cutoff of a backbone: cutting after it severs no skip connection or concatenation.
struct UnitInfo {
  std::string name;
  int64_t block = 0;           // 1-based block (stage) the unit belongs to; 0 for the stem
  int64_t out_channels = 0;
  int64_t reduction = 1;       // total stride of the unit's output relative to the input
  std::vector<std::string> param_prefixes;  // parameter-name prefixes owned by the unit
  bool built = true;           // false for units dropped by truncation (metadata only)
  bool slim = false;           // rebuilt at reduced width from random init (TransFusion)
  bool raw_output = false;     // un-normalised output: a linear head after it normalises first
};

}  // namespace ttl
