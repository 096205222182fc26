// daemon/scheduler.h — when each queued entry is next due, kept in memory: a min-heap fed by
// new commits (due at once), by the spool listing at start and by attempts' outcomes (due at
// their next try), taken by the delivery workers as their time comes.
// Contract: an id is held once; adding it again keeps the earlier of its two times. next()
// blocks until an entry is due or stop() was called, and wakes at once for an entry due now.
// Errors: none. Threads: every call may come from any thread.
// Not here: what a retry time is (relay/retry_policy.h), the attempt (relay/delivery_attempt.h).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace rm {

class Scheduler {
 public:
  void add(const std::string& id, MonoTime due);
  // The next due id, removed from the schedule; nullopt once stop() was called.
  std::optional<std::string> next();
  // Every id, due or not, sooner first, removed from the schedule (XFLUSH).
  std::vector<std::string> take_all();
  // `id` removed from the schedule; false when it was not in it (XFLUSH ID).
  bool take(const std::string& id);
  void stop();
  size_t size() const;

 private:
  using Item = std::pair<MonoTime, std::string>;
  std::optional<std::string> pop_due_locked(MonoTime now);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> heap_;
  std::map<std::string, MonoTime> due_;  // the live time of each id; heap items may be stale
  bool stopped_ = false;
};

}  // namespace rm
