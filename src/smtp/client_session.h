// smtp/client_session.h — the SMTP client protocol as a state machine without sockets (STYLE.md
// §2, §5.10; named states after OpenSMTPD's smtp_client.c). The driver (SmtpClient) feeds it
// server replies and I/O outcomes; it answers with the next Action: send these command lines
// and read a reply, read one more reply (pipelining), start TLS, send the message body (DATA),
// fetch and send the next BDAT chunk, or stop (ready, closed, fail). It decides everything the
// RFCs and RELIABILITY.md §3 ask:
//  - greeting must be 220; EHLO, with HELO only on 500/502 when neither TLS nor AUTH is needed;
//  - tls=starttls: STARTTLS must be offered and answered 220, else Errc::tls and nothing but
//    QUIT; after the handshake EHLO again and every pre-TLS capability is forgotten;
//  - AUTH only when a user is set, auth != none, and the channel is TLS (starttls done or
//    tls=tls); with tls=none and a user, Errc::tls before anything is read or sent;
//  - MAIL (BODY=8BITMIME, SIZE=n, SMTPUTF8 when offered and useful), SIZE limit checked first
//    (Errc::smtp_perm "5.3.4 ..."), RCPTs pipelined with MAIL when PIPELINING is offered (at
//    most max_pipelined_rcpts per write);
//  - DATA: with PIPELINING it ends the group that carries the last RCPT (RFC 2920 §3.1), and the
//    body goes only when DATA got 354 and some RCPT was accepted; a 354 with no RCPT accepted
//    (or MAIL refused) gets a lone "." and then RSET, so not a byte of the message is sent.
//    Without PIPELINING, DATA goes only after some RCPT was accepted;
//  - RSET only after a transaction that stopped half way with server state behind (MAIL accepted
//    but no recipient, DATA or a BDAT chunk refused), never after a completed one: the reply to
//    the final dot or BDAT LAST ends it, whatever its code (RFC 5321 §4.1.1.4). needs_reset()
//    says whether the server may still hold a transaction;
//  - DSN (RFC 3461), only when offered: RET=/ENVID= on MAIL, NOTIFY= and ORCPT=rfc822; on each
//    RCPT (smtp/dsn_params.h). Malformed values fail the transaction with Errc::parse before
//    anything is sent, offered or not;
//  - SMTPUTF8 (RFC 6531): without it, a recipient with octets >= 0x80 is refused on its own
//    (Errc::smtp_perm, synthesized "553 5.6.7" reply, never sent) and such a sender refuses the
//    whole transaction the same way before anything is sent;
//  - CHUNKING (RFC 3030), when offered and params.chunking: BDAT instead of DATA. Lock-step, not
//    pipelined: each "BDAT n" waits for its 250 before the next chunk is read, so a refusal
//    stops the upload at once and nothing is left in flight (the round trip per 64 KiB chunk
//    is the price). A refused chunk fails the transaction and is followed by RSET; the reply to
//    "BDAT n LAST" is the final reply, as after the dot.
// Per-recipient refusals land in TransactionResult::rcpt_errors; whole-transaction failures in
// TransactionResult::error. An I/O/TLS/timeout/protocol failure or a 421 makes the session
// failed: unusable, and (except after a plain SMTP refusal) nothing more may be sent.
// AUTH lines travel in Action::secret; Action::text then holds a redacted form for traces.
// Error texts never include an AUTH payload. Pure, no I/O. Not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/sasl_mechanism.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/policy.h"
#include "core/secret_string.h"
#include "smtp/capabilities.h"
#include "smtp/dsn_params.h"
#include "smtp/transaction.h"

namespace rm {

// How long to wait for each stage. RFC 5321 §4.5.3.2 gives greeting, MAIL, RCPT, DATA
// initiation, data block and final dot; the rest follow Postfix (helo/starttls/auth 300 s,
// rset/quit 20 s).
struct StageTimeouts {
  Millis greeting = std::chrono::minutes(5);
  Millis ehlo = std::chrono::minutes(5);
  Millis starttls = std::chrono::minutes(5);  // the 220 and then the TLS handshake
  Millis auth = std::chrono::minutes(5);
  Millis mail = std::chrono::minutes(5);
  Millis rcpt = std::chrono::minutes(5);
  Millis data_init = std::chrono::minutes(2);
  Millis data_block = std::chrono::minutes(3);
  Millis data_done = std::chrono::minutes(10);
  Millis rset = std::chrono::seconds(20);
  Millis quit = std::chrono::seconds(20);

  // Every stage shortened to `cap` when `cap` is smaller; cap <= 0 leaves the defaults.
  static StageTimeouts capped(Millis cap);
};

struct SessionParams {
  std::string helo_name;  // empty: "localhost"
  TlsMode tls = TlsMode::starttls;
  AuthMethod auth = AuthMethod::automatic;
  std::string user;  // empty: no AUTH
  SecretString password;
  StageTimeouts timeouts;
  size_t max_pipelined_rcpts = 100;  // RCPTs per write; bounds what the server must buffer
  bool chunking = true;              // BDAT when the server offers CHUNKING; false: always DATA
};

struct Action {
  enum class Kind {
    send,        // write wire(), then read one reply (within `timeout`) for on_reply()
    read,        // read one more reply (within `timeout`) for on_reply()
    start_tls,   // nothing may be buffered; hand the stream to TLS, then on_tls_ready()
    send_body,   // stream the message (DataWriter, `timeout` per block), then on_body_sent()
    read_chunk,  // read the next BDAT chunk of the message (ChunkReader), then on_chunk()
    send_chunk,  // write `text` and that chunk's octets (within `write_timeout`), then read one
                 // reply (within `timeout`) for on_reply()
    ready,       // idle: open, transaction or RSET done; the session takes a new command
    closed,      // QUIT done (or nothing could be sent): close the stream
    fail,        // `error` happened; the session is failed
  };
  Kind kind = Kind::ready;
  std::string text{};                    // send, send_chunk: CRLF-terminated lines (redacted
                                         // if `secret`)
  std::optional<SecretString> secret{};  // send: the real bytes when they carry an AUTH payload
  Millis timeout{0};
  Millis write_timeout{0};       // send_chunk
  std::optional<Error> error{};  // fail

  std::string_view wire() const { return secret ? secret->view() : std::string_view(text); }
};

class ClientSession {
 public:
  enum class State {
    greeting,
    ehlo,
    helo,
    starttls,
    tls_handshake,
    ehlo2,
    auth,
    ready,
    mail,
    rcpt,
    data,
    body,
    dot,
    abort_dot,  // a lone "." after a pipelined DATA got 354 with no recipient accepted
    bdat,
    rset,
    quit,
    closed,
    failed,
  };
  static const char* state_name(State s);

  explicit ClientSession(SessionParams params);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  // The connection is up: wait for the greeting (or fail at once, see the header comment).
  Action start();
  Action on_reply(const SmtpReply& reply);
  Action on_tls_ready();
  Action on_body_sent();
  // The chunk asked for by read_chunk is ready: `size` octets, the message's last when `last`.
  Action on_chunk(uint64_t size, bool last);
  // The driver could not do what the last Action asked (I/O, timeout, TLS, parse error, or the
  // STARTTLS injection check). The session is failed and will send nothing more.
  Action on_failure(Error error);

  // From ready: MAIL, RCPT..., DATA or BDAT. The content itself is the driver's.
  Action begin_transaction(const OutgoingMessage& message);
  Action begin_reset();
  // QUIT when the connection may still carry it; else closed at once.
  Action begin_quit();

  State state() const { return state_; }
  bool usable() const { return state_ == State::ready; }
  // The server may still hold state of the last transaction (its MAIL was accepted and neither
  // a final reply nor an RSET has ended it since), so RSET must go before the next MAIL. False
  // after every completed transaction: the reply to the final dot or BDAT LAST ends it, whatever
  // its code (RFC 5321 §4.1.1.4), and the session sends RSET on its own where a transaction
  // stops half way (no recipient accepted, DATA or a BDAT chunk refused).
  bool needs_reset() const { return server_txn_; }
  bool secure() const { return secure_; }
  const Capabilities& capabilities() const { return caps_; }
  // The SASL mechanism that logged in ("PLAIN", "SCRAM-SHA-256"); "" without AUTH.
  const std::string& auth_mechanism() const { return auth_mechanism_; }
  // Why the session failed, when it did.
  const std::optional<Error>& error() const { return error_; }
  // The outcome of the last transaction; leaves an empty result behind.
  TransactionResult take_result();

 private:
  bool auth_wanted() const;
  Action send(State next, std::string line, Millis timeout);  // one line, CRLF added
  Action send_text(State next, std::string text, Millis timeout);
  Action fail(Error e, bool may_quit);
  Action become_ready();
  Action on_greeting(const SmtpReply& r);
  Action on_ehlo(const SmtpReply& r);
  Action on_helo(const SmtpReply& r);
  Action on_starttls(const SmtpReply& r);
  Action after_ehlo();
  Action begin_auth();
  Action send_auth_response(Result<SecretString> response);
  Action on_auth(const SmtpReply& r);
  Action on_envelope_reply(const SmtpReply& r);
  Action next_envelope_step();
  void skip_unusable_rcpts();
  Action send_envelope_group(bool with_mail);
  bool use_bdat() const;
  Action on_data(const SmtpReply& r);
  Action on_pipelined_data(const SmtpReply& r);
  Action on_abort_dot(const SmtpReply& r);
  Action on_final_reply(const SmtpReply& r, std::string_view what);
  Action on_bdat(const SmtpReply& r);
  Action on_rset(const SmtpReply& r);
  Action reject_transaction(Error e);
  std::string mail_command() const;

  SessionParams params_;
  State state_ = State::greeting;
  bool secure_ = false;
  bool may_send_ = true;  // false once nothing more may go out on this connection
  Capabilities caps_;
  std::optional<Error> error_;

  std::unique_ptr<SaslMechanism> mech_;
  std::string auth_mechanism_;               // set on 235
  std::optional<SecretString> deferred_ir_;  // an initial response too long for the AUTH line
  int auth_rounds_ = 0;

  // The transaction in progress.
  bool in_txn_ = false;
  std::string sender_;
  std::vector<std::string> rcpts_;
  uint64_t size_ = 0;
  bool eightbit_ = false;
  bool dsn_ = false;  // DSN parameters go out
  DsnParams dsn_params_;
  bool chunk_out_ = false;     // a BDAT chunk awaits its reply
  bool chunk_last_ = false;    // ... and it is the LAST one
  size_t next_rcpt_ = 0;       // next index of rcpts_ to send
  std::deque<long> expected_;  // outstanding envelope replies: MAIL, a rcpt index, or DATA
  bool mail_refused_ = false;
  bool server_txn_ = false;  // see needs_reset()
  size_t accepted_ = 0;
  TransactionResult result_;
};

}  // namespace rm
