#include "weights/pth.h"

#include <fstream>
#include <iterator>

#include "core/error.h"

namespace ttl {
namespace {
StateDict to_state_dict(const c10::IValue& value, const std::string& path) {
  if (!value.isGenericDict())
    throw Error("E_BAD_WEIGHTS", path + ": expected a state dict (a dict of tensors), got " + value.tagKind());
  StateDict out;
  for (const auto& entry : value.toGenericDict()) {
    if (!entry.key().isString()) throw Error("E_BAD_WEIGHTS", path + ": state dict keys must be strings");
    const std::string key = entry.key().toStringRef();
    if (entry.value().isTensor()) {
      out[key] = entry.value().toTensor();
    } else if ((key == "state_dict" || key == "model") && entry.value().isGenericDict()) {
      return to_state_dict(entry.value(), path);
    }
  }
  if (out.empty()) throw Error("E_BAD_WEIGHTS", path + ": the checkpoint holds no tensors");
  return out;
}
}  // namespace

StateDict read_pth(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error("E_NO_FILE", "cannot open weights file " + path);
  std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  c10::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const c10::Error& e) {
    throw Error("E_BAD_WEIGHTS", path + ": not a readable PyTorch checkpoint (" + e.what_without_backtrace() + ")");
  }
  return to_state_dict(value, path);
}

}  // namespace ttl
