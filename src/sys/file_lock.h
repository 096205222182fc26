// sys/file_lock.h — FileLock: the move-only owner of an fd that holds flock(LOCK_EX|LOCK_NB).
// flock locks belong to the open file description, so two opens of the same file exclude each
// other even inside one process, and the lock goes away when the last fd sharing that
// description is closed (a forked child that keeps the fd keeps the lock).
// Errors: Errc::io with errno; a lock that is busy is not an error but std::nullopt.
// Not here: what is locked or why (queue/ locks .msg files). Not thread-safe.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"
#include "sys/unique_fd.h"

namespace rm {

class FileLock {
 public:
  // Takes ownership of fd and tries LOCK_EX|LOCK_NB on it; nullopt (fd closed) when busy.
  static Result<std::optional<FileLock>> try_lock(UniqueFd fd);

  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() = default;  // closing the fd releases the lock

  int fd() const { return fd_.get(); }
  bool held() const { return fd_.valid(); }
  // Hands the fd, and with it the lock, to the caller.
  UniqueFd release() { return std::move(fd_); }

 private:
  explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

enum class LockOpen {
  existing,  // the file must exist: O_RDONLY|O_NOFOLLOW, regular file checked
  create,    // created 0600 when missing: O_RDWR|O_CREAT|O_NOFOLLOW
};

// Opens path (O_CLOEXEC, never following a final symlink) and tries the lock.
Result<std::optional<FileLock>> try_lock_path(const std::string& path,
                                              LockOpen how = LockOpen::existing);

}  // namespace rm
