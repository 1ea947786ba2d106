#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ttl {

// What a unit outputs, as a head reading it must treat it.
enum class UnitOutput {
  Normalised,     // batch-normalised and activated (post-activation ResNets, a network's own final norm)
  PreActivation,  // a raw residual or convolution stream: the head applies norm + ReLU, as the full network does
  Unscaled,       // activated but never normalised (SqueezeNet): its scale grows with depth, so the head
                  // standardises it (norm, no ReLU) to keep the head's step size independent of that scale
};

// One natural cutoff of a backbone: cutting after it severs no skip connection or concatenation.
struct UnitInfo {
  std::string name;
  int64_t block = 0;           // 1-based block (stage) the unit belongs to; 0 for the stem
  int64_t out_channels = 0;
  int64_t reduction = 1;       // total stride of the unit's output relative to the input
  std::vector<std::string> param_prefixes;  // parameter-name prefixes owned by the unit
  bool built = true;           // false for units dropped by truncation (metadata only)
  bool slim = false;           // rebuilt at reduced width from random init (TransFusion)
  UnitOutput output = UnitOutput::Normalised;
};

}  // namespace ttl
