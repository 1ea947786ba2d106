#include "dist/store.h"

#include <algorithm>
#include <thread>

#include "core/error.h"

#ifdef TTL_TORCH_DIST
#include "dist/store_impl.h"
#endif

namespace ttl::dist {

bool available() {
#ifdef TTL_TORCH_DIST
  return true;
#else
  return false;
#endif
}

bool nccl_available() {
#ifdef TTL_TORCH_NCCL
  return true;
#else
  return false;
#endif
}

#ifdef TTL_TORCH_DIST

Store::Store(const StoreOptions& options)
    : impl_(std::make_unique<Impl>()), address_(options.host + ":" + std::to_string(options.port)) {
  TORCH_CHECK(options.timeout.count() > 0, "store timeout must be positive");
  c10d::TCPStoreOptions opts;
  opts.port = options.port;
  opts.isServer = options.is_server;
  opts.waitWorkers = false;  // ranks join when they are ready; the run does not wait for all of them
  opts.timeout = options.timeout;
  try {
    impl_->store = c10::make_intrusive<c10d::TCPStore>(options.host, opts);
  } catch (const std::exception& e) {
    // c10d retries connecting until the timeout; what it then says names neither the address nor the cause.
    throw Error(options.is_server ? "E_DIST_BIND" : "E_DIST_UNREACHABLE",
                (options.is_server ? "cannot serve the c10d store on " : "cannot reach the c10d store (the master) at ") +
                    address_ + " within " + std::to_string(options.timeout.count() / 1000.0).substr(0, 5) + " s: " +
                    e.what());
  }
  address_ = options.host + ":" + std::to_string(impl_->store->getPort());
}

Store::~Store() = default;

// Every operation names the store: a worker's log then says which master stopped answering.
template <typename F>
static auto named(const std::string& address, const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    const std::string message = e.what();
    const bool timeout = message.find("imeout") != std::string::npos || message.find("imed out") != std::string::npos;
    throw Error(timeout ? "E_DIST_TIMEOUT" : "E_DIST_LOST",
                std::string("c10d store at ") + address + ": " + what + " failed: " + message.substr(0, 300));
  }
}

void Store::set(const std::string& key, const std::vector<uint8_t>& value) {
  named(address_, "set", [&] { impl_->store->set(key, value); });
}

std::vector<uint8_t> Store::get(const std::string& key) {
  return named(address_, "get", [&] { return impl_->store->get(key); });
}

int64_t Store::add(const std::string& key, int64_t delta) {
  return named(address_, "add", [&] { return impl_->store->add(key, delta); });
}

bool Store::check(const std::vector<std::string>& keys) {
  return named(address_, "check", [&] { return impl_->store->check(keys); });
}

bool Store::wait(const std::vector<std::string>& keys, std::chrono::milliseconds timeout) {
  // Polls check() rather than calling c10d's wait(keys, timeout): in LibTorch 1.13 a wait that times out
  // leaves the server's pending answer in the socket, and the client's next reply is read out of step.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (check(keys)) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(20)));
  }
}

bool Store::remove(const std::string& key) {
  return named(address_, "delete", [&] { return impl_->store->deleteKey(key); });
}

uint16_t Store::port() const { return impl_->store->getPort(); }

#else

struct Store::Impl {};

static Error unavailable() {
  return Error("E_NO_DISTRIBUTED",
               "this ttl-torch build has no c10d (LibTorch without distributed support, or built without gloo "
               "headers: install libgloo-dev and rebuild)");
}

Store::Store(const StoreOptions&) { throw unavailable(); }
Store::~Store() = default;
void Store::set(const std::string&, const std::vector<uint8_t>&) { throw unavailable(); }
std::vector<uint8_t> Store::get(const std::string&) { throw unavailable(); }
int64_t Store::add(const std::string&, int64_t) { throw unavailable(); }
bool Store::check(const std::vector<std::string>&) { throw unavailable(); }
bool Store::wait(const std::vector<std::string>&, std::chrono::milliseconds) { throw unavailable(); }
bool Store::remove(const std::string&) { throw unavailable(); }
uint16_t Store::port() const { throw unavailable(); }

#endif

}  // namespace ttl::dist
