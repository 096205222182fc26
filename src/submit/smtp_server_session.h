// submit/smtp_server_session.h — the server side of an SMTP submission dialogue (`sendmail -bs`,
// SENDMAIL.md behaviour 23; the daemon's socket to come) as a sans-I/O state machine: command
// lines in, reply text out; DATA body bytes in, the un-dot-stuffed body out.
// Contract: replies carry RFC 3463 codes and never echo client bytes unsanitised; envelope
// addresses are checked as the spool can store them (553 otherwise); only command lines are
// bounded (max_line). States, body and line-end rules: the top of smtp_server_session.cc.
// Errors: protocol problems are replies, not Errors; nothing else can fail.
// Threads: one session per dialogue, not thread-safe.
// Not here: framing and I/O (submit/smtp_stdio.h), the spool, qualification and aliases (the
// SmtpRecipientCheck's and the commit hook's: submit/commit.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "submit/daemon_protocol.h"

namespace rm {

struct SmtpServerOptions {
  std::string hostname;          // named in the greeting and in HELO/EHLO replies
  uint64_t max_size = 0;         // message octets (after un-stuffing); 0 = no limit, no SIZE n
  size_t max_recipients = 1000;  // per transaction; more get 452 4.5.3
  size_t max_line = 2048;        // command line octets, line end excluded; more get 500 5.5.2
  // The daemon's socket only (submit/daemon_protocol.h): EHLO offers XRELAYMAIL; MAIL takes the
  // XRM-*, RET and ENVID parameters; DATA may follow MAIL without RCPT after XRM-T.
  bool local_extensions = false;
  // Optional: asked about each MAIL sender that passed the syntax checks; an Error refuses it
  // with Error::reply when that holds a 4xx/5xx reply, else 553 5.7.1 with its text.
  std::function<Status(std::string_view sender)> check_sender = {};
  // Optional: answers XQUEUE and XFLUSH (outside a transaction) with a whole reply; unset: 502.
  std::function<std::string(std::string_view verb, std::string_view arg)> admin = {};
};

// The transaction as the client gave it: addresses are the text between < and > (source route
// removed), checked but neither qualified nor de-duplicated.
struct SmtpEnvelope {
  std::string helo;                     // HELO/EHLO argument, sanitised; "" when none was sent
  std::string sender;                   // "" = the null sender <>
  std::vector<std::string> recipients;  // in order, at least one when the hook runs
  std::string body_type;                // "", "7BIT" or "8BITMIME" (MAIL BODY=)
  uint64_t declared_size = 0;           // MAIL SIZE=, 0 when absent
  SubmitFlags flags;                    // local_extensions only
};

// Optional policy for a recipient that passed the syntax checks (aliases, unknown local names).
// An Error refuses it: with Error::reply when that holds a 4xx/5xx reply; else Errc::usage,
// parse or smtp_perm give "550 5.1.1 Recipient address rejected: <what>" (sanitised, at most
// 200 octets) and any other Errc (a failure to decide, e.g. an unreadable aliases file) gives
// 451 4.3.0 without the text.
using SmtpRecipientCheck = std::function<Status(std::string_view addr)>;

class SmtpServerSession {
 public:
  enum class State { idle, mail, rcpt, data, data_done, closed };

  explicit SmtpServerSession(SmtpServerOptions opts, SmtpRecipientCheck check_recipient = {});

  // "220 <hostname> ESMTP relaymail\r\n".
  std::string greeting() const;

  // One command line without its line end (state idle, mail or rcpt). Returns the reply.
  // After DATA the state is data; after QUIT it is closed. In any other state: 503.
  std::string on_line(std::string_view line);
  // A command line longer than max_line (the driver discarded it): 500 5.5.2.
  std::string on_overlong_line() const;

  // State data: consumes body bytes up to and including the final dot line and appends the
  // un-dot-stuffed body to `out`. Returns the bytes consumed; when it is less than in.size(),
  // or the final dot was the last input, the state is data_done. Beyond max_size nothing more
  // is appended (too_big() turns true) but the input is still consumed up to the dot.
  size_t on_data(std::string_view in, std::string& out);
  bool too_big() const { return too_big_; }
  uint64_t body_size() const { return body_size_; }

  // State data_done: the reply for the message, then back to idle. 552 5.3.4 when too_big();
  // else "250 2.0.0 Ok: queued as <id>" on success; on failure Error::reply when it holds a
  // 4xx/5xx reply (e.g. 552 5.3.4 from the hook's own size check), else 451 4.3.0. The
  // Error's text is never shown to the client (it may name spool paths).
  std::string end_data(const Result<std::string>& queued);

  // The input ended: any transaction is abandoned; the state is closed.
  void on_input_closed();

  State state() const { return state_; }
  bool in_transaction() const { return state_ != State::idle && state_ != State::closed; }
  const SmtpEnvelope& envelope() const { return env_; }

 private:
  // Where the body decoder is within the current line.
  enum class Dot { line_start, dot, dot_cr, mid_line };

  std::string on_helo(std::string_view arg, bool extended);
  std::string on_mail(std::string_view arg);
  std::string on_rcpt(std::string_view arg);
  std::string on_data_command(std::string_view arg);
  std::string on_admin(std::string_view verb, std::string_view arg);
  std::string mail_param(std::string_view param);
  std::string refused_recipient(const Error& e) const;
  void reset_transaction();
  void emit_run(std::string_view bytes, std::string& out);

  SmtpServerOptions opts_;
  SmtpRecipientCheck check_recipient_;
  State state_ = State::idle;
  SmtpEnvelope env_;
  Dot dot_ = Dot::line_start;
  uint64_t body_size_ = 0;
  bool too_big_ = false;
};

// "idle", "mail", "rcpt", "data", "data_done", "closed" (for traces and test messages).
const char* smtp_state_name(SmtpServerSession::State s);

}  // namespace rm
