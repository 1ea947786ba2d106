#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace ttl {

// LibTorch's quantized CPU kernels (FBGEMM/x86, oneDNN, QNNPACK) for the int8 serving copy. The C++ API has no
// quantization layer of its own, so these call the registered `quantized::` ops through the dispatcher, boxed:
// their schemas (the `.new` convolution overloads, add_relu) are the same in LibTorch 1.13 and 2.x.

// The quantized engine to use: `requested` when this LibTorch supports it, or with an empty request the first
// supported of kEnginePreference. Makes it the process's engine (at::globalContext().setQEngine), which the
// ops consult while packing weights. Returns its lower-case name ('onednn', 'x86', 'fbgemm', 'qnnpack').
std::string select_quantized_engine(const std::string& requested);

// The lower-case names of the engines this LibTorch supports, in its own order.
std::vector<std::string> supported_quantized_engines();

// Per-tensor affine uint8 parameters of an activation.
struct QuantParams {
  double scale = 1;
  int64_t zero_point = 0;
};

// The quantization steps of an activation for `engine`: 255, but 127 for FBGEMM and x86, which on CPUs without
// VNNI saturate 16-bit intermediate sums with full-range uint8 activations (vpmaddubsw); PyTorch's default
// qconfigs do the same ("reduce_range").
int64_t activation_levels(const std::string& engine);

// The parameters covering [min, max] (widened to include 0, so ReLU's zeros are exact) in `levels` steps.
QuantParams activation_params(double min, double max, int64_t levels);

// Convolution weights [out, in, kh, kw] quantized per output channel, symmetric int8, and packed with their
// float bias for the current engine.
c10::IValue pack_conv2d(const torch::Tensor& weight, const torch::Tensor& bias, at::IntArrayRef stride,
                        at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups);

// quantized::conv2d(.new) / conv2d_relu(.new): a quantized input, a packed convolution, the output's parameters.
torch::Tensor quantized_conv2d(const torch::Tensor& input, const c10::IValue& packed, const QuantParams& out, bool relu);

// quantized::add_relu: relu(a + b) requantized to `out`.
torch::Tensor quantized_add_relu(const torch::Tensor& a, const torch::Tensor& b, const QuantParams& out);

// Whether `engine` has quantized::conv2d_add_relu: oneDNN's on LibTorch 2.x (1.13 has no such op; FBGEMM, x86
// and QNNPACK refuse it).
bool has_quantized_conv2d_add_relu(const std::string& engine);

// quantized::conv2d_add_relu: relu(conv(input) + accum) requantized to `out` in one kernel, without rounding the
// convolution's output on the way (3.5-7% faster than conv2d then add_relu on a ResNet-50 block at batch 1).
torch::Tensor quantized_conv2d_add_relu(const torch::Tensor& input, const torch::Tensor& accum, const c10::IValue& packed,
                                        const QuantParams& out);

}  // namespace ttl
