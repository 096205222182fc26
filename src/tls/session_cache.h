// tls/session_cache.h — the client's TLS sessions for resumption, one per reference identity
// (the host name handed to TlsClient::handshake, lower-cased), owned by one TlsClient and shared
// (shared_ptr) with every SslStream it made: TLS 1.3 tickets arrive after the handshake, while
// the stream is being read, possibly after its TlsClient is gone, so the cache must live as long
// as the last of them.
// Policy: only sessions of connections that passed verification are stored (SslStream decides);
// the latest session per host replaces the previous one. A TLS 1.3 session is handed out once
// (RFC 8446 C.4: a ticket reused on several connections links them for an observer; the server
// sends a fresh one on every connection, resumed or not). A TLS 1.2 session stays until it is
// replaced, expires or fails, since OpenSSL renews nothing on a resumed 1.2 connection. Expired
// sessions (SSL_SESSION_get_time + timeout) are never handed out.
// Not here: checking a resumed connection (tls_stream.h), SSL_CTX settings (tls_client.cc).
// No errors. Thread-safe (one mutex): the callback may run on whichever thread reads a stream.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>

#include "tls/ossl.h"

namespace rm {

class SessionCache {
 public:
  // The session to offer to `host`, as an owned reference; null when there is none.
  ossl::Ptr<SSL_SESSION> take(const std::string& host);
  // Remembers `session` (a reference the cache now owns) as the latest one for `host`.
  void put(const std::string& host, ossl::Ptr<SSL_SESSION> session);
  // Forgets the session of `host` if it is still `session` (a newer one is kept).
  void drop(const std::string& host, const SSL_SESSION* session);
  size_t size() const;

 private:
  // A smarthost account talks to one or a few names; the bound only stops a runaway caller.
  static constexpr size_t kMaxHosts = 64;

  mutable std::mutex mu_;
  std::map<std::string, ossl::Ptr<SSL_SESSION>> sessions_;  // by lower-cased host
};

}  // namespace rm
