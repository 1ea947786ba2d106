#pragma once
#include <napi.h>

#include <memory>

#include "engine/image_store.h"

namespace ttl_binding {

// JS handle of a decoded split: `new Store(images: Uint8Array|Uint16Array, shape, labels: Int32Array, color,
// masks?: {data: Uint8Array, shape}, targets?: {data: Float32Array, shape: [N, L]})` (targets: multi-label).
// The images are copied once into a native tensor, or, given `{file, offset, bits}` instead of an array, mapped
// from a decoded-image cache file; training reads batches from it by index.
class StoreWrap : public Napi::ObjectWrap<StoreWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit StoreWrap(const Napi::CallbackInfo& info);
  ~StoreWrap() override;
  static std::shared_ptr<const ttl::ImageStore> from(const Napi::Value& value);

 private:
  Napi::Value Size(const Napi::CallbackInfo& info);
  std::shared_ptr<ttl::ImageStore> store_;
  // Bytes this handle holds in native memory (copied images, labels, masks, targets), told to V8 so that its
  // garbage collector frees dropped stores as it would JS arrays of that size; mapped images are not counted.
  int64_t external_bytes_ = 0;
};

}  // namespace ttl_binding
