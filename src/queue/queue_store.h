// queue/queue_store.h — the spool as an interface. FsQueueStore (queue/fs_queue_store.h) is
// the real one. Commit protocol (RELIABILITY.md §1): the message is written into a temp file in
// tmp/ (O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600); commit() puts the envelope in front of it,
// fsyncs it, renames it to queue/<id>.mail and fsyncs the directory; the entry exists once that
// file is in queue/. Delivery's state goes to a separate file that update() replaces. A
// MessageDraft destroyed without commit unlinks its temp file.
// Errors are Result (Errc::io with errno; Errc::spool_corrupt for a bad entry). Never logs.
// Implementations say which calls may run at once (FsQueueStore: those for different entries);
// separate processes are kept apart by try_lock().
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_io.h"
#include "core/result.h"
#include "queue/queue_entry.h"
#include "sys/unique_fd.h"

namespace rm {

// A message being written. Bytes go through sink(); nothing is visible in queue/ until commit.
class MessageDraft {
 public:
  virtual ~MessageDraft() = default;
  virtual const std::string& id() const = 0;
  virtual ByteSink& sink() = 0;
  virtual uint64_t bytes_written() const = 0;
};

// Held while an entry is being delivered (flock LOCK_EX|LOCK_NB on the file that holds its
// message). Released by the destructor.
class EntryLock {
 public:
  virtual ~EntryLock() = default;
};

struct ListResult {
  std::vector<QueueEntry> entries;       // sorted by id (arrival order)
  std::vector<std::string> quarantined;  // ids moved to failed/: corrupt or not ours alone
  // Entries neither listed nor quarantined because of an I/O error other than "corrupt" (EACCES,
  // EIO, ...): one bad file never hides the rest of the queue. For the caller to log.
  std::vector<Error> errors;
};

// What clean_tmp() removed.
struct CleanResult {
  size_t tmp_files = 0;              // crashed writers' files in tmp/
  std::vector<std::string> orphans;  // ids of leftovers removed from queue/, in id order
};

class QueueStore {
 public:
  virtual ~QueueStore() = default;
  // Creates the spool directories (0700) when missing; picks a fresh id.
  virtual Result<std::unique_ptr<MessageDraft>> begin() = 0;
  // entry.id must be draft.id(); entry.size is set from the bytes written.
  virtual Status commit(MessageDraft& draft, QueueEntry entry) = 0;
  virtual Result<ListResult> list() = 0;
  virtual Result<QueueEntry> load(std::string_view id) = 0;
  // Atomically replaces the entry's state (temp, fsync, rename, fsync dir).
  virtual Status update(const QueueEntry& entry) = 0;
  // Removes the entry's files, the one that makes it an entry first.
  virtual Status remove(std::string_view id) = 0;
  // remove() for each id, one Status per id, in order; each is durable when its Status is ok.
  // The default calls remove(); FsQueueStore makes all the removals durable with one fsync.
  virtual std::vector<Status> remove_each(const std::vector<std::string>& ids) {
    std::vector<Status> out;
    out.reserve(ids.size());
    for (const std::string& id : ids) {
      out.push_back(remove(id));
    }
    return out;
  }
  // Moves the entry's files to failed/, keeping the id.
  virtual Status move_to_failed(std::string_view id) = 0;
  // Opens the message read-only (O_NOFOLLOW, regular file checked), positioned at its first
  // byte: bytes from there to the end of the file are the message.
  virtual Result<UniqueFd> open_content(std::string_view id) = 0;
  // nullopt when another process holds the entry.
  virtual Result<std::optional<std::unique_ptr<EntryLock>>> try_lock(std::string_view id) = 0;
  // Removes what crashed writers left, when its mtime is more than `older_than_seconds` before
  // now and nobody holds its lock: files in tmp/ (never following a symlink, never leaving
  // tmp/), and in queue/ the files a cut-short remove() or move_to_failed() left of an entry
  // that is gone. A commit in progress is never taken for a leftover. Says what went, for the
  // caller to log; an error after some went names them.
  virtual Result<CleanResult> clean_tmp(int64_t older_than_seconds) = 0;

  // failed/ (`relaymail requeue` and `relaymail delete`): entries with the same files as in
  // queue/; nothing delivers from failed/.
  // Reads a failed entry; ENOENT when there is none, Errc::spool_corrupt when it does not parse
  // (a quarantined entry).
  virtual Result<QueueEntry> load_failed(std::string_view id) = 0;
  // Puts a failed entry back in the queue in the state requeued() gives it. Errors: ENOENT no
  // failed entry; EEXIST already queued (nothing changed); EWOULDBLOCK another requeue or delete
  // holds it; Errc::spool_corrupt the failed entry does not parse or its message is missing.
  virtual Status requeue(std::string_view id) = 0;
  // Removes a failed entry's files. ENOENT when none is there; EWOULDBLOCK while a requeue holds
  // it.
  virtual Status remove_failed(std::string_view id) = 0;
};

}  // namespace rm
