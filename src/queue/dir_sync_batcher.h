// queue/dir_sync_batcher.h — group commit for one directory: callers that renamed or unlinked
// entries there share one fsync of it (one per directory, owned by queue/fs_queue_store.h).
// Contract: sync(t) succeeds only after an fsync that started after the call has succeeded, and
// only if none failed since the ticket t was taken: a failed writeback may drop the changes
// made before it and a later fsync can still succeed (RELIABILITY.md §1.4). With no fsync in
// flight the caller runs it (one caller, one fsync); callers arriving meanwhile wait, and one
// of them runs the next fsync for all. A failure fails that fsync's callers and those already
// queued behind it (their changes met the failed writeback); later callers start afresh.
// Errors: the fsync function's Error, returned to every caller it fails. Never logs.
// Threads: any calls at once; the function runs on a caller's thread, unlocked, one at a time.
// Not here: which directory or how it is synced (the function given; sys/fs.h fsync_dir).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "core/result.h"

namespace rm {

class DirSyncBatcher {
 public:
  using SyncFn = std::function<Status()>;
  // Taken before changing the directory: what sync() needs to know about failures since.
  struct Ticket {
    uint64_t failures = 0;  // failed fsyncs before it
  };

  explicit DirSyncBatcher(SyncFn fsync);
  DirSyncBatcher(const DirSyncBatcher&) = delete;
  DirSyncBatcher& operator=(const DirSyncBatcher&) = delete;

  Ticket ticket() const;
  Status sync(Ticket since);
  // sync(ticket()): for changes no failure can have met, as in a single-threaded process.
  Status sync() { return sync(ticket()); }
  // Callers whose fsync has not ended: in the running round or queued (tests wait on it).
  size_t waiting() const;

 private:
  struct Round;  // the callers one fsync serves, and its result
  void lead(std::unique_lock<std::mutex>& lock, Round& round);
  void finish(Round& round, const Status& result);

  const SyncFn fsync_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool in_flight_ = false;        // an fsync is running
  std::shared_ptr<Round> next_;   // the round callers arriving now join; made by the first
  uint64_t failures_ = 0;         // failed fsyncs so far
  std::optional<Error> failure_;  // the last of them
  size_t waiting_ = 0;
};

}  // namespace rm
