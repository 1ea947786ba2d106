#include "store_wrap.h"

#include <algorithm>
#include <cstring>

#include "async.h"
#include "convert.h"
#include "core/error.h"
#include "engine/mapped_images.h"

namespace ttl_binding {

namespace {

// Images handed over from JS memory: copied once into a native tensor.
torch::Tensor copy_images(const Napi::TypedArray& images, const std::vector<int64_t>& shape) {
  const auto type = images.TypedArrayType();
  if (type != napi_uint8_array && type != napi_uint16_array)
    throw ttl::Error("E_BAD_INPUT", "images must be a Uint8Array or Uint16Array");
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  if (shape.empty() || numel != static_cast<int64_t>(images.ElementLength()))
    throw ttl::Error("E_BAD_INPUT", "image shape does not match the data length");
  const uint8_t* bytes = static_cast<uint8_t*>(images.ArrayBuffer().Data()) + images.ByteOffset();
  if (type == napi_uint8_array) {
    torch::Tensor out = torch::empty(shape, torch::kUInt8);
    std::memcpy(out.data_ptr(), bytes, images.ByteLength());
    return out;
  }
  // LibTorch 1.13 has no uint16 dtype: keep the values exactly in float32 (plain loop: no ATen kernel on the
  // JS thread).
  torch::Tensor out = torch::empty(shape, torch::kFloat32);
  const uint16_t* src = reinterpret_cast<const uint16_t*>(bytes);
  std::copy(src, src + numel, out.data_ptr<float>());
  return out;
}

// Images in a decoded-image cache file, `{file, offset, bits}`: mapped, not copied (engine/mapped_images.h).
torch::Tensor mapped_images(const Napi::Value& value, const std::vector<int64_t>& shape) {
  if (!value.IsObject() || !value.As<Napi::Object>().Get("file").IsString())
    throw ttl::Error("E_BAD_INPUT", "images must be a Uint8Array, a Uint16Array or {file, offset, bits} of an image cache");
  Napi::Object where = value.As<Napi::Object>();
  return ttl::map_images(where.Get("file").As<Napi::String>().Utf8Value(),
                         static_cast<int64_t>(where.Get("offset").ToNumber().DoubleValue()), shape,
                         where.Get("bits").ToNumber().Int32Value());
}

}  // namespace

Napi::Function StoreWrap::Init(Napi::Env env) {
  return DefineClass(env, "Store", {InstanceMethod("size", &StoreWrap::Size)});
}

StoreWrap::StoreWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<StoreWrap>(info) {
  guard(info.Env(), [&]() -> Napi::Value {
    std::vector<int64_t> shape = to_int_vector(info[1]);
    auto store = std::make_shared<ttl::ImageStore>();
    store->mapped = !info[0].IsTypedArray();
    store->images = store->mapped ? mapped_images(info[0], shape) : copy_images(info[0].As<Napi::TypedArray>(), shape);
    store->labels = to_label_tensor(info[2]);
    if (store->labels.size(0) != shape[0]) throw ttl::Error("E_BAD_INPUT", "one label per image is needed");
    store->color = info[3].ToBoolean();
    if (info.Length() > 4 && !info[4].IsUndefined()) {
      store->masks = to_mask_tensor(info[4]);
      std::vector<int64_t> spatial(shape.begin(), shape.end() - (store->color ? 1 : 0));
      if (store->masks.sizes().vec() != spatial)
        throw ttl::Error("E_BAD_INPUT", "masks must have the images' shape without the colour channel");
    }
    if (info.Length() > 5 && !info[5].IsUndefined()) {
      store->targets = to_float_tensor(info[5], "targets");
      if (store->targets.dim() != 2 || store->targets.size(0) != shape[0])
        throw ttl::Error("E_BAD_INPUT", "targets must be [N, labels] with one row per image");
      // A multi-hot matrix: anything else would train a sigmoid towards a value no label means (plain loop: no
      // ATen kernel on the JS thread).
      const float* t = store->targets.data_ptr<float>();
      if (std::any_of(t, t + store->targets.numel(), [](float v) { return v != 0.0f && v != 1.0f; }))
        throw ttl::Error("E_BAD_INPUT", "targets must be 0 or 1");
    }
    store_ = store;
    const auto bytes = [](const torch::Tensor& t) { return t.defined() ? static_cast<int64_t>(t.nbytes()) : int64_t{0}; };
    external_bytes_ = (store->mapped ? 0 : bytes(store->images)) + bytes(store->labels) + bytes(store->masks) + bytes(store->targets);
    Napi::MemoryManagement::AdjustExternalMemory(info.Env(), external_bytes_);
    return info.Env().Undefined();
  });
}

StoreWrap::~StoreWrap() {
  if (external_bytes_) Napi::MemoryManagement::AdjustExternalMemory(Env(), -external_bytes_);
}

std::shared_ptr<const ttl::ImageStore> StoreWrap::from(const Napi::Value& value) {
  if (!value.IsObject()) throw ttl::Error("E_BAD_ARGUMENT", "expected a Store");
  return Unwrap(value.As<Napi::Object>())->store_;
}

Napi::Value StoreWrap::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(store_->size()));
}

}  // namespace ttl_binding
