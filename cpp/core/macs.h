#pragma once
#include <torch/torch.h>

namespace ttl {

// Counts multiply-accumulates on a real forward pass, in ptflops' conventions, for the modules
// that the networks call through `call()`. Only the thread that installed a counter is traced.
class MacCounter {
 public:
  MacCounter();
  ~MacCounter();
  MacCounter(const MacCounter&) = delete;
  MacCounter& operator=(const MacCounter&) = delete;

  int64_t total() const { return total_; }
  void add(int64_t macs) { total_ += macs; }
  void record(const torch::nn::Module& module, const torch::Tensor& input, const torch::Tensor& output);
  static MacCounter* active();

 private:
  int64_t total_ = 0;
  MacCounter* previous_;
};

// Runs a module's forward and, when a MacCounter is active on this thread, counts it.
template <typename ModuleHolder>
torch::Tensor call(ModuleHolder& module, const torch::Tensor& input) {
  torch::Tensor output = module->forward(input);
  if (MacCounter* counter = MacCounter::active()) counter->record(*module, input, output);
  return output;
}

// The same for a type-erased module (Sequential-style containers hold AnyModule).
inline torch::Tensor call(torch::nn::AnyModule& module, const torch::Tensor& input) {
  torch::Tensor output = module.forward(input);
  if (MacCounter* counter = MacCounter::active()) counter->record(*module.ptr(), input, output);
  return output;
}

// Runs a Sequential's modules in order, each counted like call().
torch::Tensor run_sequential(torch::nn::Sequential& sequential, torch::Tensor x);

// Bilinear (2D) / trilinear (3D) resize to `size`, counted like ptflops' nn.Upsample (output elements).
torch::Tensor resize_to(const torch::Tensor& x, at::IntArrayRef size);

}  // namespace ttl
