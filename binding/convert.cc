#include "convert.h"

#include <cstring>

#include "core/error.h"

namespace ttl_binding {
namespace {

int64_t get_int(const Napi::Object& o, const char* key, int64_t fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int64Value() : fallback;
}

std::string get_string(const Napi::Object& o, const char* key, const std::string& fallback = "") {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : fallback;
}

Napi::Array strings(Napi::Env env, const std::vector<std::string>& values) {
  Napi::Array out = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) out.Set(i, values[i]);
  return out;
}

Napi::Array ints(Napi::Env env, const std::vector<int64_t>& values) {
  Napi::Array out = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) out.Set(i, Napi::Number::New(env, static_cast<double>(values[i])));
  return out;
}

struct DType {
  const char* name;
  torch::ScalarType type;
};
const DType kDTypes[] = {{"F32", torch::kFloat32}, {"F16", torch::kFloat16}, {"BF16", torch::kBFloat16},
                         {"F64", torch::kFloat64}, {"I64", torch::kInt64},   {"I32", torch::kInt32},
                         {"U8", torch::kUInt8},    {"I8", torch::kInt8},     {"BOOL", torch::kBool}};

torch::ScalarType scalar_type(const std::string& name) {
  for (const DType& d : kDTypes)
    if (name == d.name) return d.type;
  throw ttl::Error("E_BAD_WEIGHTS", "unsupported tensor dtype " + name);
}

const char* dtype_name(torch::ScalarType type) {
  for (const DType& d : kDTypes)
    if (type == d.type) return d.name;
  throw ttl::Error("E_INTERNAL", "no safetensors name for this dtype");
}

}  // namespace

std::vector<int64_t> to_int_vector(const Napi::Value& value) {
  std::vector<int64_t> out;
  if (!value.IsArray()) return out;
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); ++i) out.push_back(array.Get(i).As<Napi::Number>().Int64Value());
  return out;
}

ttl::ArchSpec to_arch_spec(const Napi::Object& o) {
  ttl::ArchSpec spec;
  spec.family = get_string(o, "family");
  spec.block = get_string(o, "block");
  spec.layers = to_int_vector(o.Get("layers"));
  spec.growth_rate = get_int(o, "growthRate", spec.growth_rate);
  spec.num_init_features = get_int(o, "numInitFeatures", spec.num_init_features);
  spec.bn_size = get_int(o, "bnSize", spec.bn_size);
  spec.cardinality = get_int(o, "cardinality", spec.cardinality);
  spec.keep_units = get_int(o, "keepUnits", -1);
  spec.slim_after = get_int(o, "slimAfter", -1);
  spec.in_channels = get_int(o, "inChannels", 3);
  if (o.Get("head").IsObject()) {
    Napi::Object head = o.Get("head").As<Napi::Object>();
    const std::string kind = get_string(head, "kind", "linear");
    spec.head.kind = kind == "original" ? ttl::HeadKind::Original
                     : kind == "none"   ? ttl::HeadKind::None
                     : kind == "unet"   ? ttl::HeadKind::UNet
                                        : ttl::HeadKind::Linear;
    spec.head.num_classes = get_int(head, "numClasses", 2);
    Napi::Value dropout = head.Get("dropout");
    spec.head.dropout = dropout.IsNumber() ? dropout.As<Napi::Number>().DoubleValue() : 0.0;
    spec.head.zero_init = head.Get("zeroInit").ToBoolean();
  }
  return spec;
}

ttl::LoadOptions to_load_options(const Napi::Object& o) {
  ttl::LoadOptions options;
  options.allow_missing = o.Get("allowMissing").ToBoolean();
  options.layout = get_string(o, "layout");
  options.prefix = get_string(o, "prefix");
  return options;
}

namespace {
double get_double(const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

std::vector<double> get_doubles(const Napi::Object& o, const char* key) {
  std::vector<double> out;
  Napi::Value v = o.Get(key);
  if (!v.IsArray()) return out;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(a.Get(i).As<Napi::Number>().DoubleValue());
  return out;
}
}  // namespace

ttl::OptimOptions to_optim_options(const Napi::Object& o) {
  ttl::OptimOptions options;
  options.optimizer = get_string(o, "optimizer", options.optimizer);
  options.lr = get_double(o, "lr", options.lr);
  options.momentum = get_double(o, "momentum", options.momentum);
  options.nesterov = o.Get("nesterov").ToBoolean();
  options.weight_decay = get_double(o, "weightDecay", options.weight_decay);
  options.unit_lr_scale = get_doubles(o, "unitLrScale");
  options.head_lr_scale = get_double(o, "headLrScale", options.head_lr_scale);
  if (o.Get("frozenBnEval").IsBoolean()) options.frozen_bn_eval = o.Get("frozenBnEval").ToBoolean();
  options.epochs = get_int(o, "epochs", options.epochs);
  options.warmup_steps = get_int(o, "warmupSteps", options.warmup_steps);
  options.schedule = get_string(o, "schedule", options.schedule);
  options.lr_end = get_double(o, "lrEnd", options.lr_end);
  options.steps_per_epoch = get_int(o, "stepsPerEpoch", options.steps_per_epoch);
  options.class_weights = get_doubles(o, "classWeights");
  options.autocast = get_string(o, "autocast");
  options.clip_grad_norm = get_double(o, "clipGradNorm", options.clip_grad_norm);
  return options;
}

ttl::PipelineOptions to_pipeline_options(const Napi::Object& o) {
  ttl::PipelineOptions p;
  p.size = get_int(o, "size", p.size);
  p.channels = get_int(o, "channels", p.channels);
  if (o.Get("shape").IsArray()) p.shape = to_int_vector(o.Get("shape"));
  if (o.Get("mean").IsArray()) p.mean = get_doubles(o, "mean");
  if (o.Get("std").IsArray()) p.std = get_doubles(o, "std");
  if (o.Get("augment").IsObject()) {
    Napi::Object a = o.Get("augment").As<Napi::Object>();
    p.augment.enabled = true;
    p.augment.crop_scale_min = get_double(a, "cropScaleMin", p.augment.crop_scale_min);
    p.augment.max_aspect_log = get_double(a, "maxAspectLog", p.augment.max_aspect_log);
    if (a.Get("hflip").IsBoolean()) p.augment.hflip = a.Get("hflip").ToBoolean();
    p.augment.max_rotation_deg = get_double(a, "maxRotationDeg", p.augment.max_rotation_deg);
    p.augment.brightness = get_double(a, "brightness", p.augment.brightness);
    p.augment.contrast = get_double(a, "contrast", p.augment.contrast);
  }
  return p;
}

namespace {
// {data: TypedArray, shape} -> an owned tensor of the matching dtype (memcpy only).
template <typename T, napi_typedarray_type kArrayType>
torch::Tensor typed_tensor(const Napi::Value& value, const char* what, const char* array_name, torch::ScalarType dtype) {
  if (!value.IsObject()) throw ttl::Error("E_BAD_INPUT", std::string(what) + " must be {data, shape}");
  Napi::Object o = value.As<Napi::Object>();
  if (!o.Get("data").IsTypedArray() || o.Get("data").As<Napi::TypedArray>().TypedArrayType() != kArrayType)
    throw ttl::Error("E_BAD_INPUT", std::string(what) + ".data must be a " + array_name);
  Napi::TypedArrayOf<T> data = o.Get("data").As<Napi::TypedArrayOf<T>>();
  std::vector<int64_t> shape = to_int_vector(o.Get("shape"));
  int64_t numel = 1;
  for (int64_t d : shape) numel *= d;
  if (numel != static_cast<int64_t>(data.ElementLength()))
    throw ttl::Error("E_BAD_INPUT", std::string(what) + ": shape holds " + std::to_string(numel) +
                                        " values but data has " + std::to_string(data.ElementLength()));
  torch::Tensor out = torch::empty(shape, dtype);
  std::memcpy(out.data_ptr(), data.Data(), data.ByteLength());
  return out;
}

template <typename T>
Napi::Object typed_result(Napi::Env env, const torch::Tensor& tensor, torch::ScalarType dtype) {
  torch::Tensor t = tensor.detach().to(torch::kCPU, dtype).contiguous();  // no-op when the worker prepared it
  Napi::TypedArrayOf<T> data = Napi::TypedArrayOf<T>::New(env, t.numel());
  std::memcpy(data.Data(), t.data_ptr(), t.numel() * sizeof(T));
  Napi::Object out = Napi::Object::New(env);
  out.Set("data", data);
  out.Set("shape", ints(env, t.sizes().vec()));
  return out;
}
}  // namespace

torch::Tensor to_float_tensor(const Napi::Value& value, const char* what) {
  return typed_tensor<float, napi_float32_array>(value, what, "Float32Array", torch::kFloat32);
}

torch::Tensor to_double_tensor(const Napi::Value& value, const char* what) {
  return typed_tensor<double, napi_float64_array>(value, what, "Float64Array", torch::kFloat64);
}

torch::Tensor to_mask_tensor(const Napi::Value& value) {
  return typed_tensor<uint8_t, napi_uint8_array>(value, "masks", "Uint8Array", torch::kUInt8);
}

torch::Tensor to_label_tensor(const Napi::Value& value) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw ttl::Error("E_BAD_INPUT", "labels must be an Int32Array");
  Napi::Int32Array labels = value.As<Napi::Int32Array>();
  torch::Tensor out = torch::empty({static_cast<int64_t>(labels.ElementLength())}, torch::kInt64);
  std::copy(labels.Data(), labels.Data() + labels.ElementLength(), out.data_ptr<int64_t>());
  return out;
}

ttl::StateDict to_state_dict(const Napi::Array& entries) {
  ttl::StateDict state;
  for (uint32_t i = 0; i < entries.Length(); ++i) {
    Napi::Object entry = entries.Get(i).As<Napi::Object>();
    const std::string name = get_string(entry, "name");
    Napi::Uint8Array bytes = entry.Get("data").As<Napi::Uint8Array>();
    torch::Tensor t = torch::empty(to_int_vector(entry.Get("shape")), scalar_type(get_string(entry, "dtype")));
    if (static_cast<size_t>(t.nbytes()) != bytes.ByteLength())
      throw ttl::Error("E_BAD_WEIGHTS", "tensor " + name + ": " + std::to_string(bytes.ByteLength()) +
                                            " bytes do not fit its shape and dtype");
    std::memcpy(t.data_ptr(), bytes.Data(), bytes.ByteLength());
    state[name] = t;
  }
  return state;
}

Napi::Object from_tensor(Napi::Env env, const torch::Tensor& tensor) { return typed_result<float>(env, tensor, torch::kFloat32); }

Napi::Object from_double_tensor(Napi::Env env, const torch::Tensor& tensor) {
  return typed_result<double>(env, tensor, torch::kFloat64);
}

Napi::Array from_state_dict(Napi::Env env, const ttl::StateDict& state) {
  Napi::Array out = Napi::Array::New(env, state.size());
  uint32_t i = 0;
  for (const auto& [name, tensor] : state) {
    torch::Tensor t = tensor.contiguous();
    Napi::Uint8Array bytes = Napi::Uint8Array::New(env, t.nbytes());
    std::memcpy(bytes.Data(), t.data_ptr(), t.nbytes());
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("name", name);
    entry.Set("dtype", dtype_name(t.scalar_type()));
    entry.Set("shape", ints(env, t.sizes().vec()));
    entry.Set("data", bytes);
    out.Set(i++, entry);
  }
  return out;
}

Napi::Object from_unit(Napi::Env env, const ttl::UnitInfo& unit) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("name", unit.name);
  out.Set("block", Napi::Number::New(env, static_cast<double>(unit.block)));
  out.Set("outChannels", Napi::Number::New(env, static_cast<double>(unit.out_channels)));
  out.Set("reduction", Napi::Number::New(env, static_cast<double>(unit.reduction)));
  out.Set("paramPrefixes", strings(env, unit.param_prefixes));
  out.Set("built", Napi::Boolean::New(env, unit.built));
  out.Set("slim", Napi::Boolean::New(env, unit.slim));
  return out;
}

Napi::Object from_load_report(Napi::Env env, const ttl::LoadReport& r) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("loaded", strings(env, r.loaded));
  out.Set("missing", strings(env, r.missing));
  out.Set("unexpected", strings(env, r.unexpected));
  out.Set("dropped", strings(env, r.dropped));
  out.Set("headSkipped", strings(env, r.head_skipped));
  out.Set("randomUnits", strings(env, r.random_units));
  out.Set("reinitialised", strings(env, r.reinitialised));
  return out;
}

Napi::Object from_complexity(Napi::Env env, const ttl::Complexity& c) {
  Napi::Object out = Napi::Object::New(env);
  Napi::Array units = Napi::Array::New(env, c.units.size());
  for (size_t i = 0; i < c.units.size(); ++i) {
    Napi::Object u = Napi::Object::New(env);
    u.Set("params", Napi::Number::New(env, static_cast<double>(c.units[i].params)));
    u.Set("macs", Napi::Number::New(env, static_cast<double>(c.units[i].macs)));
    u.Set("outShape", ints(env, c.units[i].out_shape));
    units.Set(i, u);
  }
  out.Set("units", units);
  out.Set("params", Napi::Number::New(env, static_cast<double>(c.params)));
  out.Set("trainableParams", Napi::Number::New(env, static_cast<double>(c.trainable_params)));
  out.Set("macs", Napi::Number::New(env, static_cast<double>(c.macs)));
  out.Set("headParams", Napi::Number::New(env, static_cast<double>(c.head_params)));
  out.Set("headMacs", Napi::Number::New(env, static_cast<double>(c.head_macs)));
  return out;
}

}  // namespace ttl_binding
