#include "daemon/queue_flusher.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <system_error>
#include <thread>

namespace rm {
namespace {

// How long a flush thread waits before asking again for a session of a busy account.
constexpr Millis kBusyWait{20};

}  // namespace

std::vector<std::string> QueueFlusher::run(const std::vector<std::string>& ids) {
  std::vector<std::string> todo;
  if (ids.empty()) {
    todo = d_.scheduler.take_all();
  } else {
    for (const std::string& id : ids) {
      (void)d_.scheduler.take(id);  // not scheduled: in flight elsewhere, or not ours to find
      todo.push_back(id);
    }
  }
  d_.pool.clear_down();
  std::mutex mu;
  std::vector<std::string> lines;
  std::atomic<size_t> next{0};
  DeliveryDeps deps = d_;
  deps.on_outcome = [&](const EntryOutcome& o) {
    std::lock_guard lock(mu);
    lines.push_back(outcome_line(o));
  };
  auto work = [&] {
    DeliveryWorker worker(deps);
    for (size_t i = next++; i < todo.size(); i = next++) {
      while (worker.attempt(todo[i]) == DeliveryWorker::Attempted::busy) {
        std::this_thread::sleep_for(kBusyWait);
      }
    }
  };
  const size_t n = std::clamp<size_t>(todo.size(), 1, std::max<size_t>(threads_, 1));
  std::vector<std::thread> pool;
  for (size_t k = 1; k < n; ++k) {
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {  // fewer threads; this one still does the rest
      break;
    }
  }
  work();
  for (std::thread& t : pool) {
    t.join();
  }
  return lines;
}

}  // namespace rm
