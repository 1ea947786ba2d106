#include "convert.h"

#include <cstring>

#include "core/error.h"
#include "fields.h"

namespace ttl_binding {
namespace {

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

ttl::ArchSpec to_arch_spec(const Napi::Value& o) {
  Fields f(o, "arch spec",
           {"family", "block", "variant", "normEps", "layers", "growthRate", "numInitFeatures", "bnSize", "cardinality", "widthPerGroup", "keepUnits",
            "slimAfter", "inChannels", "head"});
  ttl::ArchSpec spec;
  spec.family = f.string("family");
  // Which of these a family needs is the builder's invariant (E_BAD_ARCH), not the binding's.
  if (f.has("block")) spec.block = f.string("block");
  if (f.has("variant")) spec.variant = f.string("variant");
  if (f.has("normEps")) spec.norm_eps = f.number("normEps");
  if (f.has("layers")) spec.layers = f.integers("layers");
  if (f.has("growthRate")) spec.growth_rate = f.integer("growthRate");
  if (f.has("numInitFeatures")) spec.num_init_features = f.integer("numInitFeatures");
  if (f.has("bnSize")) spec.bn_size = f.integer("bnSize");
  if (f.has("cardinality")) spec.cardinality = f.integer("cardinality");
  if (f.has("widthPerGroup")) spec.width_per_group = f.integer("widthPerGroup");
  spec.keep_units = f.integer("keepUnits");
  spec.slim_after = f.integer("slimAfter");
  spec.in_channels = f.integer("inChannels");
  Fields head(f.object("head"), "arch spec head", {"kind", "numClasses", "dropout", "zeroInit", "multiLabel"});
  const std::string kind = head.one_of("kind", {"original", "linear", "none", "unet"});
  spec.head.kind = kind == "original" ? ttl::HeadKind::Original
                   : kind == "linear" ? ttl::HeadKind::Linear
                   : kind == "none"   ? ttl::HeadKind::None
                                      : ttl::HeadKind::UNet;
  spec.head.num_classes = head.integer("numClasses");
  spec.head.dropout = head.number("dropout");
  spec.head.zero_init = head.boolean("zeroInit");
  spec.head.multi_label = head.boolean("multiLabel");
  return spec;
}

ttl::LoadOptions to_load_options(const Napi::Value& o) {
  Fields f(o, "load options", {"allowMissing", "layout", "prefix", "requireHead"});
  ttl::LoadOptions options;
  options.allow_missing = f.boolean("allowMissing");
  options.require_head = f.boolean("requireHead");
  options.layout = f.string("layout");
  options.prefix = f.string("prefix");
  return options;
}

ttl::LastBatch to_last_batch(const std::string& name) {
  if (name == "keep") return ttl::LastBatch::Keep;
  if (name == "even") return ttl::LastBatch::Even;
  if (name == "drop") return ttl::LastBatch::Drop;
  throw ttl::Error("E_BAD_ARGUMENT", "epoch options: lastBatch must be 'keep', 'even' or 'drop', got '" + name + "'");
}

ttl::OptimOptions to_optim_options(const Napi::Value& o) {
  Fields f(o, "optim options",
           {"optimizer", "lr", "momentum", "nesterov", "weightDecay", "unitLrScale", "headLrScale", "frozenBnEval",
            "epochs", "warmupSteps", "schedule", "lrEnd", "stepsPerEpoch", "classWeights", "posWeight", "autocast", "clipGradNorm"});
  ttl::OptimOptions options;
  options.optimizer = f.one_of("optimizer", {"sgd", "adamw"});
  options.lr = f.number("lr");
  options.momentum = f.number("momentum");
  options.nesterov = f.boolean("nesterov");
  options.weight_decay = f.number("weightDecay");
  options.unit_lr_scale = f.numbers("unitLrScale");
  options.head_lr_scale = f.number("headLrScale");
  options.frozen_bn_eval = f.boolean("frozenBnEval");
  options.epochs = f.integer("epochs");
  options.warmup_steps = f.integer("warmupSteps");
  options.schedule = f.one_of("schedule", {"cosine", "exponential"});
  options.lr_end = f.number("lrEnd");
  options.steps_per_epoch = f.integer("stepsPerEpoch");
  options.class_weights = f.numbers("classWeights");
  options.pos_weight = f.numbers("posWeight");
  options.autocast = f.one_of("autocast", {"", "bf16", "fp16"});
  options.clip_grad_norm = f.number("clipGradNorm");
  return options;
}

ttl::dist::DataParallelOptions to_data_parallel_options(const Napi::Value& o) {
  Fields f(o, "data-parallel options", {"syncBatchNorm", "overlap"});
  ttl::dist::DataParallelOptions options;
  options.sync_batch_norm = f.boolean("syncBatchNorm");
  options.overlap = f.boolean("overlap");
  return options;
}

ttl::PipelineOptions to_pipeline_options(const Napi::Value& o) {
  Fields f(o, "pipeline options", {"size", "channels", "mean", "std", "shape", "augment"});
  ttl::PipelineOptions p;
  p.size = f.integer("size");
  p.channels = f.integer("channels");
  p.mean = f.numbers("mean");
  p.std = f.numbers("std");
  if (f.has("shape")) p.shape = f.integers("shape");
  if (f.has("augment")) {
    Fields a(f.object("augment"), "pipeline options augment",
             {"cropScaleMin", "maxAspectLog", "hflip", "maxRotationDeg", "brightness", "contrast"});
    p.augment.enabled = true;
    p.augment.crop_scale_min = a.number("cropScaleMin");
    p.augment.max_aspect_log = a.number("maxAspectLog");
    p.augment.hflip = a.boolean("hflip");
    p.augment.max_rotation_deg = a.number("maxRotationDeg");
    p.augment.brightness = a.number("brightness");
    p.augment.contrast = a.number("contrast");
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

torch::Tensor to_target_tensor(const Napi::Value& value) {
  return typed_tensor<int32_t, napi_int32_array>(value, "labels", "Int32Array", torch::kInt32);
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

std::vector<BorrowedTensor> borrow_state_dict(const Napi::Array& entries) {
  std::vector<BorrowedTensor> borrowed;
  for (uint32_t i = 0; i < entries.Length(); ++i) {
    Fields entry(entries.Get(i), "state entry", {"name", "dtype", "shape", "data"});
    const std::string name = entry.string("name");
    Napi::Value data = entry.object("data");
    if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      throw ttl::Error("E_BAD_ARGUMENT", "state entry " + name + ": data must be a Uint8Array");
    Napi::Uint8Array bytes = data.As<Napi::Uint8Array>();
    BorrowedTensor t{name, entry.integers("shape"), scalar_type(entry.string("dtype")), bytes.Data(), bytes.ByteLength()};
    const size_t expected = static_cast<size_t>(c10::multiply_integers(t.shape)) * c10::elementSize(t.dtype);
    if (expected != t.bytes)
      throw ttl::Error("E_BAD_WEIGHTS", "tensor " + name + ": " + std::to_string(t.bytes) + " bytes do not fit its shape and dtype");
    borrowed.push_back(std::move(t));
  }
  return borrowed;
}

ttl::StateDict copy_state_dict(const std::vector<BorrowedTensor>& borrowed) {
  ttl::StateDict state;
  for (const auto& t : borrowed) {
    torch::Tensor tensor = torch::empty(t.shape, t.dtype);
    std::memcpy(tensor.data_ptr(), t.data, t.bytes);
    state[t.name] = tensor;
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
  out.Set("headMissing", strings(env, r.head_missing));
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
    u.Set("headParams", Napi::Number::New(env, static_cast<double>(c.units[i].head_params)));
    u.Set("headMacs", Napi::Number::New(env, static_cast<double>(c.units[i].head_macs)));
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
