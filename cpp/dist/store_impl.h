#pragma once
// The c10d object behind a Store, for the process group built on it (TTL_TORCH_DIST builds only).
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "dist/store.h"

namespace ttl::dist {

struct Store::Impl {
  c10::intrusive_ptr<c10d::TCPStore> store;
};

}  // namespace ttl::dist
