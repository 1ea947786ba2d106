#pragma once
#include <napi.h>

#include <memory>

#include "dist/group.h"
#include "dist/store.h"

namespace ttl_binding {

// JS handle of a c10d TCPStore: `new DistStore()` then `await connect({host, port, isServer, timeoutMs})`.
// Every operation that can block (connect, get, add, wait, ...) runs on libuv's pool, not on the compute
// thread: a worker's heartbeat must go on while its trial trains.
class DistStoreWrap : public Napi::ObjectWrap<DistStoreWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit DistStoreWrap(const Napi::CallbackInfo& info);
  static std::shared_ptr<ttl::dist::Store> from(const Napi::Value& value);

 private:
  Napi::Value Connect(const Napi::CallbackInfo& info);
  Napi::Value Set(const Napi::CallbackInfo& info);
  Napi::Value Get(const Napi::CallbackInfo& info);
  Napi::Value Add(const Napi::CallbackInfo& info);
  Napi::Value Check(const Napi::CallbackInfo& info);
  Napi::Value Wait(const Napi::CallbackInfo& info);
  Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value Port(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  std::shared_ptr<ttl::dist::Store> live(Napi::Env env) const;

  std::shared_ptr<ttl::dist::Store> store_;
};

// JS handle of a process group: `new DistGroup()` then `await join(store, {name, rank, worldSize, backend,
// hostname, timeoutMs})` (blocks until every rank joined). Models take it through model.setGroup().
class DistGroupWrap : public Napi::ObjectWrap<DistGroupWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit DistGroupWrap(const Napi::CallbackInfo& info);
  static std::shared_ptr<ttl::dist::Group> from(const Napi::Value& value);

 private:
  Napi::Value Join(const Napi::CallbackInfo& info);
  Napi::Value Barrier(const Napi::CallbackInfo& info);
  std::shared_ptr<ttl::dist::Group> group_;
};

// {gloo, nccl}: what this build can do.
Napi::Value DistributedSupport(const Napi::CallbackInfo& info);

}  // namespace ttl_binding
