// smtp/smtp_client.h — drives one SMTP client connection over a Stream: greeting, EHLO,
// STARTTLS (through the TlsClient, with the response-injection check: any byte buffered after
// the 220 to STARTTLS aborts), EHLO again with every pre-TLS capability forgotten, AUTH (any
// mechanism of auth/sasl_mechanism.h, only when the stream is TLS-verified), then transactions:
// MAIL, RCPT and (with PIPELINING) DATA in one write, the body dot-stuffed in large writes
// through buffers kept for the connection, or BDAT when the server offers CHUNKING (64 KiB chunks
// from smtp/chunk_reader.h, each "BDAT n" and its octets in one write, lock-step), streaming the
// message from a ByteSource and never holding it whole, QUIT. A reply beyond those asked for is
// a protocol error before the next command or the body goes out. No RSET after a completed
// transaction (the final reply ends it, RFC 5321 §4.1.1.4); RSET where one stopped half way, by
// the session itself, and by reset() when needs_reset() says so. DSN and SMTPUTF8 parameters
// follow the rules of smtp/client_session.h.
// The protocol decisions are made by the sans-I/O ClientSession (smtp/client_session.h); this
// class only moves bytes, with its own read buffer and a ReplyParser.
// Every read and write has a deadline: each stage's RFC 5321 §4.5.3.2 timeout, capped by
// options.timeout.
// Errors are returned, never classified (that is relay/classify.h) and never logged:
// Errc::connect/timeout/tls/tls_verify/io from the stream, Errc::protocol for a malformed,
// unexpected or unsolicited reply, Errc::smtp_temp (4xx) / Errc::smtp_perm (5xx) with
// Error::reply set, Errc::auth when the server refused the credentials (Error::reply set) or
// offers no usable mechanism, Errc::tls when STARTTLS is required but missing or refused, when
// the server injected bytes after its 220 to STARTTLS, or when credentials would have to go
// out without TLS. After an I/O, timeout, TLS or protocol error, or a 421, the client is
// unusable: send() and reset() fail at once and quit() only closes. Error texts never carry an
// AUTH payload. Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/policy.h"
#include "core/result.h"
#include "core/secret_string.h"
#include "net/stream.h"
#include "smtp/transaction.h"
#include "tls/tls_client.h"

namespace rm {

struct SmtpOptions {
  std::string helo_name;            // our FQDN for EHLO
  std::string host;                 // configured smarthost name: the TLS reference identity
  TlsMode tls = TlsMode::starttls;  // tls: the stream given is already TLS
  AuthMethod auth = AuthMethod::automatic;
  std::string user;  // empty: no AUTH
  SecretString password;
  // Caps every stage; each stage's own default (RFC 5321 §4.5.3.2) applies when shorter.
  std::chrono::seconds timeout{60};
  // BDAT (RFC 3030) when the server offers CHUNKING; false: always DATA.
  bool chunking = true;
  // Debug trace of the conversation, one call per line without CRLF: sent=true for what we
  // send, false for what the server sent. AUTH payloads arrive redacted. Empty: no trace.
  std::function<void(bool sent, std::string_view line)> trace;
};

class SmtpClient {
 public:
  // `tls` is used for STARTTLS; may be null when options.tls != starttls.
  SmtpClient(std::unique_ptr<Stream> stream, SmtpOptions options, TlsClient* tls);
  ~SmtpClient();
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  // Greeting, EHLO, STARTTLS + EHLO, AUTH. After success the session is ready for send().
  Status open();
  TransactionResult send(const OutgoingMessage& message);
  // RSET, unconditionally. Between transactions only when needs_reset().
  Status reset();
  // The server may still hold state of the last transaction: see ClientSession::needs_reset().
  bool needs_reset() const;
  // QUIT and close; errors ignored (the mail is already accounted for).
  void quit();

  std::optional<TlsInfo> tls_info() const;
  const std::vector<std::string>& capabilities() const;  // EHLO keywords, upper-case
  const std::vector<std::string>& auth_offered() const;  // AUTH mechanisms, upper-case
  std::string auth_mechanism() const;  // "PLAIN", "SCRAM-SHA-256", ...; "" without AUTH
  std::string peer() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rm
