// queue/fs_queue_store.h — the on-disk QueueStore: <spool>/queue, <spool>/tmp, <spool>/failed,
// all 0700. Crash-safe writes (tmp, fsync, rename, fsync dir) via sys/. The .env format is in
// queue/env_format.h. Returns Result; never logs. Not thread-safe.
// Not here: retry timing (relay/), message parsing (mail/).
#pragma once

#include <string>

#include "core/clock.h"
#include "queue/queue_store.h"

namespace rm {

class FsQueueStore final : public QueueStore {
 public:
  // Does no I/O; directories are created by begin() and list() when missing.
  FsQueueStore(std::string spool_dir, const Clock& clock);
  // ... QueueStore overrides (see queue_store.h) ...
  Result<std::unique_ptr<MessageDraft>> begin() override;
  Status commit(MessageDraft& draft, QueueEntry entry) override;
  Result<ListResult> list() override;
  Result<QueueEntry> load(std::string_view id) override;
  Status update(const QueueEntry& entry) override;
  Status remove(std::string_view id) override;
  Status move_to_failed(std::string_view id) override;
  Result<UniqueFd> open_content(std::string_view id) override;
  Result<std::optional<std::unique_ptr<EntryLock>>> try_lock(std::string_view id) override;
  Status clean_tmp(int64_t older_than_seconds) override;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  const Clock& clock_;
};

}  // namespace rm
