#include "engine/boxed_op.h"

namespace ttl {

std::optional<c10::OperatorHandle> find_op(const char* name, const char* overload) {
  auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
  if (!handle) return std::nullopt;
  return *handle;
}

c10::OperatorHandle require_op(const char* name, const char* overload) {
  return c10::Dispatcher::singleton().findSchemaOrThrow(name, overload);
}

c10::IValue call_op_value(const c10::OperatorHandle& op, std::vector<c10::IValue> arguments) {
  op.callBoxed(&arguments);
  return arguments.at(0);
}

torch::Tensor call_op(const c10::OperatorHandle& op, std::vector<c10::IValue> arguments) {
  return call_op_value(op, std::move(arguments)).toTensor();
}

}  // namespace ttl
