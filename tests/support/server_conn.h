// support/server_conn.h — the fake server's side of one TCP connection: non-blocking reads and
// writes, plain or through a server-side OpenSSL session, every wait bounded by the idle timeout
// and interruptible by the server's stop eventfd. Internal to FakeSmtpServer.
// Errors are return codes plus error() text, for the transcript. Writes on a TLS session go
// through OpenSSL's socket BIO (plain write(2)), so session threads block SIGPIPE.
// Not thread-safe: one session thread owns it.
#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"
#include "support/ossl_ptr.h"
#include "sys/unique_fd.h"

namespace rm::test::detail {

class ServerConn {
 public:
  enum class Rc { ok, eof, stopped, timeout, error };

  ServerConn(UniqueFd fd, int stop_fd, Millis idle);

  // Appends between 1 and max bytes to buf.
  Rc read(std::string& buf, size_t max);
  Rc write(std::string_view data);
  // Server side of the TLS handshake on the (empty-buffered) connection.
  Rc accept_tls(SSL_CTX* ctx);
  // Neither reads nor answers until the peer hangs up or the server stops.
  Rc stall();
  // Reads what the client sent first (its ClientHello), then closes: an aborted handshake.
  void abort_handshake();
  // Graceful: close_notify (best effort, non-blocking), then close the socket.
  void close();
  // Abrupt, like a crashing server: no close_notify.
  void drop();

  bool tls() const { return ssl_ != nullptr; }
  std::string tls_description() const;  // "TLSv1.3 TLS_AES_256_GCM_SHA384"
  bool tls_resumed() const;             // an abbreviated handshake on a session or ticket
  // RFC 2253 subject of the client certificate, "" unless one was presented and verified (also
  // on a resumed session, which carries the certificate of its full handshake).
  std::string tls_client_subject() const;
  const std::string& error() const { return error_; }

 private:
  Rc wait(short events);
  Rc ssl_wait(int ret, const char* op);

  UniqueFd fd_;
  int stop_fd_;
  Millis idle_;
  ossl::Ptr<SSL> ssl_;
  std::string error_;
};

}  // namespace rm::test::detail
