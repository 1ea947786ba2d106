#pragma once
#include <torch/torch.h>

namespace ttl {

// Sees every module run through call(): counts MACs (MacCounter), records which convolution feeds which
// batch norm, or stands in for a module (a batch norm already folded into its convolution). A hook installs
// itself on the constructing thread for its lifetime; only that thread is hooked.
class CallHook {
 public:
  virtual ~CallHook();
  CallHook(const CallHook&) = delete;
  CallHook& operator=(const CallHook&) = delete;

  // The module's output without running it, or an undefined tensor to run it.
  virtual torch::Tensor replace(const torch::nn::Module& module, const torch::Tensor& input) { return {}; }
  virtual void record(const torch::nn::Module& module, const torch::Tensor& input, const torch::Tensor& output) {}
  static CallHook* active();

 protected:
  CallHook();

 private:
  CallHook* previous_;
};

// Counts multiply-accumulates on a real forward pass, in ptflops' conventions, for the modules
// that the networks call through `call()`.
class MacCounter : public CallHook {
 public:
  int64_t total() const { return total_; }
  void add(int64_t macs) { total_ += macs; }
  void record(const torch::nn::Module& module, const torch::Tensor& input, const torch::Tensor& output) override;
  static MacCounter* active() { return dynamic_cast<MacCounter*>(CallHook::active()); }

 private:
  int64_t total_ = 0;
};

namespace detail {
template <typename Run>
torch::Tensor hooked(const torch::nn::Module& module, const torch::Tensor& input, Run run) {
  CallHook* hook = CallHook::active();
  if (!hook) return run();
  torch::Tensor replaced = hook->replace(module, input);
  if (replaced.defined()) return replaced;
  torch::Tensor output = run();
  hook->record(module, input, output);
  return output;
}
}  // namespace detail

// Runs a module's forward through the active CallHook, if any.
template <typename ModuleHolder>
torch::Tensor call(ModuleHolder& module, const torch::Tensor& input) {
  return detail::hooked(*module, input, [&] { return module->forward(input); });
}

// The same for a type-erased module (Sequential-style containers hold AnyModule).
inline torch::Tensor call(torch::nn::AnyModule& module, const torch::Tensor& input) {
  return detail::hooked(*module.ptr(), input, [&] { return module.forward(input); });
}

// Runs a Sequential's modules in order, each counted like call().
torch::Tensor run_sequential(torch::nn::Sequential& sequential, torch::Tensor x);

// Bilinear (2D) / trilinear (3D) resize to `size`, counted like ptflops' nn.Upsample (output elements).
torch::Tensor resize_to(const torch::Tensor& x, at::IntArrayRef size);

}  // namespace ttl
