// sys/sys_ops.h — the narrow fault-injection seam (STYLE.md §4) for the four syscalls whose
// failure decides durability: write, fsync, rename and unlink. sys/ and queue/ make these calls
// through a SysOps so tests can inject ENOSPC, EIO on fsync or a failing rename; everything else
// calls the kernel directly. Each method keeps the POSIX contract exactly (returns -1 and sets
// errno). Not a general syscall wrapper and not for other modules. real_sys_ops() is stateless and
// thread-safe; test doubles override single methods and may keep `mutable` counters.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace rm {

class SysOps {
 public:
  virtual ~SysOps() = default;
  virtual ssize_t write(int fd, const void* buf, size_t n) const;
  virtual int fsync(int fd) const;
  // renameat2(AT_FDCWD, from, AT_FDCWD, to, flags); flags is 0 or RENAME_NOREPLACE.
  virtual int rename(const char* from, const char* to, unsigned flags) const;
  virtual int unlink(const char* path) const;
};

// The real kernel calls.
const SysOps& real_sys_ops();

}  // namespace rm
