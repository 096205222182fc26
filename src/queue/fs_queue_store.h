// queue/fs_queue_store.h — the on-disk QueueStore: <spool>/queue, <spool>/tmp, <spool>/failed,
// all 0700, files 0600. Crash-safe writes (tmp, fsync, rename, fsync dir) via sys/. The .env
// format is in queue/env_format.h. Returns Result; never logs. Threads: nothing in the object
// changes after construction but an atomic "checked" flag, so calls for different entries may
// run at once (QueueRunner's workers do so); calls for one entry are kept apart by its lock.
// Trust (RELIABILITY.md §4, cases 52-54): before its first access, the spool and its three
// directories pass sys/trusted_dir.h's checks for the effective uid, created 0700 when missing;
// until they do, every call fails with Errc::untrusted (or the failing syscall's Errc::io) and
// nothing is read or written. An .env or .msg that is not a regular, single-link file owned by
// that uid is quarantined by list(), refused by load() and open_content(), and quarantined by
// try_lock(): it is never listed or sent.
// Not here: retry timing (relay/), message parsing (mail/).
//
// Layout and invariants (DESIGN.md §6):
//   queue/<id>.msg   the message, never rewritten after commit
//   queue/<id>.env   the entry; it exists once this file does
//   tmp/<id>.msg.<rand>, tmp/<id>.env.<rand>   files being written (drafts, .env rewrites)
//   failed/<id>.{msg,env}   quarantined or permanently failed entries
// - commit() fsyncs <id>.msg and renames it into queue/, then fsyncs and renames <id>.env, then
//   fsyncs queue/ once for both renames; only then does it return success (the submitter's exit
//   0). Filesystems that journal metadata in order (ext4, XFS) never keep the later rename
//   without the earlier, so after a crash an .env has its .msg; elsewhere an .env without .msg
//   can only be a commit that never returned, and list() quarantines it. A crash in between
//   leaves a stray .msg without .env: no entry, never listed, never delivered (the submitter got
//   no exit 0 for it). Strays are left for the operator; nothing removes them automatically,
//   because an age test cannot tell a stray from a commit in progress.
// - remove() and move_to_failed() take the .env away first, so a concurrent list() may see an
//   .env without .msg only when the entry has just gone (it re-checks before quarantining).
// - list() reads only .env files, one readdir, one read per entry and one fstatat of its .msg:
//   no body, no per-entry fsync. A .env that does not parse, is not ours (above), names another
//   id, or whose .msg is missing or not ours is moved to failed/ and reported in
//   ListResult::quarantined.
// - try_lock() flocks the .msg (LOCK_EX|LOCK_NB). Locks are per open file description, so two
//   stores, in one process or two, exclude each other. It returns nullopt when the entry is held
//   elsewhere or was finished by someone else while we waited; after locking, load() again:
//   the listed state may be stale.
// - requeue() (failed/ back to queue/) never leaves the entry in neither place: it copies
//   failed/<id>.msg to queue/<id>.msg through tmp/ (a copy, not a link: a second link would make
//   open_content() refuse the .msg with EMLINK), then commits the reset queue/<id>.env with the
//   usual temp/fsync/rename/fsync-dir, and only then unlinks failed/<id>.env and failed/<id>.msg
//   (fsync failed/). A crash before the queue .env lands leaves the failed entry as it was (plus
//   a queue/<id>.msg without .env, which a rerun replaces); a crash after it leaves the entry in
//   both places. "Both" means queued: list() reads queue/ only, requeue() then says EEXIST, and
//   the failed/ copy is an inert leftover that remove_failed() (`relaymail delete`) takes away.
//   requeue() and remove_failed() hold a flock on failed/<id>.msg, so they exclude each other.
//   A failed .env whose .msg is still in queue/ (move_to_failed() interrupted between its two
//   renames) is requeued with that .msg.
// - clean_tmp() works on a tmp/ fd opened O_NOFOLLOW: fstatat(AT_SYMLINK_NOFOLLOW) and
//   unlinkat() on plain names, so it never follows a symlink and never touches anything outside
//   tmp/. Directories are skipped. A file some live TempFile is writing carries its flock
//   (sys/temp_file.h) and is never removed, however old: a slow `longjob | sendmail` keeps its
//   draft. An unlocked file older than the bound is a crashed writer's leftover and goes. Where
//   the lock cannot be tested (not a regular file, no flock support) only files older than an
//   hour go.
// - Ids come from core/ids.h (wall seconds from the Clock, microseconds from CLOCK_REALTIME,
//   24 random bits from getrandom); an id that fails is_valid_queue_id() is never made a path
//   (Errc::io, EINVAL). A colliding id fails commit() with EEXIST rather than replace anything.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "queue/queue_store.h"
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
  Result<size_t> clean_tmp(int64_t older_than_seconds) override;
  Result<QueueEntry> load_failed(std::string_view id) override;
  Status requeue(std::string_view id) override;
  Status remove_failed(std::string_view id) override;

  // The checks (and creation) every other call makes on first use, made now: for callers that
  // must refuse an untrusted spool before doing anything else.
  Status prepare() const { return ensure_dirs(); }

  const std::string& dir() const { return dir_; }
  std::string queue_dir() const { return dir_ + "/queue"; }
  std::string tmp_dir() const { return dir_ + "/tmp"; }
  std::string failed_dir() const { return dir_ + "/failed"; }

 private:
  Status ensure_dirs() const;
  Result<std::string> new_id() const;
  std::string msg_path(std::string_view id) const;
  std::string env_path(std::string_view id) const;
  Result<QueueEntry> load_from(const std::string& dir, std::string_view id);
  // Copies the message open at `fd` to queue/<id>.msg through tmp/ (fsync, rename, fsync dir).
  Status copy_msg_in(int fd, const std::string& id);
  // Writes <id>.env through a temp file in tmp/; `placed` says whether the rename happened.
  Status place_env(const std::string& id, const std::string& text, TempFile::Replace replace,
                   bool& placed);
  // One .env found by list(): appends to entries, or quarantines, or records an error.
  // `buf` is list()'s read buffer, reused for every entry.
  void list_one(int queue_fd, std::string_view id, std::string& buf, ListResult& out);
  void quarantine(const std::string& id, ListResult& out);

  std::string dir_;
  const Clock& clock_;
  const SysOps* ops_;
  uid_t owner_;                               // the effective uid: the spool must be its own
  mutable std::atomic<bool> trusted_{false};  // the directories passed ensure_dirs()' checks
};

}  // namespace rm
