#pragma once
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/torch.h>

#include <optional>
#include <vector>

namespace ttl {

// Registered ops that LibTorch's C++ API does not expose (the `quantized::` and `mkldnn::` libraries), called by
// name through the dispatcher, boxed: one calling convention whatever their C++ signatures are in 1.13 and 2.x.

// The op `name`.`overload` ('' for the default overload), or nullopt where this LibTorch has none.
std::optional<c10::OperatorHandle> find_op(const char* name, const char* overload);
// The same, failing with the op's name where it is missing.
c10::OperatorHandle require_op(const char* name, const char* overload);
// Calls `op` with `arguments` in schema order; returns its first output.
torch::Tensor call_op(const c10::OperatorHandle& op, std::vector<c10::IValue> arguments);
// The same for an op whose first output is not a tensor (a packed-weights object).
c10::IValue call_op_value(const c10::OperatorHandle& op, std::vector<c10::IValue> arguments);

}  // namespace ttl
