// oauth2/loopback_redirect.h — the one HTTP server in relaymail: a listener on 127.0.0.1:0 that
// takes the browser's redirect at the end of an authorization (RFC 8252 §7.3) and answers it
// with a short page of its own (nothing of the request is echoed).
// Contract: wait() serves connections until the deadline, at most kMaxConnections open at once
// (one more drops the oldest: a browser may open idle ones). Of each request only the head is
// read, at most kMaxRequestHead octets up to its empty line, and only its first line is looked
// at: "GET <target> HTTP/1.0|1.1". A malformed request is answered 400, one too large 431, a
// path other than "/" 404, and the wait goes on. The first good GET of "/" ends it: a state
// other than the one expected is refused (400), error=CODE is the authorization server's
// refusal, a missing code is refused (400); else the code.
// Errors: Errc::io (socket calls), Errc::timeout (no redirect by the deadline), Errc::protocol
// (a wrong state or no code), Errc::auth (the server's error, e.g. access_denied). The code
// never appears in an Error. Never logs. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "core/secret_string.h"
#include "sys/unique_fd.h"

namespace rm {

inline constexpr size_t kMaxConnections = 4;
inline constexpr size_t kMaxRequestHead = size_t{16} * 1024;

class LoopbackRedirect {
 public:
  static Result<LoopbackRedirect> open();

  uint16_t port() const { return port_; }
  std::string redirect_uri() const;  // "http://127.0.0.1:PORT"

  // The authorization code the browser brings with `state`.
  Result<SecretString> wait(const std::string& state, Deadline deadline);

 private:
  LoopbackRedirect(UniqueFd fd, uint16_t port) : fd_(std::move(fd)), port_(port) {}

  UniqueFd fd_;
  uint16_t port_ = 0;
};

}  // namespace rm
