#include "net/tcp_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>

namespace rm {
namespace {

// Milliseconds for poll(), rounded up: millis_left() rounds down, and a deadline 0.4 ms away
// must not turn into a busy loop of zero-timeout polls.
int poll_timeout(Deadline d) {
  auto left = d - std::chrono::steady_clock::now();
  if (left <= Deadline::duration::zero()) {
    return 0;
  }
  auto ms = std::chrono::ceil<Millis>(left).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

enum class Wait { ready, timeout, error };

// Waits until fd reports one of `events` (or an error/hangup, which the next syscall reports),
// retrying on EINTR. On Wait::error, *err holds errno.
Wait wait_fd(int fd, short events, Deadline d, int* err) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, poll_timeout(d));
    if (n > 0) {
      return Wait::ready;
    }
    if (n == 0) {
      if (std::chrono::steady_clock::now() >= d) {
        return Wait::timeout;
      }
      continue;
    }
    if (errno != EINTR) {
      *err = errno;
      return Wait::error;
    }
  }
}

// "192.0.2.7:587" or "[2001:db8::7]:587".
std::string format_sockaddr(const sockaddr* sa) {
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return "address family " + std::to_string(sa->sa_family);
}

struct Attempt {
  UniqueFd fd;
  int err = 0;  // errno of the failure; 0 on success
  bool timed_out = false;
};

// One non-blocking connect to one address, bounded by the deadline.
Attempt connect_one(const SockAddress& sa, Deadline deadline) {
  Attempt a;
  a.fd = UniqueFd(::socket(sa.family, sa.socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, sa.protocol));
  if (!a.fd.valid()) {
    a.err = errno;
    return a;
  }
  if (::connect(a.fd.get(), reinterpret_cast<const sockaddr*>(&sa.addr), sa.len) == 0) {
    return a;
  }
  // EINTR: the connection attempt goes on asynchronously, exactly like EINPROGRESS.
  if (errno != EINPROGRESS && errno != EINTR) {
    a.err = errno;
    a.fd.reset();
    return a;
  }
  int perr = 0;
  switch (wait_fd(a.fd.get(), POLLOUT, deadline, &perr)) {
    case Wait::timeout:
      a.timed_out = true;
      a.err = ETIMEDOUT;
      a.fd.reset();
      return a;
    case Wait::error:
      a.err = perr;
      a.fd.reset();
      return a;
    case Wait::ready:
      break;
  }
  int soerr = 0;
  socklen_t len = sizeof soerr;
  if (::getsockopt(a.fd.get(), SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) {
    soerr = errno;
  }
  if (soerr != 0) {
    a.err = soerr;
    a.fd.reset();
  }
  return a;
}

}  // namespace

TcpStream::TcpStream(UniqueFd fd, std::string peer) : fd_(std::move(fd)), peer_(std::move(peer)) {}

Result<size_t> TcpStream::read_some(std::span<char> buf, Deadline deadline) {
  if (!fd_.valid()) {
    return make_error(Errc::io, "read from %s: stream closed", peer_.c_str());
  }
  if (buf.empty()) {
    return make_error(Errc::io, "read from %s: empty buffer", peer_.c_str());
  }
  for (;;) {
    // MSG_DONTWAIT: correct whether or not the fd we were handed is in non-blocking mode.
    ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n >= 0) {
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return sys_error(Errc::io, errno, "read from %s", peer_.c_str());
    }
    int perr = 0;
    switch (wait_fd(fd_.get(), POLLIN, deadline, &perr)) {
      case Wait::timeout: {
        Error e = make_error(Errc::timeout, "read from %s: timed out", peer_.c_str());
        e.sys_errno = ETIMEDOUT;
        return e;
      }
      case Wait::error:
        return sys_error(Errc::io, perr, "poll %s", peer_.c_str());
      case Wait::ready:
        break;
    }
  }
}

Status TcpStream::write_all(std::span<const char> data, Deadline deadline) {
  if (!fd_.valid()) {
    return make_error(Errc::io, "write to %s: stream closed", peer_.c_str());
  }
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n =
        ::send(fd_.get(), data.data() + off, data.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return sys_error(Errc::io, errno, "write to %s", peer_.c_str());
    }
    int perr = 0;
    switch (wait_fd(fd_.get(), POLLOUT, deadline, &perr)) {
      case Wait::timeout: {
        Error e = make_error(Errc::timeout, "write to %s: timed out after %zu of %zu bytes",
                             peer_.c_str(), off, data.size());
        e.sys_errno = ETIMEDOUT;
        return e;
      }
      case Wait::error:
        return sys_error(Errc::io, perr, "poll %s", peer_.c_str());
      case Wait::ready:
        break;
    }
  }
  return {};
}

void TcpStream::close() {
  fd_.reset();
}

Result<std::unique_ptr<TcpStream>> tcp_connect(const std::string& host, uint16_t port,
                                               Deadline deadline, const LookupFn& lookup) {
  if (host.empty()) {
    return make_error(Errc::resolve, "resolve host: empty name");
  }
  auto addrs = resolve(host, port, deadline, lookup);
  if (!addrs) {
    return std::move(addrs).error();
  }

  int last_err = 0;
  std::string last_addr;
  int tried = 0;
  for (const SockAddress& sa : *addrs) {
    ++tried;
    last_addr = format_sockaddr(reinterpret_cast<const sockaddr*>(&sa.addr));
    Attempt a = connect_one(sa, deadline);
    if (a.timed_out) {
      Error e = make_error(Errc::timeout, "connect %s port %u [%s]: timed out", host.c_str(),
                           static_cast<unsigned>(port), last_addr.c_str());
      e.sys_errno = ETIMEDOUT;
      return e;
    }
    if (a.err != 0) {
      last_err = a.err;
      continue;
    }
    int one = 1;
    // Without TCP_NODELAY every pipelined group waits on a delayed ACK (DESIGN.md §8). A failure
    // here costs latency, not correctness, so it is not an error.
    (void)::setsockopt(a.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return std::make_unique<TcpStream>(std::move(a.fd), last_addr);
  }
  if (tried > 1) {
    return sys_error(Errc::connect, last_err, "connect %s port %u (%d addresses, last %s)",
                     host.c_str(), static_cast<unsigned>(port), tried, last_addr.c_str());
  }
  return sys_error(Errc::connect, last_err, "connect %s port %u [%s]", host.c_str(),
                   static_cast<unsigned>(port), last_addr.c_str());
}

}  // namespace rm
