#pragma once
#include <stdexcept>
#include <string>

namespace ttl {

// An error with a stable code that the binding forwards to JS as `err.code`.
class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

}  // namespace ttl
