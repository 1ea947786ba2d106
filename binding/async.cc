#include "async.h"

#include <torch/torch.h>

#include "core/error.h"

namespace ttl_binding {

Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

void describe_current_exception(std::string& code, std::string& message) {
  try {
    throw;
  } catch (const ttl::Error& e) {
    code = e.code();
    message = e.what();
  } catch (const c10::Error& e) {
    code = "E_TORCH";
    message = e.what_without_backtrace();
  } catch (const std::bad_alloc&) {
    code = "E_OUT_OF_MEMORY";
    message = "out of memory";
  } catch (const std::exception& e) {
    code = "E_NATIVE";
    message = e.what();
  } catch (...) {
    code = "E_NATIVE";
    message = "unknown native error";
  }
}

}  // namespace ttl_binding
