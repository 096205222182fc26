// A round is the set of callers one fsync serves: those that arrived before it started. The
// callers arriving while an fsync runs all join `next_`, the round of the following fsync, which
// the first of them to wake after the running one ends will lead. Each waiter keeps its round
// (shared_ptr), so it reads that round's own result however late it wakes, even after later
// rounds have run; a bare round counter would need the history of results for that.
#include "queue/dir_sync_batcher.h"

#include <utility>

namespace rm {

struct DirSyncBatcher::Round {
  size_t members = 0;
  bool done = false;
  Status result;
};

DirSyncBatcher::DirSyncBatcher(SyncFn fsync) : fsync_(std::move(fsync)) {}

DirSyncBatcher::Ticket DirSyncBatcher::ticket() const {
  std::lock_guard lock(mu_);
  return Ticket{failures_};
}

size_t DirSyncBatcher::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

Status DirSyncBatcher::sync(Ticket since) {
  std::unique_lock lock(mu_);
  if (since.failures != failures_) {
    return *failure_;  // an fsync failed after the caller's changes began: never trust a later one
  }
  if (!next_) {
    next_ = std::make_shared<Round>();
  }
  std::shared_ptr<Round> round = next_;
  ++round->members;
  ++waiting_;
  cv_.wait(lock, [&] { return round->done || !in_flight_; });
  if (!round->done) {
    lead(lock, *round);
  }
  return round->result;
}

// Called with the lock held and `round` == next_; returns with the lock held and `round` done.
void DirSyncBatcher::lead(std::unique_lock<std::mutex>& lock, Round& round) {
  next_.reset();  // whoever comes now waits for the next fsync: this one may miss their changes
  in_flight_ = true;
  lock.unlock();
  Status r = fsync_();
  lock.lock();
  in_flight_ = false;
  finish(round, r);
  if (!r) {
    ++failures_;
    failure_ = r.error();
    if (next_) {  // queued while it failed: their changes may have been in that writeback
      finish(*next_, r);
      next_.reset();
    }
  }
  cv_.notify_all();
}

void DirSyncBatcher::finish(Round& round, const Status& result) {
  round.result = result;
  round.done = true;
  waiting_ -= round.members;
}

}  // namespace rm
