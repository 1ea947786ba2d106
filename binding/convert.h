#pragma once
#include <napi.h>
#include <torch/torch.h>

#include "core/arch.h"
#include "dist/data_parallel.h"
#include "engine/complexity.h"
#include "engine/batch_pipeline.h"
#include "engine/trainer.h"
#include "weights/state_dict.h"

namespace ttl_binding {

// JS validates every option (src/); these conversions only copy plain values into C++ structs.
// They run on the JS thread, so they use memcpy and never an ATen kernel: an ATen op there would start
// a second OpenMP thread team whose spinning workers steal the cores from the compute thread's team.
ttl::ArchSpec to_arch_spec(const Napi::Value& spec);
ttl::LoadOptions to_load_options(const Napi::Value& options);
ttl::OptimOptions to_optim_options(const Napi::Value& options);
// 'keep' | 'even' | 'drop' (TS validated it; anything else is refused).
ttl::LastBatch to_last_batch(const std::string& name);
ttl::PipelineOptions to_pipeline_options(const Napi::Value& options);
ttl::dist::DataParallelOptions to_data_parallel_options(const Napi::Value& options);
std::vector<int64_t> to_int_vector(const Napi::Value& value);

// {data: Float32Array | Float64Array, shape: number[]} -> an owned float32 / float64 tensor.
torch::Tensor to_float_tensor(const Napi::Value& value, const char* what);
torch::Tensor to_double_tensor(const Napi::Value& value, const char* what);
// {data: Uint8Array, shape} -> an owned uint8 tensor (segmentation masks).
torch::Tensor to_mask_tensor(const Napi::Value& value);
// {data: Int32Array, shape} -> an int32 tensor of training targets: [N] class labels or [N, ...spatial] masks
// (widened to int64 on the compute thread).
torch::Tensor to_target_tensor(const Napi::Value& value);
// Int32Array labels -> int64 tensor.
torch::Tensor to_label_tensor(const Napi::Value& value);
// [{name, dtype, shape, data: Uint8Array}], checked on the JS thread but copied into tensors on the compute
// thread: copying a 52 MB checkpoint on the JS thread blocked the event loop 80-400 ms here (page faults of
// the fresh tensors, mostly). The caller keeps the arrays alive and unchanged until the call settles.
struct BorrowedTensor {
  std::string name;
  std::vector<int64_t> shape;
  torch::ScalarType dtype;
  const uint8_t* data;
  size_t bytes;
};
std::vector<BorrowedTensor> borrow_state_dict(const Napi::Array& entries);
ttl::StateDict copy_state_dict(const std::vector<BorrowedTensor>& borrowed);

Napi::Object from_tensor(Napi::Env env, const torch::Tensor& tensor);
Napi::Object from_double_tensor(Napi::Env env, const torch::Tensor& tensor);
Napi::Array from_state_dict(Napi::Env env, const ttl::StateDict& state);
Napi::Object from_unit(Napi::Env env, const ttl::UnitInfo& unit);
Napi::Object from_load_report(Napi::Env env, const ttl::LoadReport& report);
Napi::Object from_complexity(Napi::Env env, const ttl::Complexity& complexity);

}  // namespace ttl_binding
