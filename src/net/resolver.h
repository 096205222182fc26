// net/resolver.h — host names to socket addresses, bounded by a deadline. resolve() runs a
// blocking lookup (getaddrinfo_lookup unless a test passes its own) on a thread of its own and
// waits for its answer until the deadline.
// Errors: the lookup's own (Errc::resolve, "resolve NAME: Name or service not known");
// Errc::timeout with ETIMEDOUT, "resolve NAME: no answer within 30 s", when the deadline comes
// first; Errc::resolve when no thread can be started. Never logs.
// Ownership: a lookup that outlives its caller is abandoned, not cancelled: it owns copies of
// the name and of the lookup function, and the state it shares with the caller is freed by
// whichever of the two lets go last, so a late answer is dropped without touching the caller.
// Threads: thread-safe; each call starts one detached thread. A LookupFn may run after the
// caller has returned, so it must own (capture by value) whatever it uses.
// Not here: connecting (net/tcp_stream.h), caching, DNS itself.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace rm {

// One address to connect to, as getaddrinfo gives it.
struct SockAddress {
  int family = 0;
  int socktype = 0;
  int protocol = 0;
  sockaddr_storage addr{};
  socklen_t len = 0;
};

// A blocking lookup of host and TCP port: the addresses in the order to try them.
using LookupFn =
    std::function<Result<std::vector<SockAddress>>(const std::string& host, uint16_t port)>;

// getaddrinfo with AF_UNSPEC (IPv6 and IPv4), SOCK_STREAM and a numeric port. No AI_ADDRCONFIG:
// it hides ::1 and 127.0.0.1 on hosts with loopback only. Blocks for as long as the resolver.
Result<std::vector<SockAddress>> getaddrinfo_lookup(const std::string& host, uint16_t port);

Result<std::vector<SockAddress>> resolve(const std::string& host, uint16_t port, Deadline deadline,
                                         const LookupFn& lookup = getaddrinfo_lookup);

}  // namespace rm
