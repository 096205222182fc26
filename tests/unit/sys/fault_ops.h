// unit/sys/fault_ops.h — a SysOps for tests (STYLE.md §4 seams): fails the n-th write, fsync,
// rename or unlink with a chosen errno, makes writes short, or interrupts them with EINTR.
// Everything it does not fail goes to the real syscall. Shared by the sys and queue unit tests. Not
// thread-safe (the counters are plain mutable ints).
#pragma once

#include <cerrno>
#include <cstddef>

#include "sys/sys_ops.h"

namespace rm::test {

class FaultOps : public SysOps {
 public:
  // 1-based call number to fail; 0 = never. fail_*_from fails that call and every later one.
  int fail_write_at = 0;
  int fail_write_from = 0;
  int write_errno = ENOSPC;
  int fail_fsync_at = 0;
  int fail_fsync_from = 0;
  int fsync_errno = EIO;
  int fail_rename_at = 0;
  int rename_errno = EXDEV;
  int fail_unlink_at = 0;
  int fail_unlink_from = 0;
  int unlink_errno = EIO;
  size_t max_write = 0;     // > 0: no write passes more than this many bytes on
  int eintr_every = 0;      // > 0: every k-th write call returns EINTR without writing
  bool skip_fsync = false;  // fsync succeeds without syncing: scale tests, not durability tests

  mutable int writes = 0;
  mutable int fsyncs = 0;
  mutable int renames = 0;
  mutable int unlinks = 0;

  ssize_t write(int fd, const void* buf, size_t n) const override {
    ++writes;
    if (eintr_every > 0 && writes % eintr_every == 0) {
      errno = EINTR;
      return -1;
    }
    if (writes == fail_write_at || (fail_write_from > 0 && writes >= fail_write_from)) {
      errno = write_errno;
      return -1;
    }
    return SysOps::write(fd, buf, max_write > 0 && n > max_write ? max_write : n);
  }
  int fsync(int fd) const override {
    ++fsyncs;
    if (fsyncs == fail_fsync_at || (fail_fsync_from > 0 && fsyncs >= fail_fsync_from)) {
      errno = fsync_errno;
      return -1;
    }
    return skip_fsync ? 0 : SysOps::fsync(fd);
  }
  int rename(const char* from, const char* to, unsigned flags) const override {
    ++renames;
    if (renames == fail_rename_at) {
      errno = rename_errno;
      return -1;
    }
    return SysOps::rename(from, to, flags);
  }
  int unlink(const char* path) const override {
    ++unlinks;
    if (unlinks == fail_unlink_at || (fail_unlink_from > 0 && unlinks >= fail_unlink_from)) {
      errno = unlink_errno;
      return -1;
    }
    return SysOps::unlink(path);
  }
};

}  // namespace rm::test
