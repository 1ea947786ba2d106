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

// The device a network's parameters live on (CPU for a network without parameters).
inline torch::Device device_of(torch::nn::Module& model) {
  auto params = model.parameters();
  return params.empty() ? torch::Device(torch::kCPU) : params.front().device();
}

}  // namespace ttl
