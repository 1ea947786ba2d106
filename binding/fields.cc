#include "fields.h"

#include <cmath>

#include "core/error.h"

namespace ttl_binding {
namespace {

bool is_number(const Napi::Value& v) { return v.IsNumber(); }
bool is_integer(const Napi::Value& v) {
  if (!v.IsNumber()) return false;
  const double d = v.As<Napi::Number>().DoubleValue();
  return std::isfinite(d) && d == std::floor(d);
}
bool is_boolean(const Napi::Value& v) { return v.IsBoolean(); }
bool is_string(const Napi::Value& v) { return v.IsString(); }
bool is_array(const Napi::Value& v) { return v.IsArray(); }
bool is_object(const Napi::Value& v) { return v.IsObject() && !v.IsArray(); }

std::string list(std::initializer_list<const char*> names) {
  std::string out;
  for (const char* n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

}  // namespace

Fields::Fields(const Napi::Value& value, std::string what, std::initializer_list<const char*> known)
    : what_(std::move(what)) {
  if (!is_object(value)) fail(what_ + " must be an object");
  object_ = value.As<Napi::Object>();
  Napi::Array names = object_.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); ++i) {
    const std::string name = names.Get(i).ToString().Utf8Value();
    if (object_.Get(name).IsUndefined()) continue;
    bool found = false;
    for (const char* k : known) found = found || name == k;
    if (!found) fail(what_ + ": unknown field '" + name + "' (known: " + list(known) + ")");
  }
}

void Fields::fail(const std::string& message) const { throw ttl::Error("E_BAD_ARGUMENT", message); }

bool Fields::has(const char* key) const { return !object_.Get(key).IsUndefined(); }

Napi::Value Fields::get(const char* key, bool ok(const Napi::Value&), const char* expected) const {
  Napi::Value v = object_.Get(key);
  if (v.IsUndefined()) fail(what_ + "." + key + " is missing (expected " + expected + ")");
  if (!ok(v)) fail(what_ + "." + key + " must be " + expected);
  return v;
}

int64_t Fields::integer(const char* key) const { return get(key, is_integer, "an integer").As<Napi::Number>().Int64Value(); }

double Fields::number(const char* key) const { return get(key, is_number, "a number").As<Napi::Number>().DoubleValue(); }

bool Fields::boolean(const char* key) const { return get(key, is_boolean, "a boolean").As<Napi::Boolean>().Value(); }

std::string Fields::string(const char* key) const { return get(key, is_string, "a string").As<Napi::String>().Utf8Value(); }

std::string Fields::one_of(const char* key, std::initializer_list<const char*> allowed) const {
  const std::string value = string(key);
  for (const char* a : allowed)
    if (value == a) return value;
  fail(what_ + "." + key + " must be one of " + list(allowed) + ", got '" + value + "'");
}

std::vector<int64_t> Fields::integers(const char* key) const {
  Napi::Array a = get(key, is_array, "an array of integers").As<Napi::Array>();
  std::vector<int64_t> out;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    if (!is_integer(a.Get(i))) fail(what_ + "." + key + " must be an array of integers");
    out.push_back(a.Get(i).As<Napi::Number>().Int64Value());
  }
  return out;
}

std::vector<double> Fields::numbers(const char* key) const {
  Napi::Array a = get(key, is_array, "an array of numbers").As<Napi::Array>();
  std::vector<double> out;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    if (!a.Get(i).IsNumber()) fail(what_ + "." + key + " must be an array of numbers");
    out.push_back(a.Get(i).As<Napi::Number>().DoubleValue());
  }
  return out;
}

Napi::Value Fields::object(const char* key) const { return get(key, is_object, "an object"); }

}  // namespace ttl_binding
