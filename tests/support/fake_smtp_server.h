// support/fake_smtp_server.h — the fake smarthost every SMTP, relay and end-to-end test talks to
// (STYLE.md §4; Postfix smtp-sink in spirit). It runs in-process on 127.0.0.1:0, one thread for
// accepting plus one per connection, and speaks real SMTP over real TCP, with real OpenSSL TLS
// in three modes: plain, STARTTLS and implicit TLS. It is an independent implementation that
// uses OpenSSL directly, never rm_tls, so it can test the client.
//
// What it speaks: EHLO/HELO, STARTTLS (the capability list changes after TLS; plaintext
// pipelined after STARTTLS is discarded and noted, the CVE-2011-0411 server fix), AUTH with
// PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256 (the proof checked, v= sent), XOAUTH2 and OAUTHBEARER
// (support/fake_sasl.h; only over TLS unless auth_before_tls; 535 5.7.8 on mismatch), MAIL
// (SIZE= checked; SMTPUTF8, RET=, ENVID= when enabled), RCPT (NOTIFY=, ORCPT= when DSN is
// enabled), DATA (lines end in CRLF only: end of data is exactly CRLF.CRLF and a dot is
// unstuffed only after CRLF, so "\n.\n" and bare CRs stay in the data byte for byte, as
// smuggling tests need), BDAT n [LAST] when CHUNKING is enabled (exactly n octets, no
// unstuffing), RSET, NOOP, VRFY, QUIT. Pipelined commands from one read are answered in order,
// the replies of one group in one write. Optional client certificates, and TLS session
// resumption (1.2 session ids and tickets, 1.3 tickets), both recorded per message.
//
// What it records (thread-safe accessors return copies): every line received and sent, with
// the connection number and whether it was inside TLS; the connection count; every message it
// answered 2xx to the final dot (a 4xx/5xx/disconnect at the dot records nothing).
//
// Faults (Postfix smtp-sink -q/-Q/-r, EAST): for a command verb — GREETING, TLS (the TLS
// handshake itself, implicit or after STARTTLS), EHLO, HELO, STARTTLS, AUTH, MAIL, RCPT, DATA,
// BDAT (each chunk), DOT (the reply to the final dot or to BDAT LAST), RSET, NOOP, QUIT —
// optionally only its nth occurrence in a connection, only when its argument contains a string, and
// only in the first N connections:
//   reply       send `reply` instead of the normal reply. The command takes effect only when the
//               substitute has the same first digit as the normal reply (a "250" to DOT records
//               the message, a "451" does not; a "220" to STARTTLS starts TLS).
//   disconnect  close without a reply. For TLS: read the ClientHello, then close (an aborted
//               handshake).
//   stall       stop reading and answering until the client hangs up or the server stops.
//   inject      send the normal reply and then `reply` verbatim in the same write (response
//               injection after STARTTLS's 220; an unsolicited extra reply while pipelining).
// Fault replies are sent as written; a missing final CRLF is added.
//
// Bounds: command lines (max_line), message size (max_message_bytes; more is read and answered
// 552), recipients per message, concurrent connections, transcript entries, errors per session,
// and an idle timeout per read — a misbehaving client cannot make it eat memory or threads.
//
// Not here: certificates (support/test_pki.h), a raw test client (support/line_client.h), the
// program around it (fake_smtpd_main.cc). Scripting is per verb, not a full expect/reply script.
// Errors: start() returns Errc::config for unusable certificates, Errc::io for socket failures.
// Thread-safety: every public member may be called from any thread once start() returned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace rm::test {

enum class FakeTls { plain, starttls, implicit };

struct Fault {
  enum class Action { reply, disconnect, stall, inject };
  std::string verb{};  // "MAIL", "DOT", "TLS", ... (case-insensitive)
  Action action = Action::reply;
  std::string reply{};         // for reply and inject, e.g. "451 4.3.0 try later"
  int nth = 0;                 // only the nth occurrence of verb in a connection (1-based); 0: all
  std::string arg_contains{};  // only when the argument contains this (case-insensitive)
  int connections = 0;         // only in connections 1..N (1-based); 0: every connection
};

struct FakeSmtpOptions {
  FakeTls tls = FakeTls::plain;
  std::string listen_host = "127.0.0.1";
  uint16_t port = 0;        // 0: any free port; see FakeSmtpServer::port()
  std::string cert_file{};  // PEM; required unless tls == plain
  std::string key_file{};
  // 0: the OpenSSL default range. A TLS1_1_VERSION here makes an obsolete server that a
  // TLS-1.2-minimum client must refuse.
  int max_tls_version = 0;
  std::string hostname = "fake.test";  // in the greeting and the EHLO reply

  // Capabilities advertised in the EHLO reply.
  bool pipelining = true;
  bool eightbitmime = true;
  bool enhanced_status_codes = true;
  bool advertise_starttls = true;  // starttls mode only; false also refuses the command
  size_t size_limit = 0;           // SIZE n advertised and enforced; 0: no SIZE
  std::vector<std::string> extra_capabilities{};
  // ESMTP extensions beyond the basics; each is advertised and honoured when true.
  bool chunking = false;  // CHUNKING: BDAT n [LAST] (RFC 3030)
  bool smtputf8 = false;  // SMTPUTF8 (RFC 6531): MAIL ... SMTPUTF8 accepted; without it, an
                          // address with bytes >= 0x80 is refused 553 5.6.7
  bool dsn = false;       // DSN (RFC 3461): RET/ENVID on MAIL, NOTIFY/ORCPT on RCPT accepted;
                          // without it those parameters are refused 555 5.5.4

  // AUTH is advertised and accepted when `user` is set, with these mechanisms (upper-case,
  // in this order); empty: "PLAIN LOGIN". Supported: PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256,
  // XOAUTH2, OAUTHBEARER (the last two take `password` as the bearer token).
  std::string user{};
  std::string password{};
  std::vector<std::string> auth_mechanisms{};
  bool auth_before_tls = false;  // advertise/accept AUTH on a plaintext connection
  bool require_auth = false;     // MAIL before AUTH: 530 5.7.0

  std::vector<Fault> faults{};

  // Bounds.
  size_t max_line = 2048;               // command line, CRLF included: longer → 500 and close
  size_t max_message_bytes = 32 << 20;  // and the default SIZE check
  size_t max_recipients = 1000;
  int max_connections = 32;    // concurrent; more get 421 and are closed
  Millis idle_timeout{30000};  // per read: a silent client gets 421 and is closed

  // TLS, server side.
  std::string client_ca_file{};  // set: request a client certificate and verify it against
                                 // this CA (PEM); a connection without one is still served
};

struct TranscriptEntry {
  enum class Dir { client, server, event };
  int connection = 0;  // 1-based
  bool tls = false;    // inside TLS
  Dir dir = Dir::client;
  std::string text{};  // one line without CRLF; for events a description ("stall", ...)
};

struct ReceivedMessage {
  int connection = 0;
  std::string helo{};                      // the EHLO/HELO argument
  std::string mail_from{};                 // the address inside <>, "" for the null sender
  std::string mail_params{};               // what followed ">" in MAIL FROM, trimmed
  std::vector<std::string> rcpt_tos{};     // addresses inside <>, in order, accepted ones only
  std::vector<std::string> rcpt_params{};  // what followed ">" in each accepted RCPT, trimmed
  bool bdat = false;                       // the data came in BDAT chunks
  std::string data{};  // as transmitted, un-dot-stuffed, without the final ".\r\n"
  bool tls = false;
  bool tls_resumed = false;          // the TLS session was resumed
  std::string tls_client_subject{};  // RFC 2253 subject of a verified client certificate
  std::string auth_user{};           // "" when not authenticated
  std::string auth_mechanism{};      // "PLAIN", "SCRAM-SHA-256", ... ("" when not authenticated)
};

class FakeSmtpServer {
 public:
  explicit FakeSmtpServer(FakeSmtpOptions options);
  ~FakeSmtpServer();  // stop()
  FakeSmtpServer(const FakeSmtpServer&) = delete;
  FakeSmtpServer& operator=(const FakeSmtpServer&) = delete;

  // Loads the certificate, binds, listens and starts the accept thread.
  Status start();
  // Closes the listener, wakes every stalled or waiting session, joins all threads. Idempotent.
  void stop();

  uint16_t port() const;
  const std::string& host() const;

  // Faults may be added or cleared while running; they apply to commands processed afterwards.
  void add_fault(Fault f);
  void clear_faults();
  // Called on the session's thread for every recorded message, outside the server's lock.
  void on_message(std::function<void(const ReceivedMessage&)> cb);

  int connection_count() const;
  std::vector<TranscriptEntry> transcript() const;
  // One line per entry: "C: EHLO x", "S: 250 ok", inside TLS "C~ " / "S~ ", events "*: stall".
  // connection 0: all connections, in the order recorded.
  std::string transcript_text(int connection = 0) const;
  std::vector<ReceivedMessage> messages() const;

  // Wait (condition variable, no sleeping) until at least n messages / connections / finished
  // sessions have been seen; false on timeout.
  bool wait_for_messages(size_t n, Millis timeout) const;
  bool wait_for_connections(int n, Millis timeout) const;
  bool wait_for_sessions_done(int n, Millis timeout) const;

  struct Impl;  // defined in fake_smtp_server.cc

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rm::test
