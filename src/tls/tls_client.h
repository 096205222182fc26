// tls/tls_client.h — the only door to OpenSSL for the client side. TlsClient builds one
// SSL_CTX from a TlsPolicy (TLS 1.2 minimum, SSL_VERIFY_PEER, the system trust store — its
// hashed directory alone where there is one, see tls_client.cc — or policy.ca_file, optional
// client certificate) and turns a connected Stream into a TlsStream:
// SNI (names only), SSL_set1_host (or X509_VERIFY_PARAM_set1_ip_asc for an IPv4/IPv6 literal,
// brackets allowed) against the *configured* host name with no partial wildcards and no CN
// fallback, handshake with a deadline, then SSL_get_verify_result must be X509_V_OK.
// With TlsPolicy::fingerprint_sha256 set, the pinned certificate is the trust anchor instead.
// Errors: create() returns Errc::config, naming the file, for unreadable CA/cert/key files, a
// key that does not match its certificate, a certificate without a key (or the reverse) or a
// malformed pin; Errc::tls otherwise.
// handshake() returns Errc::tls_verify for any verification failure (never falls back to
// plaintext), Errc::tls for other handshake/record failures, Errc::timeout/Errc::io from the
// inner stream; the whole OpenSSL error queue is drained into Error::what. The implementation
// and its I/O design are in tls/tls_stream.h.
// Resumption (TlsPolicy::resume_sessions): the client remembers the latest verified session per
// `host` and offers it on the next handshake to that same host only (tls/session_cache.h); a
// resumed connection must still pass the checks above as recorded in the session (verify
// result X509_V_OK, or the pin against the session's certificate) and TlsInfo::resumed says so.
// Never logs. A TlsClient may be shared by sessions on several threads: handshake() only reads
// the SSL_CTX (OpenSSL allows SSL_new on one SSL_CTX from many threads) and the session cache
// has its own lock. Each TlsStream belongs to one thread at a time. A TlsStream may outlive the
// TlsClient that made it (it shares the session cache, which lives as long as either).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "net/stream.h"

namespace rm {

struct TlsPolicy {
  std::string ca_file{};  // empty: the system trust store
  // Optional client certificate and key (PEM); empty: none.
  std::string cert_file{};
  std::string key_file{};
  // Optional pin: the SHA-256 fingerprint of the server certificate (DER), 64 hex digits,
  // colons and case ignored. When set it is the trust anchor (DESIGN.md §7 "or a pin"): the
  // certificate must match it exactly, and then chain and name checks do not apply, so a
  // self-signed smarthost can be pinned. A mismatch is Errc::tls_verify.
  std::string fingerprint_sha256{};
  // Offer the previous session of the same host (abbreviated handshake); off: always full.
  bool resume_sessions = true;
};

struct TlsInfo {
  std::string version{};             // "TLSv1.3"
  std::string cipher{};              // "TLS_AES_256_GCM_SHA384"
  std::string peer_subject{};        // RFC 2253: "CN=relay.test,O=Example"
  std::string peer_cert_sha256{};    // lowercase hex, the value fingerprint_sha256 pins
  std::string peer_issuer{};         // RFC 2253: "CN=relaymail test CA,O=relaymail test"
  std::string peer_not_after{};      // notAfter in UTC: "2035-01-31T12:00:00Z"; "" if unreadable
  int64_t peer_not_after_epoch = 0;  // the same in seconds since the epoch (days left: caller)
  bool resumed = false;              // an abbreviated handshake on a cached session
};

class TlsStream : public Stream {
 public:
  virtual TlsInfo info() const = 0;
};

class TlsClient {
 public:
  static Result<std::unique_ptr<TlsClient>> create(const TlsPolicy& policy);
  virtual ~TlsClient() = default;
  // Takes ownership of `inner` (a connected stream with nothing buffered) and returns the
  // verified TLS stream over it. `host` is the configured smarthost name or IP literal.
  virtual Result<std::unique_ptr<TlsStream>> handshake(std::unique_ptr<Stream> inner,
                                                       const std::string& host,
                                                       Deadline deadline) = 0;
};

}  // namespace rm
