// FsQueueStore's cleaning of queue/fs_queue_store.h: what crashed writers and cut-short
// operations leave in tmp/ and queue/ (the rules: queue/FORMAT.md).
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "queue/fs_queue_store.h"
#include "queue/spool_files.h"
#include "sys/dir_list.h"
#include "sys/file_lock.h"
#include "sys/fs.h"

namespace rm {

using namespace spool;  // NOLINT(google-build-using-namespace): this store's own names

namespace {

// A file in tmp/ that a live TempFile holds (its flock, sys/temp_file.h) or that may be one: when
// the lock cannot be tested it counts as held until it is an hour old.
bool held_by_writer(int tmp_fd, const char* name, int64_t age) {
  constexpr int64_t kUntestableAge = 3600;
  UniqueFd fd(::openat(tmp_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd.valid()) {
    return age <= kUntestableAge;
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
    return false;  // unlocked: its writer is gone
  }
  return errno == EWOULDBLOCK || age <= kUntestableAge;
}

}  // namespace

Result<CleanResult> FsQueueStore::clean_tmp(int64_t older_than_seconds) {
  if (auto r = ensure_dirs(); !r) {
    return std::move(r).error();
  }
  const int64_t now = clock_.wall();
  CleanResult out;
  auto tmp_files = clean_tmp_dir(now, older_than_seconds);
  if (!tmp_files) {
    return std::move(tmp_files).error();
  }
  out.tmp_files = *tmp_files;
  auto orphans = remove_orphans(now, older_than_seconds);
  if (!orphans) {
    return std::move(orphans).error();
  }
  out.orphans = std::move(*orphans);
  return out;
}

Result<size_t> FsQueueStore::clean_tmp_dir(int64_t now, int64_t older_than_seconds) {
  const std::string tmp = tmp_dir();
  UniqueFd dir_fd(::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir_fd.valid()) {
    if (errno == ENOENT) {
      return size_t{0};
    }
    return sys_error(Errc::io, errno, "open %s", tmp.c_str());
  }
  // fdopendir takes its own fd: dir_fd stays ours for fstatat/unlinkat.
  int scan_fd = ::fcntl(dir_fd.get(), F_DUPFD_CLOEXEC, 0);
  if (scan_fd < 0) {
    return sys_error(Errc::io, errno, "dup %s", tmp.c_str());
  }
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(scan_fd), &::closedir);
  if (!dir) {
    int err = errno;
    ::close(scan_fd);
    return sys_error(Errc::io, err, "opendir %s", tmp.c_str());
  }
  size_t removed = 0;
  std::optional<Error> first_error;
  for (;;) {
    errno = 0;
    const dirent* de = ::readdir(dir.get());
    if (de == nullptr) {
      if (errno != 0) {
        return sys_error(Errc::io, errno, "read directory %s", tmp.c_str());
      }
      break;
    }
    const std::string_view name = de->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    struct stat st {};
    if (::fstatat(dir_fd.get(), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode) ||
        now - static_cast<int64_t>(st.st_mtime) <= older_than_seconds) {
      continue;
    }
    if (held_by_writer(dir_fd.get(), de->d_name, now - static_cast<int64_t>(st.st_mtime))) {
      continue;
    }
    if (::unlinkat(dir_fd.get(), de->d_name, 0) == 0) {
      ++removed;
    } else if (errno != ENOENT && !first_error) {
      first_error = sys_error(Errc::io, errno, "remove %s/%s", tmp.c_str(), de->d_name);
    }
  }
  if (first_error) {
    return std::move(*first_error);
  }
  return removed;
}

Result<std::vector<std::string>> FsQueueStore::remove_orphans(int64_t now,
                                                              int64_t older_than_seconds) {
  const std::string dir = queue_dir();
  auto queue_fd = open_dir(dir);
  if (!queue_fd) {
    return std::move(queue_fd).error();
  }
  std::vector<IdKey> msgs;
  std::vector<IdKey> envs;
  std::vector<IdKey> mails;
  auto scanned = for_each_name(queue_fd->get(), dir, [&](std::string_view name) {
    if (auto id = id_of(name, kMsgSuffix)) {
      msgs.push_back(*id);
    } else if (auto env = id_of(name, kEnvSuffix)) {
      envs.push_back(*env);
    } else if (auto mail = id_of(name, kMailSuffix)) {
      mails.push_back(*mail);
    }
  });
  if (!scanned) {
    return std::move(scanned).error();
  }
  for (auto* v : {&msgs, &envs, &mails}) {
    std::sort(v->begin(), v->end(), id_less);
  }
  auto has = [](const std::vector<IdKey>& v, const IdKey& key) {
    return std::binary_search(v.begin(), v.end(), key, id_less);
  };
  const DirSyncBatcher::Ticket since = queue_sync_.ticket();
  std::vector<std::string> removed;
  std::optional<Error> error;
  auto note = [&](Result<bool> gone, const IdKey& key) {
    if (!gone) {
      if (!error) {
        error = std::move(gone).error();
      }
    } else if (*gone) {
      removed.emplace_back(view(key));
    }
  };
  for (const IdKey& key : msgs) {
    if (!has(envs, key)) {  // an entry has both (checked again under the lock for the others)
      note(remove_orphan(queue_fd->get(), std::string(view(key)), now, older_than_seconds), key);
    }
  }
  for (const IdKey& key : envs) {
    if (!has(mails, key) && !has(msgs, key)) {
      note(remove_lone_state(queue_fd->get(), std::string(view(key)), now, older_than_seconds),
           key);
    }
  }
  std::sort(removed.begin(), removed.end());
  if (!removed.empty()) {
    if (auto r = queue_sync_.sync(since); !r && !error) {
      error = std::move(r).error();
    }
  }
  if (!error) {
    return removed;
  }
  if (!removed.empty()) {  // gone (if not durably): the caller's log must still name them
    std::string ids;
    for (const std::string& id : removed) {
      ids += (ids.empty() ? "" : " ") + id;
    }
    error->what += "; orphan messages removed from " + dir + ": " + ids;
  }
  return std::move(*error);
}

Result<bool> FsQueueStore::remove_orphan(int queue_fd, const std::string& id, int64_t now,
                                         int64_t older_than_seconds) {
  const IdFileName msg_name = file_name(id, kMsgSuffix);
  const IdFileName env_name = file_name(id, kEnvSuffix);
  struct stat seen {};
  if (::fstatat(queue_fd, msg_name.data(), &seen, AT_SYMLINK_NOFOLLOW) != 0 ||
      !S_ISREG(seen.st_mode) || now - static_cast<int64_t>(seen.st_mtime) <= older_than_seconds) {
    return false;
  }
  // Held: a commit in progress, or a runner between remove()'s two unlinks. Not openable or
  // lockable (another uid's file, a race): not shown to be garbage, so kept.
  const std::string path = msg_path(id);
  auto lock = try_lock_path(path, LockOpen::existing);
  if (!lock || !lock->has_value()) {
    return false;
  }
  struct stat locked {};
  if (::fstat((*lock)->fd(), &locked) != 0 || locked.st_dev != seen.st_dev ||
      locked.st_ino != seen.st_ino || file_exists_at(queue_fd, env_name.data()) ||
      file_exists(failed_dir() + "/" + id + std::string(kEnvSuffix))) {
    return false;
  }
  if (ops_->unlink(path.c_str()) != 0) {
    if (errno == ENOENT) {
      return false;
    }
    return sys_error(Errc::io, errno, "remove orphan message %s", path.c_str());
  }
  return true;
}

Result<bool> FsQueueStore::remove_lone_state(int queue_fd, const std::string& id, int64_t now,
                                             int64_t older_than_seconds) {
  const IdFileName env_name = file_name(id, kEnvSuffix);
  struct stat seen {};
  if (::fstatat(queue_fd, env_name.data(), &seen, AT_SYMLINK_NOFOLLOW) != 0 ||
      !S_ISREG(seen.st_mode) || now - static_cast<int64_t>(seen.st_mtime) <= older_than_seconds) {
    return false;
  }
  // Still alone, and no failed entry's state (a move_to_failed() cut short keeps it for
  // requeue()). A requeue() at work wrote it just now: never older than the bound.
  if (file_exists_at(queue_fd, file_name(id, kMailSuffix).data()) ||
      file_exists_at(queue_fd, file_name(id, kMsgSuffix).data()) ||
      file_exists(failed_dir() + "/" + id + std::string(kMailSuffix))) {
    return false;
  }
  if (ops_->unlink(env_path(id).c_str()) != 0) {
    if (errno == ENOENT) {
      return false;
    }
    return sys_error(Errc::io, errno, "remove lone state %s", env_path(id).c_str());
  }
  return true;
}

}  // namespace rm
