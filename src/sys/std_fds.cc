#include "sys/std_fds.h"

#include <fcntl.h>

#include <cerrno>

namespace rm {

Status ensure_std_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF) {
      continue;
    }
    // The lowest free fd is `fd` itself, so the new descriptor lands exactly there; it is meant
    // to outlive this function (no owner, no O_CLOEXEC).
    int got = ::open("/dev/null", O_RDWR);  // NOLINT: intentionally unowned
    if (got < 0) {
      return sys_error(Errc::io, errno, "open /dev/null");
    }
  }
  return {};
}

}  // namespace rm
