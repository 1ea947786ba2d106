#pragma once
#include <napi.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace ttl_binding {

// Reads a plain options object that TypeScript validated and completed (src/ owns every default): a field the
// binding reads must be present with its type, and a field it does not know is refused, so that a misspelt or
// missing option is an error naming it instead of a silent fallback. Errors are E_BAD_ARGUMENT.
class Fields {
 public:
  // `what` names the object in messages ("optim options"); `known` lists every field it may hold.
  Fields(const Napi::Value& value, std::string what, std::initializer_list<const char*> known);

  bool has(const char* key) const;  // present and not undefined (for optional fields)
  int64_t integer(const char* key) const;
  double number(const char* key) const;
  bool boolean(const char* key) const;
  std::string string(const char* key) const;
  // A string that must be one of `allowed`.
  std::string one_of(const char* key, std::initializer_list<const char*> allowed) const;
  std::vector<int64_t> integers(const char* key) const;
  std::vector<double> numbers(const char* key) const;
  Napi::Value object(const char* key) const;

 private:
  Napi::Value get(const char* key, bool ok(const Napi::Value&), const char* expected) const;
  [[noreturn]] void fail(const std::string& message) const;

  Napi::Object object_;
  std::string what_;
};

}  // namespace ttl_binding
