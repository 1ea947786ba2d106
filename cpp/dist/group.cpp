#include "dist/group.h"

#include <cstdlib>

#include <torch/version.h>

#include "core/error.h"
#include "dist/gradient_buckets.h"

#ifdef TTL_TORCH_DIST
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include "dist/store_impl.h"
#endif
#ifdef TTL_TORCH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace ttl::dist {

#ifdef TTL_TORCH_DIST

// LibTorch 2.x split process groups in two: ProcessGroupGloo/NCCL became c10d::Backend implementations that a
// ProcessGroup dispatches to (by device type). The collectives used here have the same signatures on both, so
// the backend is held directly: no dispatch layer between the trainer and Gloo/NCCL on either line.
#if TORCH_VERSION_MAJOR >= 2
using Collectives = c10d::Backend;
#else
using Collectives = c10d::ProcessGroup;
#endif

struct Group::Impl {
  c10::intrusive_ptr<Collectives> group;
};

namespace {

std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& hostname) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (!hostname.empty()) return c10d::ProcessGroupGloo::createDeviceForHostname(hostname);
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

c10::intrusive_ptr<Collectives> make_group(c10::intrusive_ptr<c10d::Store> store, const GroupOptions& o) {
  if (o.backend == "nccl") {
#ifdef TTL_TORCH_NCCL
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = o.timeout;
    return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, o.rank, o.world_size, options);
#else
    throw Error("E_NO_NCCL", "backend 'nccl' needs a CUDA LibTorch with NCCL; this build has only 'gloo'");
#endif
  }
  TORCH_CHECK(o.backend == "gloo", "unknown process group backend ", o.backend);
  auto options = c10d::ProcessGroupGloo::Options::create(o.timeout);
  options->devices.push_back(gloo_device(o.hostname));
  options->threads = 2;
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, o.rank, o.world_size, options);
}

}  // namespace

Group::Group(Store& store, const GroupOptions& options) : options_(options), impl_(std::make_unique<Impl>()) {
  TORCH_CHECK(options.world_size >= 1 && options.rank >= 0 && options.rank < options.world_size, "rank ", options.rank,
              " is outside a world of ", options.world_size);
  TORCH_CHECK(options.bucket_bytes > 0, "bucket size must be positive");
  auto prefixed = c10::make_intrusive<c10d::PrefixStore>("group/" + options.name, store.impl().store);
  try {
    impl_->group = make_group(prefixed, options);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error("E_DIST_GROUP", "rank " + std::to_string(options.rank) + " could not join process group '" + options.name +
                                    "' of " + std::to_string(options.world_size) + " through " + store.address() + ": " +
                                    std::string(e.what()).substr(0, 300));
  }
}

Group::~Group() = default;

void Group::sum_in_place(torch::Tensor& bucket) {
  std::vector<torch::Tensor> one{bucket};
  impl_->group->allreduce(one)->wait(options_.timeout);
}

void Group::average_gradients(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty() || options_.world_size == 1) return;
  for (const auto& indices : bucket_indices(grads, options_.bucket_bytes)) {
    const auto bucket_grads = pick(grads, indices);
    torch::Tensor bucket = flatten(bucket_grads);
    sum_in_place(bucket);
    bucket.div_(options_.world_size);
    unflatten_into(bucket, bucket_grads);
  }
}

PendingSum Group::start_sum(torch::Tensor& flat) {
  std::vector<torch::Tensor> one{flat};
  auto work = impl_->group->allreduce(one);
  const auto timeout = options_.timeout;
  return PendingSum([work, timeout] { work->wait(timeout); });
}

void Group::broadcast(const std::vector<torch::Tensor>& tensors, int root) {
  TORCH_CHECK(root >= 0 && root < options_.world_size, "broadcast root ", root, " is not a rank");
  c10d::BroadcastOptions opts;
  opts.rootRank = root;
  for (const auto& t : tensors) {
    // Gloo broadcasts dense contiguous tensors; a view is broadcast through a contiguous copy.
    std::vector<torch::Tensor> one{t.is_contiguous() ? t : t.contiguous()};
    impl_->group->broadcast(one, opts)->wait(options_.timeout);
    if (!t.is_contiguous()) t.copy_(one[0]);
  }
}

torch::Tensor Group::gather_rows(const torch::Tensor& local) {
  TORCH_CHECK(local.dim() >= 1, "gather_rows needs at least one dimension");
  // All-gather needs equal shapes: share the row counts, pad every part to the longest, trim after.
  torch::Tensor counts = torch::zeros({options_.world_size}, torch::kLong);
  counts[options_.rank] = local.size(0);
  sum_in_place(counts);
  const int64_t longest = counts.max().item<int64_t>();
  auto padded_shape = local.sizes().vec();
  padded_shape[0] = longest;
  torch::Tensor padded = torch::zeros(padded_shape, local.options());
  padded.narrow(0, 0, local.size(0)).copy_(local);
  std::vector<std::vector<torch::Tensor>> out(1);
  for (int r = 0; r < options_.world_size; r++) out[0].push_back(torch::empty_like(padded));
  std::vector<torch::Tensor> in{padded};
  impl_->group->allgather(out, in)->wait(options_.timeout);
  std::vector<torch::Tensor> parts;
  for (int r = 0; r < options_.world_size; r++) parts.push_back(out[0][r].narrow(0, 0, counts[r].item<int64_t>()));
  return torch::cat(parts);
}

void Group::barrier() { impl_->group->barrier()->wait(options_.timeout); }

#else

struct Group::Impl {};

Group::Group(Store&, const GroupOptions&) {
  throw Error("E_NO_DISTRIBUTED", "this ttl-torch build has no c10d process groups");
}
Group::~Group() = default;
void Group::sum_in_place(torch::Tensor&) {}
PendingSum Group::start_sum(torch::Tensor&) { return PendingSum([] {}); }
void Group::average_gradients(const std::vector<torch::Tensor>&) {}
void Group::broadcast(const std::vector<torch::Tensor>&, int) {}
torch::Tensor Group::gather_rows(const torch::Tensor& local) { return local; }
void Group::barrier() {}

#endif

}  // namespace ttl::dist
