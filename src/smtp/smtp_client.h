// smtp/smtp_client.h — drives one SMTP client connection over a Stream: greeting, EHLO,
// STARTTLS (through the TlsClient, with the response-injection check: any byte buffered after
// the 220 to STARTTLS aborts), EHLO again with every pre-TLS capability forgotten, AUTH (PLAIN
// or LOGIN, only when the stream is TLS-verified), then transactions MAIL/RCPT/DATA with
// dot-stuffing, streaming the message from a ByteSource, RSET between messages, QUIT.
// Every read and write has a deadline (options.timeout per stage).
// Errors are returned, never classified (that is relay/classify.h) and never logged:
// Errc::connect/timeout/tls/tls_verify/io from the stream, Errc::protocol for a malformed or
// unexpected reply, Errc::smtp_temp (4xx) / Errc::smtp_perm (5xx) with Error::reply set,
// Errc::auth when the server refused the credentials (Error::reply set), Errc::tls when
// STARTTLS is required but missing or refused. Not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_io.h"
#include "core/clock.h"
#include "core/policy.h"
#include "core/result.h"
#include "core/secret_string.h"
#include "net/stream.h"
#include "tls/tls_client.h"

namespace rm {

struct SmtpOptions {
  std::string helo_name;  // our FQDN for EHLO
  std::string host;       // configured smarthost name: the TLS reference identity
  TlsMode tls = TlsMode::starttls;  // tls: the stream given is already TLS
  AuthMethod auth = AuthMethod::automatic;
  std::string user;  // empty: no AUTH
  SecretString password;
  std::chrono::seconds timeout{60};
};

struct OutgoingMessage {
  std::string sender;               // "" = null sender
  std::vector<std::string> rcpts;   // addr-specs
  ByteSource* content = nullptr;    // CRLF message bytes, not dot-stuffed
  uint64_t size = 0;
  bool eightbit = false;
};

struct TransactionResult {
  // Set when the transaction as a whole failed (MAIL refused, DATA refused, final reply not 2xx,
  // connection lost, timeout). Recipients accepted before it are not delivered.
  std::optional<Error> error;
  // One entry per message.rcpts, in order: nullopt = accepted by RCPT; else the refusal.
  std::vector<std::optional<Error>> rcpt_errors;
  std::optional<SmtpReply> final_reply;  // the reply to the final dot, when it came
  bool delivered() const { return !error.has_value() && final_reply.has_value(); }
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
  // RSET between transactions on one connection.
  Status reset();
  // QUIT and close; errors ignored (the mail is already accounted for).
  void quit();

  std::optional<TlsInfo> tls_info() const;
  const std::vector<std::string>& capabilities() const;  // EHLO keywords, upper-case
  std::string peer() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rm
