#include "sys/sys_ops.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace rm {

ssize_t SysOps::write(int fd, const void* buf, size_t n) const {
  return ::write(fd, buf, n);
}

int SysOps::fsync(int fd) const {
  return ::fsync(fd);
}

int SysOps::rename(const char* from, const char* to, unsigned flags) const {
  return ::renameat2(AT_FDCWD, from, AT_FDCWD, to, flags);
}

int SysOps::unlink(const char* path) const {
  return ::unlink(path);
}

const SysOps& real_sys_ops() {
  static const SysOps kReal;
  return kReal;
}

}  // namespace rm
