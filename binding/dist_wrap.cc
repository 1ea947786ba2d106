#include "dist_wrap.h"

#include <functional>

#include "async.h"
#include "convert.h"
#include "core/error.h"

namespace ttl_binding {
namespace {

// Runs blocking work on libuv's pool and settles a Promise with `to_js(result)`; every exception becomes a
// rejected JS Error with its code.
template <typename R>
class PoolTask : public Napi::AsyncWorker {
 public:
  PoolTask(Napi::Env env, std::function<R()> work, std::function<Napi::Value(Napi::Env, R&)> to_js)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)), to_js_(std::move(to_js)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      result_ = work_();
    } catch (...) {
      describe_current_exception(code_, message_);
      SetError(message_);
    }
  }
  void OnOK() override { deferred_.Resolve(to_js_(Env(), result_)); }
  void OnError(const Napi::Error&) override { deferred_.Reject(make_error(Env(), code_, message_).Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<R()> work_;
  std::function<Napi::Value(Napi::Env, R&)> to_js_;
  R result_{};
  std::string code_, message_;
};

template <typename R>
Napi::Value off_thread(Napi::Env env, std::function<R()> work, std::function<Napi::Value(Napi::Env, R&)> to_js) {
  auto* task = new PoolTask<R>(env, std::move(work), std::move(to_js));
  Napi::Promise promise = task->promise();
  task->Queue();
  return promise;
}

std::string string_arg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsString()) throw ttl::Error("E_BAD_ARGUMENT", "expected a string key");
  return info[i].As<Napi::String>().Utf8Value();
}

std::vector<std::string> keys_arg(const Napi::Value& value) {
  if (!value.IsArray()) throw ttl::Error("E_BAD_ARGUMENT", "expected an array of keys");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<std::string> keys;
  for (uint32_t i = 0; i < array.Length(); i++) keys.push_back(array.Get(i).As<Napi::String>().Utf8Value());
  return keys;
}

std::chrono::milliseconds ms_of(const Napi::Object& o, const char* name) {
  return std::chrono::milliseconds(o.Get(name).As<Napi::Number>().Int64Value());
}

Napi::Value js_bool(Napi::Env env, bool& b) { return Napi::Boolean::New(env, b); }

}  // namespace

Napi::Function DistStoreWrap::Init(Napi::Env env) {
  return DefineClass(env, "DistStore",
                     {InstanceMethod("connect", &DistStoreWrap::Connect), InstanceMethod("set", &DistStoreWrap::Set),
                      InstanceMethod("get", &DistStoreWrap::Get), InstanceMethod("add", &DistStoreWrap::Add),
                      InstanceMethod("check", &DistStoreWrap::Check), InstanceMethod("wait", &DistStoreWrap::Wait),
                      InstanceMethod("delete", &DistStoreWrap::Delete), InstanceMethod("port", &DistStoreWrap::Port),
                      InstanceMethod("close", &DistStoreWrap::Close)});
}

DistStoreWrap::DistStoreWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DistStoreWrap>(info) {}

std::shared_ptr<ttl::dist::Store> DistStoreWrap::live(Napi::Env env) const {
  if (!store_) throw make_error(env, "E_DIST_CLOSED", "the store is not connected (connect() first, or it was closed)");
  return store_;
}

std::shared_ptr<ttl::dist::Store> DistStoreWrap::from(const Napi::Value& value) {
  if (!value.IsObject()) throw ttl::Error("E_BAD_ARGUMENT", "expected a DistStore");
  auto store = Unwrap(value.As<Napi::Object>())->store_;
  if (!store) throw ttl::Error("E_DIST_CLOSED", "the store is not connected");
  return store;
}

Napi::Value DistStoreWrap::Connect(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Napi::Object o = info[0].As<Napi::Object>();
    ttl::dist::StoreOptions options;
    options.host = o.Get("host").As<Napi::String>().Utf8Value();
    options.port = static_cast<uint16_t>(o.Get("port").As<Napi::Number>().Uint32Value());
    options.is_server = o.Get("isServer").ToBoolean();
    options.timeout = ms_of(o, "timeoutMs");
    using Result = std::shared_ptr<ttl::dist::Store>;
    Napi::Object self = Value();
    auto ref = std::make_shared<Napi::ObjectReference>(Napi::Persistent(self));
    return off_thread<Result>(
        info.Env(), [options] { return std::make_shared<ttl::dist::Store>(options); },
        [this, ref](Napi::Env env, Result& store) -> Napi::Value {
          store_ = store;
          return Napi::String::New(env, store->address());
        });
  });
}

Napi::Value DistStoreWrap::Set(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto store = live(info.Env());
    const std::string key = string_arg(info, 0);
    if (!info[1].IsTypedArray()) throw ttl::Error("E_BAD_ARGUMENT", "store values are Uint8Arrays");
    Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
    std::vector<uint8_t> value(bytes.Data(), bytes.Data() + bytes.ByteLength());
    return off_thread<bool>(
        info.Env(), [store, key, value] { store->set(key, value); return true; },
        [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
  });
}

Napi::Value DistStoreWrap::Get(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto store = live(info.Env());
    const std::string key = string_arg(info, 0);
    using Bytes = std::vector<uint8_t>;
    return off_thread<Bytes>(
        info.Env(), [store, key] { return store->get(key); },
        [](Napi::Env env, Bytes& bytes) -> Napi::Value {
          Napi::Uint8Array out = Napi::Uint8Array::New(env, bytes.size());
          std::copy(bytes.begin(), bytes.end(), out.Data());
          return out;
        });
  });
}

Napi::Value DistStoreWrap::Add(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto store = live(info.Env());
    const std::string key = string_arg(info, 0);
    const int64_t delta = info[1].As<Napi::Number>().Int64Value();
    return off_thread<int64_t>(
        info.Env(), [store, key, delta] { return store->add(key, delta); },
        [](Napi::Env env, int64_t& n) -> Napi::Value { return Napi::Number::New(env, static_cast<double>(n)); });
  });
}

Napi::Value DistStoreWrap::Check(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto store = live(info.Env());
    auto keys = keys_arg(info[0]);
    return off_thread<bool>(info.Env(), [store, keys] { return store->check(keys); }, js_bool);
  });
}

Napi::Value DistStoreWrap::Wait(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto store = live(info.Env());
    auto keys = keys_arg(info[0]);
    const auto timeout = std::chrono::milliseconds(info[1].As<Napi::Number>().Int64Value());
    return off_thread<bool>(info.Env(), [store, keys, timeout] { return store->wait(keys, timeout); }, js_bool);
  });
}

Napi::Value DistStoreWrap::Delete(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto store = live(info.Env());
    const std::string key = string_arg(info, 0);
    return off_thread<bool>(info.Env(), [store, key] { return store->remove(key); }, js_bool);
  });
}

Napi::Value DistStoreWrap::Port(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), live(info.Env())->port());
}

Napi::Value DistStoreWrap::Close(const Napi::CallbackInfo& info) {
  // Operations in flight hold their own reference; the connection closes when the last one finishes.
  store_.reset();
  return info.Env().Undefined();
}

Napi::Function DistGroupWrap::Init(Napi::Env env) {
  return DefineClass(env, "DistGroup",
                     {InstanceMethod("join", &DistGroupWrap::Join), InstanceMethod("barrier", &DistGroupWrap::Barrier)});
}

DistGroupWrap::DistGroupWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DistGroupWrap>(info) {}

std::shared_ptr<ttl::dist::Group> DistGroupWrap::from(const Napi::Value& value) {
  if (!value.IsObject()) throw ttl::Error("E_BAD_ARGUMENT", "expected a DistGroup");
  auto group = Unwrap(value.As<Napi::Object>())->group_;
  if (!group) throw ttl::Error("E_DIST_CLOSED", "the process group has not been joined");
  return group;
}

Napi::Value DistGroupWrap::Join(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto store = DistStoreWrap::from(info[0]);
    Napi::Object o = info[1].As<Napi::Object>();
    ttl::dist::GroupOptions options;
    options.name = o.Get("name").As<Napi::String>().Utf8Value();
    options.rank = o.Get("rank").As<Napi::Number>().Int32Value();
    options.world_size = o.Get("worldSize").As<Napi::Number>().Int32Value();
    options.backend = o.Get("backend").As<Napi::String>().Utf8Value();
    options.hostname = o.Get("hostname").As<Napi::String>().Utf8Value();
    options.timeout = ms_of(o, "timeoutMs");
    using Result = std::shared_ptr<ttl::dist::Group>;
    auto ref = std::make_shared<Napi::ObjectReference>(Napi::Persistent(Value()));
    return off_thread<Result>(
        info.Env(), [store, options] { return std::make_shared<ttl::dist::Group>(*store, options); },
        [this, ref](Napi::Env env, Result& group) -> Napi::Value {
          group_ = group;
          return env.Undefined();
        });
  });
}

Napi::Value DistGroupWrap::Barrier(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    auto group = from(Value());
    return off_thread<bool>(info.Env(), [group] { group->barrier(); return true; },
                            [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
  });
}

Napi::Value DistributedSupport(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("gloo", Napi::Boolean::New(info.Env(), ttl::dist::available()));
  out.Set("nccl", Napi::Boolean::New(info.Env(), ttl::dist::nccl_available()));
  return out;
}

}  // namespace ttl_binding
