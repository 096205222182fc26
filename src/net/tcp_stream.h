// net/tcp_stream.h — TCP client connections with deadlines. tcp_connect resolves the name
// (getaddrinfo, AF_UNSPEC, so IPv6 and IPv4 addresses are tried in turn), connects
// non-blocking with the deadline, sets TCP_NODELAY and O_CLOEXEC. Errors: Errc::resolve (name
// lookup), Errc::connect (every address refused/unreachable; the text names the last address and
// errno), Errc::timeout. Name resolution (getaddrinfo) is blocking and not bounded by the
// deadline; the connect attempts are. "[::1]" is accepted for an IPv6 literal. TcpStream uses
// MSG_DONTWAIT/MSG_NOSIGNAL, so it works on blocking or non-blocking fds and a peer reset is
// Errc::io, never SIGPIPE. Never logs. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "net/stream.h"
#include "sys/unique_fd.h"

namespace rm {

class TcpStream final : public Stream {
 public:
  TcpStream(UniqueFd fd, std::string peer);
  Result<size_t> read_some(std::span<char> buf, Deadline deadline) override;
  Status write_all(std::span<const char> data, Deadline deadline) override;
  void close() override;
  std::string peer() const override { return peer_; }
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  std::string peer_;
};

Result<std::unique_ptr<TcpStream>> tcp_connect(const std::string& host, uint16_t port,
                                               Deadline deadline);

}  // namespace rm
