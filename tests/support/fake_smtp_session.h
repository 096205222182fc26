// support/fake_smtp_session.h — one SMTP conversation of FakeSmtpServer, on its own thread:
// the server side of RFC 5321 + 3207 (STARTTLS) + 4954 (AUTH, mechanisms in support/fake_sasl.h)
// + 2920 (PIPELINING) + 3030 (CHUNKING) + 3461 (DSN) + 6531 (SMTPUTF8), with the faults of
// fake_smtp_server.h applied. Internal to the fake server; tests use FakeSmtpServer. Errors end the
// session and are recorded as transcript events. Not thread-safe: one session per thread;
// SessionHooks must be thread-safe.
#pragma once

#include <openssl/ssl.h>

#include <optional>
#include <string>

#include "support/fake_smtp_server.h"
#include "sys/unique_fd.h"

namespace rm::test::detail {

// What a session needs from the server; implemented by FakeSmtpServer::Impl, thread-safe.
class SessionHooks {
 public:
  virtual ~SessionHooks() = default;
  virtual void record(int connection, bool tls, TranscriptEntry::Dir dir, std::string text) = 0;
  // The first fault matching this occurrence (nth is 1-based, per connection and verb).
  virtual std::optional<Fault> match_fault(int connection, const std::string& verb, int nth,
                                           const std::string& arg) = 0;
  virtual void deliver(ReceivedMessage msg) = 0;
};

struct SessionEnv {
  const FakeSmtpOptions* options;
  SSL_CTX* ctx;  // nullptr in plain mode
  int stop_fd;
  int connection;
  SessionHooks* hooks;
};

// Runs the whole conversation on `fd`; returns when it ends.
void run_smtp_session(UniqueFd fd, const SessionEnv& env);

// Strict RFC 4648 base64 (padding required); nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view in);

}  // namespace rm::test::detail
