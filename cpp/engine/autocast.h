#pragma once
#include <torch/torch.h>

#include <string>

namespace ttl {

// Enables autocast for the scope: "" (off), "bf16" (CPU or CUDA) or "fp16" (CUDA only).
class AutocastScope {
 public:
  AutocastScope(const std::string& mode, torch::Device device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool cuda_ = false, cpu_ = false;
};

}  // namespace ttl
