#include "sys/fd_io.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace rm {

namespace {

// Waits until fd is ready for `events` after EAGAIN on a non-blocking fd.
bool wait_ready(int fd, short events) {
  pollfd p{fd, events, 0};
  for (;;) {
    int r = ::poll(&p, 1, -1);
    if (r > 0) {
      return true;
    }
    if (r < 0 && errno != EINTR) {
      return false;
    }
  }
}

// What errors call the fd: its name when the caller gave one.
std::string fd_name(int fd, std::string_view name) {
  return name.empty() ? "fd " + std::to_string(fd) : std::string(name);
}

}  // namespace

Result<size_t> FdSource::read(std::span<char> buf) {
  for (;;) {
    ssize_t n = ::read(fd_, buf.data(), buf.size());
    if (n >= 0) {
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) {
      continue;
    }
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_ready(fd_, POLLIN)) {
      continue;
    }
    int err = errno;
    return sys_error(Errc::io, err, "read %s", fd_name(fd_, name_).c_str());
  }
}

Status write_all(int fd, std::string_view data, const SysOps& ops, std::string_view name) {
  while (!data.empty()) {
    ssize_t n = ops.write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {
      return sys_error(Errc::io, EIO, "write %s: no progress", fd_name(fd, name).c_str());
    }
    if (errno == EINTR) {
      continue;
    }
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_ready(fd, POLLOUT)) {
      continue;
    }
    int err = errno;
    return sys_error(Errc::io, err, "write %s", fd_name(fd, name).c_str());
  }
  return {};
}

Status copy_to_end(int from, std::string from_name, FdSink& to) {
  FdSource in(from, std::move(from_name));
  std::string buf(FdSink::kBufferSize, '\0');
  for (;;) {
    auto n = in.read(std::span<char>(buf.data(), buf.size()));
    if (!n) {
      return std::move(n).error();
    }
    if (*n == 0) {
      return to.flush();
    }
    if (auto w = to.write(std::string_view(buf.data(), *n)); !w) {
      return w;
    }
  }
}

uint64_t drain_fd(int fd) {
  char buf[16 * 1024];
  uint64_t total = 0;
  FdSource src(fd);
  for (;;) {
    auto n = src.read(buf);
    if (!n || *n == 0) {
      return total;
    }
    total += *n;
  }
}

FdSink::FdSink(int fd, const SysOps& ops, std::string name)
    : fd_(fd), ops_(&ops), name_(std::move(name)) {
  buf_.reserve(kBufferSize);
}

FdSink::FdSink(UniqueFd fd, const SysOps& ops, std::string name)
    : owned_(std::move(fd)), fd_(owned_.get()), ops_(&ops), name_(std::move(name)) {
  buf_.reserve(kBufferSize);
}

Status FdSink::fail(Error e) {
  error_ = e;
  return e;
}

Status FdSink::write(std::string_view bytes) {
  if (error_) {
    return *error_;
  }
  // Top the buffer up first, so the fd sees full kBufferSize writes.
  size_t take = std::min(bytes.size(), kBufferSize - buf_.size());
  buf_.append(bytes.substr(0, take));
  bytes.remove_prefix(take);
  total_ += take;
  if (buf_.size() < kBufferSize) {
    return {};
  }
  if (auto r = flush(); !r) {
    return r;
  }
  if (bytes.size() >= kBufferSize) {
    if (auto r = write_all(fd_, bytes, *ops_, name_); !r) {
      return fail(std::move(r).error());
    }
  } else {
    buf_.append(bytes);
  }
  total_ += bytes.size();
  return {};
}

Status FdSink::flush() {
  if (error_) {
    return *error_;
  }
  if (buf_.empty()) {
    return {};
  }
  auto r = write_all(fd_, buf_, *ops_, name_);
  buf_.clear();
  if (!r) {
    return fail(std::move(r).error());
  }
  return {};
}

}  // namespace rm
