#include "daemon/housekeeper.h"

#include <chrono>

namespace rm {

void Housekeeper::run() {
  auto next_clean = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!stopped_) {
    lock.unlock();
    pool_.close_idle(opts_.idle_session);
    if (std::chrono::steady_clock::now() >= next_clean) {
      clean_tmp();
      next_clean = std::chrono::steady_clock::now() + opts_.tmp_every;
    }
    lock.lock();
    cv_.wait_for(lock, opts_.tick, [&] { return stopped_; });
  }
}

void Housekeeper::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

void Housekeeper::clean_tmp() {
  auto cleaned = store_.clean_tmp(kTmpGarbageAge);
  if (!cleaned) {
    log_.error("%s", cleaned.error().what.c_str());
    return;
  }
  if (cleaned->tmp_files > 0) {
    log_.info("removed %zu files crashed writers left in tmp/", cleaned->tmp_files);
  }
  for (const std::string& id : cleaned->orphans) {
    log_.warn("%s: orphan message file (no envelope, unlocked) removed from queue/", id.c_str());
  }
}

}  // namespace rm
