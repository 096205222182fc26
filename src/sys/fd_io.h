// sys/fd_io.h — byte I/O on file descriptors: FdSource (a ByteSource), FdSink (a buffered
// ByteSink), write_all() and drain_fd(). Every loop retries EINTR, continues after short writes
// and, when handed a non-blocking fd (a caller's stdin can be one), waits with poll() instead of
// failing with EAGAIN. Errors: Errc::io with errno, naming what the fd is when the caller
// says ("write /var/spool/relaymail/tmp/X.msg.Y: No space left on device"), else the fd
// ("read fd 0: ...").
// Not here: deadlines or sockets with timeouts (net/), SIGPIPE (sys/signals.h: ignore it so a
// closed pipe is EPIPE). Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/byte_io.h"
#include "core/result.h"
#include "sys/sys_ops.h"
#include "sys/unique_fd.h"

namespace rm {

// Reads an fd. Borrows it (int) or owns it (UniqueFd). `name` (a path) is what errors call the
// fd; empty: "fd N".
class FdSource final : public ByteSource {
 public:
  explicit FdSource(int fd, std::string name = {}) : fd_(fd), name_(std::move(name)) {}
  explicit FdSource(UniqueFd fd, std::string name = {})
      : owned_(std::move(fd)), fd_(owned_.get()), name_(std::move(name)) {}
  Result<size_t> read(std::span<char> buf) override;
  int fd() const { return fd_; }

 private:
  UniqueFd owned_;
  int fd_;
  std::string name_;
};

// Buffers up to kBufferSize bytes and writes them in as few write(2) calls as it can. Nothing is
// flushed by the destructor: call flush() and check it. The first error is sticky: every later
// write() and flush() returns it, since bytes are already lost. `name` as for FdSource.
class FdSink final : public ByteSink {
 public:
  static constexpr size_t kBufferSize = size_t{64} * 1024;

  explicit FdSink(int fd, const SysOps& ops = real_sys_ops(), std::string name = {});
  explicit FdSink(UniqueFd fd, const SysOps& ops = real_sys_ops(), std::string name = {});
  FdSink(const FdSink&) = delete;
  FdSink& operator=(const FdSink&) = delete;

  Status write(std::string_view bytes) override;
  Status flush();
  // Bytes accepted by write(): what the fd holds once flush() has succeeded.
  uint64_t bytes_written() const { return total_; }
  int fd() const { return fd_; }

 private:
  Status fail(Error e);

  UniqueFd owned_;
  int fd_;
  const SysOps* ops_;
  std::string name_;
  std::string buf_;
  uint64_t total_ = 0;
  std::optional<Error> error_;
};

// Writes every byte of data or fails. `name` as for FdSource.
Status write_all(int fd, std::string_view data, const SysOps& ops = real_sys_ops(),
                 std::string_view name = {});

// Copies `from`, from its offset to EOF, into `to` and flushes it. `from_name` as for FdSource.
Status copy_to_end(int from, std::string from_name, FdSink& to);

// Reads and discards until EOF or an error; returns the bytes discarded. Used before a non-zero
// exit so a caller still writing our stdin never dies of SIGPIPE. Best effort by design: there is
// nobody left to tell about a read error.
uint64_t drain_fd(int fd);

}  // namespace rm
