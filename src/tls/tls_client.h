// tls/tls_client.h — the only door to OpenSSL for the client side. TlsClient builds one
// SSL_CTX from a TlsPolicy (TLS 1.2 minimum, SSL_VERIFY_PEER, the system trust store or
// policy.ca_file) and turns a connected Stream into a TlsStream: SNI, SSL_set1_host (or
// SSL_set1_ip_asc for an IP literal) against the *configured* host name, handshake with a
// deadline, then SSL_get_verify_result must be X509_V_OK.
// Errors: Errc::tls_verify for any verification failure (never falls back to plaintext),
// Errc::tls for other handshake/record failures, Errc::timeout; the whole OpenSSL error queue is
// drained into Error::what. Never logs. A TlsClient may be shared by the sessions of one thread.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "net/stream.h"

namespace rm {

struct TlsPolicy {
  std::string ca_file;  // empty: the system trust store
  // Optional client certificate and key (PEM); empty: none.
  std::string cert_file;
  std::string key_file;
};

struct TlsInfo {
  std::string version;  // "TLSv1.3"
  std::string cipher;   // "TLS_AES_256_GCM_SHA384"
  std::string peer_subject;
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
