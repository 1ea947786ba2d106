#pragma once
#include <string>

#include "weights/state_dict.h"

namespace ttl {

// Reads a PyTorch checkpoint written by torch.save (a state dict, or a dict holding one under
// "state_dict"/"model") through LibTorch's unpickler.
StateDict read_pth(const std::string& path);

}  // namespace ttl
