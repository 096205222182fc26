// net/tcp_stream.h — TCP client connections with deadlines. tcp_connect resolves the name
// (net/resolver.h: IPv6 and IPv4 addresses, tried in turn), connects non-blocking, sets
// TCP_NODELAY and O_CLOEXEC; one deadline bounds the lookup and the connect attempts together.
// "[::1]" is accepted for an IPv6 literal. TcpStream uses MSG_DONTWAIT/MSG_NOSIGNAL, so it works
// on blocking or non-blocking fds and a peer reset is Errc::io, never SIGPIPE.
// Errors: Errc::resolve (the name has no address), Errc::connect (every address
// refused/unreachable; the text names the last address and errno), Errc::timeout (no answer from
// the resolver, or no connection, by the deadline). Never logs.
// Threads: tcp_connect is thread-safe; a TcpStream is not.
// Not here: TLS (tls/), fallback hosts and retries (relay/).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "net/resolver.h"
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

// `lookup` is the seam for tests: a resolver that never answers, without a network.
Result<std::unique_ptr<TcpStream>> tcp_connect(const std::string& host, uint16_t port,
                                               Deadline deadline,
                                               const LookupFn& lookup = getaddrinfo_lookup);

}  // namespace rm
