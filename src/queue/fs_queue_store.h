// queue/fs_queue_store.h — the on-disk QueueStore: <spool>/queue, tmp, failed (DESIGN.md §6).
// Contract: crash-safe writes (tmp, fsync, rename, fsync dir); .env format in
// queue/env_format.h; the layout and every invariant in queue/FORMAT.md.
// Trust: before its first access the spool and its three directories pass sys/trusted_dir.h's
// checks for the effective uid (created 0700 when missing); until then every call fails with
// Errc::untrusted and nothing is read or written. An .env or .msg that is not a single-link
// regular file of that uid is quarantined by list() and try_lock(), refused by load() and
// open_content(): never listed, never sent.
// Errors: Result; never logs. Threads: calls for different entries may run at once, one entry
// is kept apart by its lock (try_lock()); concurrent commits, updates and removals share fsyncs
// of queue/ (group commit: queue/dir_sync_batcher.h, one per directory).
// Not here: retry timing (relay/), message parsing (mail/).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "queue/dir_sync_batcher.h"
#include "queue/queue_store.h"
#include "sys/file_lock.h"
#include "sys/sys_ops.h"
#include "sys/temp_file.h"

namespace rm {

class FsQueueStore final : public QueueStore {
 public:
  // Does no I/O; directories are created by begin() and list() when missing.
  FsQueueStore(std::string spool_dir, const Clock& clock);
  // The same with a fault-injection seam for write/fsync/rename (tests).
  FsQueueStore(std::string spool_dir, const Clock& clock, const SysOps& ops);
  // ... QueueStore overrides (see queue_store.h) ...
  Result<std::unique_ptr<MessageDraft>> begin() override;
  Status commit(MessageDraft& draft, QueueEntry entry) override;
  Result<ListResult> list() override;
  Result<QueueEntry> load(std::string_view id) override;
  Status update(const QueueEntry& entry) override;
  Status remove(std::string_view id) override;
  // Unlinks every entry's .env then .msg, then fsyncs queue/ once for all of them.
  std::vector<Status> remove_each(const std::vector<std::string>& ids) override;
  Status move_to_failed(std::string_view id) override;
  Result<UniqueFd> open_content(std::string_view id) override;
  Result<std::optional<std::unique_ptr<EntryLock>>> try_lock(std::string_view id) override;
  Result<CleanResult> clean_tmp(int64_t older_than_seconds) override;
  Result<QueueEntry> load_failed(std::string_view id) override;
  Status requeue(std::string_view id) override;
  Status remove_failed(std::string_view id) override;

  // The checks (and creation) every other call makes on first use, made now: for callers that
  // must refuse an untrusted spool before doing anything else.
  Status prepare() const { return ensure_dirs(); }

  // Calls waiting for an fsync of queue/ now, or running one (for tests).
  size_t queue_sync_waiting() const { return queue_sync_.waiting(); }

  const std::string& dir() const { return dir_; }
  std::string queue_dir() const { return dir_ + "/queue"; }
  std::string tmp_dir() const { return dir_ + "/tmp"; }
  std::string failed_dir() const { return dir_ + "/failed"; }

 private:
  Status ensure_dirs() const;
  Result<std::string> new_id() const;
  std::string mail_path(std::string_view id) const;
  std::string msg_path(std::string_view id) const;
  std::string env_path(std::string_view id) const;
  // The entry in `dir` (queue/ or failed/): its .env when it has one (the delivery state, or a
  // two-file entry), else the envelope at the head of its .mail.
  Result<QueueEntry> load_from(const std::string& dir, std::string_view id);
  // Opens a .mail, reads its envelope text into env_text and leaves the fd at the message.
  Result<UniqueFd> read_head(const std::string& mail, std::string& env_text) const;
  // commit() for an envelope too big for the draft's gap: the draft's message in a new temp
  // file, at `offset`.
  Result<TempFile> copy_body(TempFile& draft, const std::string& id, uint64_t offset);
  // Copies the file open at `fd` to queue/<id><suffix> through tmp/ (fsync, rename); the caller
  // fsyncs queue/.
  Status copy_in(int fd, const std::string& id, std::string_view suffix, TempFile::Replace replace);
  // A failed entry held for requeue() or remove_failed(): the flock on its message file.
  struct FailedHold {
    bool one_file = false;         // failed/<id>.mail (else a two-file entry)
    std::optional<FileLock> lock;  // none when that file is missing or could not be locked
    std::optional<Error> error;    // why it could not be locked, ENOENT aside
  };
  Result<FailedHold> hold_failed(const std::string& id, const char* verb);
  Status check_held(const FailedHold& hold, const std::string& id) const;
  // requeue()'s two formats: the reset state and the message put in queue/, not yet fsynced.
  Status requeue_mail(const FailedHold& hold, const std::string& id, const std::string& state);
  Status requeue_msg(const FailedHold& hold, const std::string& id, const std::string& state);
  // Writes <id>.env through a temp file in tmp/ (fsync, rename); the caller fsyncs queue/
  // through queue_sync_. `placed` says whether the rename happened.
  Status place_env(const std::string& id, const std::string& text, TempFile::Replace replace,
                   bool& placed);
  // One .env found by list(): appends to entries, or quarantines, or records an error.
  // `buf` is list()'s read buffer, reused for every entry.
  void list_one(int queue_fd, std::string_view id, std::string& buf, ListResult& out);
  // The same for a one-file entry, from its .env when it has one (has_state), else its head.
  void list_mail(int queue_fd, std::string_view id, bool has_state, std::string& buf,
                 ListResult& out);
  void quarantine(const std::string& id, ListResult& out);
  // clean_tmp()'s two passes: tmp/, then the orphan messages in queue/.
  Result<size_t> clean_tmp_dir(int64_t now, int64_t older_than_seconds);
  Result<std::vector<std::string>> remove_orphans(int64_t now, int64_t older_than_seconds);
  // queue/<id>.msg, listed without a .env: true when it was an orphan and is gone.
  Result<bool> remove_orphan(int queue_fd, const std::string& id, int64_t now,
                             int64_t older_than_seconds);
  // queue/<id>.env with neither .mail nor .msg: true when it was left over and is gone.
  Result<bool> remove_lone_state(int queue_fd, const std::string& id, int64_t now,
                                 int64_t older_than_seconds);

  std::string dir_;
  const Clock& clock_;
  const SysOps* ops_;
  uid_t owner_;                               // the effective uid: the spool must be its own
  mutable std::atomic<bool> trusted_{false};  // the directories passed ensure_dirs()' checks
  DirSyncBatcher queue_sync_;                 // every fsync of queue/ after a rename or unlink
  DirSyncBatcher failed_sync_;                // the same for failed/
};

}  // namespace rm
