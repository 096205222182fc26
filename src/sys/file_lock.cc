#include "sys/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>

#include "sys/fs.h"

namespace rm {

Result<std::optional<FileLock>> FileLock::try_lock(UniqueFd fd) {
  if (!fd.valid()) {
    return sys_error(Errc::io, EBADF, "lock fd %d", fd.get());
  }
  for (;;) {
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
      return std::optional<FileLock>(FileLock(std::move(fd)));
    }
    if (errno == EWOULDBLOCK) {
      return std::optional<FileLock>();
    }
    if (errno != EINTR) {
      return sys_error(Errc::io, errno, "lock fd %d", fd.get());
    }
  }
}

Result<std::optional<FileLock>> try_lock_path(const std::string& path, LockOpen how) {
  UniqueFd fd;
  if (how == LockOpen::existing) {
    auto opened = safe_open_read(path);
    if (!opened) {
      return std::move(opened).error();
    }
    fd = std::move(*opened);
  } else {
    fd.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                    0600));
    if (!fd.valid()) {
      return sys_error(Errc::io, errno, "open %s", path.c_str());
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return sys_error(Errc::io, EINVAL, "lock %s: not a regular file", path.c_str());
    }
  }
  auto locked = FileLock::try_lock(std::move(fd));
  if (!locked) {
    return sys_error(Errc::io, locked.error().sys_errno, "lock %s", path.c_str());
  }
  return locked;
}

}  // namespace rm
