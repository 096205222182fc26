#include "daemon/scheduler.h"

namespace rm {

void Scheduler::add(const std::string& id, MonoTime due) {
  {
    std::lock_guard lock(mu_);
    auto [it, fresh] = due_.emplace(id, due);
    if (!fresh) {
      if (it->second <= due) {
        return;
      }
      it->second = due;
    }
    heap_.emplace(due, id);
  }
  cv_.notify_one();
}

std::optional<std::string> Scheduler::pop_due_locked(MonoTime now) {
  while (!heap_.empty()) {
    const Item& top = heap_.top();
    auto it = due_.find(top.second);
    if (it == due_.end() || it->second != top.first) {
      heap_.pop();  // superseded by an earlier time, or taken already
      continue;
    }
    if (top.first > now) {
      return std::nullopt;
    }
    std::string id = top.second;
    heap_.pop();
    due_.erase(it);
    return id;
  }
  return std::nullopt;
}

std::optional<std::string> Scheduler::next() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (stopped_) {
      return std::nullopt;
    }
    const MonoTime now = std::chrono::steady_clock::now();
    if (auto id = pop_due_locked(now)) {
      return id;
    }
    if (heap_.empty()) {
      cv_.wait(lock);
    } else {
      // A copy: while we wait, add() may grow the heap and move its elements.
      const MonoTime until = heap_.top().first;
      cv_.wait_until(lock, until);
    }
  }
}

std::vector<std::string> Scheduler::take_all() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  while (auto id = pop_due_locked(MonoTime::max())) {
    out.push_back(std::move(*id));
  }
  return out;
}

bool Scheduler::take(const std::string& id) {
  std::lock_guard lock(mu_);
  return due_.erase(id) > 0;  // its heap item is stale now and skipped
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

size_t Scheduler::size() const {
  std::lock_guard lock(mu_);
  return due_.size();
}

}  // namespace rm
