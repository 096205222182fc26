// FsQueueStore's failed/ side of queue/fs_queue_store.h: load_failed(), requeue() and
// remove_failed() for one-file and two-file entries (the rules: queue/FORMAT.md).
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <span>

#include "queue/env_format.h"
#include "queue/fs_queue_store.h"
#include "queue/spool_files.h"
#include "sys/fd_io.h"
#include "sys/file_lock.h"
#include "sys/fs.h"

namespace rm {

using namespace spool;  // NOLINT(google-build-using-namespace): this store's own names

Result<QueueEntry> FsQueueStore::load_failed(std::string_view id) {
  if (auto r = check_id("load", id); !r) {
    return std::move(r).error();
  }
  return load_from(failed_dir(), id);
}

Status FsQueueStore::copy_in(int fd, const std::string& id, std::string_view suffix,
                             TempFile::Replace replace) {
  auto tmp = TempFile::create(tmp_dir(), id + std::string(suffix) + ".", *ops_);
  if (!tmp) {
    return std::move(tmp).error();
  }
  FdSink out(tmp->fd(), *ops_, tmp->path());
  if (auto r = copy_to_end(fd, failed_dir() + "/" + id + std::string(suffix), out); !r) {
    return r;
  }
  return tmp->commit_as(queue_dir() + "/" + id + std::string(suffix), replace,
                        TempFile::DirSync::by_caller);
}

Result<FsQueueStore::FailedHold> FsQueueStore::hold_failed(const std::string& id,
                                                           const char* verb) {
  // The lock is on the failed entry's message file, whichever format it has.
  const bool one_file = file_exists(failed_dir() + "/" + id + std::string(kMailSuffix));
  const std::string path =
      failed_dir() + "/" + id + std::string(one_file ? kMailSuffix : kMsgSuffix);
  FailedHold hold;
  hold.one_file = one_file;
  auto lock = try_lock_path(path, LockOpen::existing);
  if (lock && !lock->has_value()) {
    return sys_error(Errc::io, EWOULDBLOCK, "%s %s: held by another requeue or delete", verb,
                     path.c_str());
  }
  if (lock) {
    hold.lock = std::move(**lock);
  } else if (lock.error().sys_errno != ENOENT) {
    hold.error = std::move(lock).error();
  }
  return hold;
}

Status FsQueueStore::requeue(std::string_view id_view) {
  if (auto r = check_id("requeue", id_view); !r) {
    return r;
  }
  const std::string id(id_view);
  if (auto r = ensure_dirs(); !r) {
    return r;
  }
  auto hold = hold_failed(id, "requeue");
  if (!hold) {
    return std::move(hold).error();
  }
  if (hold->error) {
    return with_context(std::move(*hold->error), "requeue " + id);
  }
  // Checked under the lock, so a requeue that finished while we waited is seen as one.
  if (file_exists(mail_path(id)) || (!hold->one_file && file_exists(env_path(id)))) {
    return sys_error(Errc::io, EEXIST, "requeue %s: already queued", id.c_str());
  }
  auto entry = load_from(failed_dir(), id);
  if (!entry) {
    Error e = std::move(entry).error();
    if (e.code != Errc::spool_corrupt && !hostile_file(e)) {
      return with_context(std::move(e), "requeue " + id);
    }
    return make_error(Errc::spool_corrupt, "requeue %s: quarantined entry (%s)", id.c_str(),
                      e.what.c_str());
  }
  auto text = serialise_env(requeued(std::move(*entry), clock_.wall()));
  if (!text) {
    return std::move(text).error();
  }
  if (auto r = hold->one_file ? requeue_mail(*hold, id, *text) : requeue_msg(*hold, id, *text);
      !r) {
    return r;
  }
  // Queued now; what is left in failed/ is a copy. Its entry-making file first.
  const DirSyncBatcher::Ticket failed_since = failed_sync_.ticket();
  int missing = 0;
  if (auto r = unlink_entry(*ops_, failed_dir(), id, missing); !r) {
    return r;
  }
  return failed_sync_.sync(failed_since);
}

Status FsQueueStore::requeue_mail(const FailedHold& hold, const std::string& id,
                                  const std::string& state) {
  if (auto r = check_held(hold, id); !r) {
    return r;
  }
  // The state first, then the .mail that makes the entry: it starts in the requeued state. A
  // state left by a requeue cut short is no entry's, so it may be replaced. One fsync of queue/
  // for both renames, as in commit().
  const DirSyncBatcher::Ticket since = queue_sync_.ticket();
  bool placed = false;
  if (auto r = place_env(id, state, TempFile::Replace::yes, placed); !r) {
    return r;
  }
  if (auto r = copy_in(hold.lock->fd(), id, kMailSuffix, TempFile::Replace::no); !r) {
    return r;
  }
  return queue_sync_.sync(since);
}

Status FsQueueStore::requeue_msg(const FailedHold& hold, const std::string& id,
                                 const std::string& state) {
  if (hold.lock) {
    if (auto r = check_held(hold, id); !r) {
      return r;
    }
    // No queue/<id>.env (checked under the failed/ lock): a queue/<id>.msg here is no entry's
    // message, only the leftover of an interrupted requeue, so it may be replaced. It is made
    // durable before the .env that makes the entry is written.
    const DirSyncBatcher::Ticket since = queue_sync_.ticket();
    if (auto r = copy_in(hold.lock->fd(), id, kMsgSuffix, TempFile::Replace::yes); !r) {
      return r;
    }
    if (auto r = queue_sync_.sync(since); !r) {
      return r;
    }
  } else if (!file_exists(msg_path(id))) {
    return make_error(Errc::spool_corrupt, "requeue %s: no message in failed/ or queue/",
                      id.c_str());
  }
  const DirSyncBatcher::Ticket since = queue_sync_.ticket();
  bool placed = false;
  if (auto r = place_env(id, state, TempFile::Replace::no, placed); !r) {
    return r;
  }
  return queue_sync_.sync(since);
}

Status FsQueueStore::check_held(const FailedHold& hold, const std::string& id) const {
  struct stat st {};
  if (!hold.lock || ::fstat(hold.lock->fd(), &st) != 0 || !trusted_file(st, owner_)) {
    return make_error(Errc::spool_corrupt,
                      "requeue %s: quarantined entry (its message in "
                      "failed/ is not ours alone)",
                      id.c_str());
  }
  return {};
}

Status FsQueueStore::remove_failed(std::string_view id_view) {
  if (auto r = check_id("remove", id_view); !r) {
    return r;
  }
  if (auto r = ensure_dirs(); !r) {
    return r;
  }
  const std::string id(id_view);
  // Any error but "held" (a planted symlink: ELOOP) is no reason to keep the name: unlink below.
  auto hold = hold_failed(id, "remove");
  if (!hold) {
    return std::move(hold).error();
  }
  const DirSyncBatcher::Ticket since = failed_sync_.ticket();
  int missing = 0;
  if (auto r = unlink_entry(*ops_, failed_dir(), id, missing); !r) {
    return r;
  }
  if (missing == 3) {
    return sys_error(Errc::io, ENOENT, "remove %s from failed/", id.c_str());
  }
  return failed_sync_.sync(since);
}

}  // namespace rm
