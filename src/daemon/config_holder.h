// daemon/config_holder.h — the daemon's current configuration as an immutable snapshot: every
// connection and attempt takes the snapshot of its start and keeps it to its end, and SIGHUP's
// reload swaps in a new one, so nothing ever changes under a session.
// Errors: none. Threads: every call may come from any thread. Not here: loading (config/).
#pragma once

#include <memory>
#include <mutex>
#include <utility>

#include "config/config.h"

namespace rm {

class ConfigHolder {
 public:
  explicit ConfigHolder(std::shared_ptr<const Config> cfg) : cfg_(std::move(cfg)) {}
  std::shared_ptr<const Config> get() const {
    std::lock_guard lock(mu_);
    return cfg_;
  }
  void set(std::shared_ptr<const Config> cfg) {
    std::lock_guard lock(mu_);
    cfg_ = std::move(cfg);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Config> cfg_;
};

}  // namespace rm
