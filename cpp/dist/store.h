#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ttl::dist {

// Whether this build links LibTorch's c10d (TCPStore, ProcessGroupGloo); without it every constructor below
// throws E_NO_DISTRIBUTED.
bool available();
// Whether ProcessGroupNCCL was compiled in (a CUDA LibTorch with NCCL).
bool nccl_available();

struct StoreOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;          // the server: 0 picks a free port (see Store::port)
  bool is_server = false;
  std::chrono::milliseconds timeout{30000};  // connecting, and every blocking get/wait
};

// A c10d TCPStore: the rendezvous and the key-value store the ranks share. Thread-safe (c10d serialises
// the operations of one client). A client that cannot connect within the timeout throws E_DIST_UNREACHABLE
// naming host:port.
class Store {
 public:
  explicit Store(const StoreOptions& options);
  ~Store();

  void set(const std::string& key, const std::vector<uint8_t>& value);
  // Waits up to the store's timeout for the key (E_DIST_TIMEOUT; the connection is then unusable: check or
  // wait for a key before getting it).
  std::vector<uint8_t> get(const std::string& key);
  int64_t add(const std::string& key, int64_t delta);
  bool check(const std::vector<std::string>& keys);
  // False when the keys did not all appear within `timeout`.
  bool wait(const std::vector<std::string>& keys, std::chrono::milliseconds timeout);
  bool remove(const std::string& key);
  uint16_t port() const;
  const std::string& address() const { return address_; }

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
  std::string address_;
};

}  // namespace ttl::dist
