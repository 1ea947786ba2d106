#pragma once
#include <stdexcept>
#include <string>

#include "core/error_codes.h"  // generated from src/error-codes.ts

namespace ttl {

// An error with a stable code that the binding forwards to JS as `err.code`: one of src/error-codes.ts, so a
// code that list lacks becomes E_INTERNAL (a bug), not a code no caller can know.
class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message)
      : std::runtime_error(listed(code) ? message : "unlisted error code " + code + ": " + message),
        code_(listed(code) ? std::move(code) : "E_INTERNAL") {}
  const std::string& code() const { return code_; }

 private:
  static bool listed(const std::string& code) {
    for (const char* known : kErrorCodes)
      if (code == known) return true;
    return false;
  }
  std::string code_;
};

}  // namespace ttl
