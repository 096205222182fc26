// tls/tls_stream.h — SslStream, the OpenSSL TlsStream: a TLS client session over any connected
// Stream (TcpStream in production, anything in tests). It owns the inner stream.
//
// How bytes move: a custom BIO (BIO_meth_new) whose read callback is inner->read_some and whose
// write callback appends to an output buffer that is flushed to inner->write_all on BIO_flush,
// before every inner read, and at the end of every handshake/write_all/read_some/close. Each
// call stores its deadline, so a stalled peer surfaces from inside SSL_connect/SSL_read/SSL_write
// as the inner stream's Errc::timeout. We chose this over memory-BIO pairs because OpenSSL then
// drives the I/O itself and there is no second pump loop to get wrong; the buffer means one
// SSL_write of N bytes (several records when N > 16 KiB) leaves in one inner write, and a
// handshake flight in one segment, so small writes are never split across segments.
//
// Errors: Errc::tls_verify when the certificate or host check failed (with
// X509_verify_cert_error_string), Errc::timeout/Errc::io from the inner stream, Errc::tls for
// every other TLS failure; the whole OpenSSL error queue is appended to Error::what. After any
// error the stream is dead (OpenSSL forbids further I/O): only close() is meaningful.
// A peer that closes the TCP connection without close_notify reads as EOF (0), like TCP: SMTP
// frames its own data, so truncation is caught one layer up.
// Resumption: with a SessionCache, handshake() offers the cached session of `host` (never of
// another name), and every new session OpenSSL reports (new-session callback; for TLS 1.3 that
// is during later reads) is stored for `host` once the connection has passed its checks — TLS
// 1.2 reports it inside the handshake, so it waits in pending_session_ until then. A resumed
// connection is checked like a new one: SSL_get_verify_result must be X509_V_OK (the session
// keeps the result of the full handshake that created it) or, with a pin, the session's peer
// certificate must match the pin; a failed handshake drops the session it offered. The stream
// shares ownership of the cache, so it may outlive the TlsClient.
// Not here: building the SSL_CTX from policy (tls_client.h), the cache's policy
// (session_cache.h). Never logs. Not thread-safe.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>

#include "net/stream.h"
#include "tls/ossl.h"
#include "tls/session_cache.h"
#include "tls/tls_client.h"

namespace rm {

class SslStream final : public TlsStream {
 public:
  // Runs the client handshake over `inner` with ctx's settings, SNI (names only), host or IP
  // verification of `host` ("relay.test", "192.0.2.7", "::1" or "[::1]"), and checks
  // SSL_get_verify_result. With a `pin` (normalised lowercase hex SHA-256, and a ctx whose
  // verify callback lets the handshake finish) the certificate must match the pin instead.
  // ctx is up-referenced by the session and may die first. With a `cache` (and a ctx prepared
  // by enable_resumption) sessions are offered and stored as the header comment says.
  static Result<std::unique_ptr<SslStream>> connect(SSL_CTX* ctx, std::unique_ptr<Stream> inner,
                                                    const std::string& host, Deadline deadline,
                                                    const std::string& pin = {},
                                                    std::shared_ptr<SessionCache> cache = {});
  // Client-side session caching for ctx: SSL_SESS_CACHE_CLIENT | NO_INTERNAL_STORE (the
  // context's own cache is keyed by session ID, useless to a client, so it stays empty) and the
  // new-session callback that hands sessions to the SslStream they belong to.
  static void enable_resumption(SSL_CTX* ctx);
  ~SslStream() override;
  SslStream(const SslStream&) = delete;
  SslStream& operator=(const SslStream&) = delete;

  Result<size_t> read_some(std::span<char> buf, Deadline deadline) override;
  Status write_all(std::span<const char> data, Deadline deadline) override;
  // Sends close_notify (best effort, bounded by a short deadline), then closes the inner stream.
  void close() override;
  std::string peer() const override;
  TlsInfo info() const override;

 private:
  SslStream(std::unique_ptr<Stream> inner, std::string host, std::shared_ptr<SessionCache> cache);

  Status handshake(SSL_CTX* ctx, Deadline deadline, const std::string& pin);
  Status flush();
  // Turns a failed SSL_* return value into an Error (see the header comment).
  Error failure(int ret, const char* op);

  static int bio_create(BIO* b);
  static int bio_write(BIO* b, const char* data, int len);
  static int bio_read(BIO* b, char* buf, int len);
  static long bio_ctrl(BIO* b, int cmd, long num, void* ptr);
  // SSL_CTX_sess_set_new_cb: returns 1, keeping the reference, when the stream takes it.
  static int on_new_session(SSL* ssl, SSL_SESSION* session);

  std::unique_ptr<Stream> inner_;
  std::string host_;
  std::shared_ptr<SessionCache> cache_;     // null: no resumption
  ossl::Ptr<SSL_SESSION> pending_session_;  // reported before the checks passed (TLS 1.2)
  ossl::Ptr<SSL_SESSION> offered_;          // what we offered; held so its identity is stable
  ossl::Ptr<BIO_METHOD> method_;  // declared before ssl_: the BIO must die before its method
  ossl::Ptr<SSL> ssl_;
  Deadline deadline_{};
  std::string out_;                // ciphertext not yet handed to inner_
  std::optional<Error> io_error_;  // first inner-stream failure; sticky
  bool eof_ = false;
  bool established_ = false;
  bool pin_mode_ = false;  // a pin replaces chain and name checks: verify results do not apply
  bool closed_ = false;
};

}  // namespace rm
