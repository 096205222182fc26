#include "smtp/client_session.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include "core/strings.h"

namespace rm {
namespace {

constexpr int kMaxAuthRounds = 10;
// Markers in the queue of outstanding envelope replies; other entries are recipient indexes.
constexpr long kMailReply = -1;
constexpr long kDataReply = -2;
constexpr size_t kMaxCommandLine = 512;  // RFC 5321 §4.5.3.1.4, CRLF included

int reply_class(const SmtpReply& r) {
  return r.code / 100;
}

Error with_reply(Error e, const SmtpReply& r) {
  e.reply = r;
  return e;
}

// 4xx → smtp_temp, 5xx → smtp_perm, anything else → protocol; "what: 550 5.1.1 text".
Error reply_error(std::string_view what, const SmtpReply& r) {
  Errc c = reply_class(r) == 4   ? Errc::smtp_temp
           : reply_class(r) == 5 ? Errc::smtp_perm
                                 : Errc::protocol;
  return with_reply(
      make_error(c, "%.*s: %s", static_cast<int>(what.size()), what.data(), r.summary().c_str()),
      r);
}

Error unexpected(std::string_view what, const SmtpReply& r) {
  return with_reply(make_error(Errc::protocol, "unexpected reply to %.*s: %s",
                               static_cast<int>(what.size()), what.data(), r.summary().c_str()),
                    r);
}

// An address we may put between < and > on a command line: no controls, no angle brackets.
bool wire_safe(std::string_view addr) {
  return std::none_of(addr.begin(), addr.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f || c == '<' || c == '>';
  });
}

bool has_8bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) > 0x7f; });
}

// Built on the heap and moved, so the only copy of the payload ends up in the SecretString.
SecretString secret_concat(std::initializer_list<std::string_view> parts) {
  size_t n = 0;
  for (std::string_view p : parts) {
    n += p.size();
  }
  std::string s;
  s.reserve(std::max<size_t>(n, 32));
  for (std::string_view p : parts) {
    s.append(p);
  }
  return SecretString(std::move(s));
}

// RFC 6531 §3.2: without SMTPUTF8 an address with octets >= 0x80 cannot be sent at all. The
// refusal is ours, shaped like the server's would be, so it is classified as permanent.
Error no_smtputf8(std::string_view what) {
  SmtpReply r{.code = 553,
              .enhanced = "5.6.7",
              .lines = {"5.6.7 non-ASCII address, but the server does not offer SMTPUTF8"}};
  return reply_error(what, r);
}

Action fail_action(Error e) {
  Action a{.kind = Action::Kind::fail};
  a.error = std::move(e);
  return a;
}

}  // namespace

StageTimeouts StageTimeouts::capped(Millis cap) {
  StageTimeouts t;
  if (cap <= Millis::zero()) {
    return t;
  }
  for (Millis* m : {&t.greeting, &t.ehlo, &t.starttls, &t.auth, &t.mail, &t.rcpt, &t.data_init,
                    &t.data_block, &t.data_done, &t.rset, &t.quit}) {
    *m = std::min(*m, cap);
  }
  return t;
}

const char* ClientSession::state_name(State s) {
  switch (s) {
    case State::greeting:
      return "GREETING";
    case State::ehlo:
      return "EHLO";
    case State::helo:
      return "HELO";
    case State::starttls:
      return "STARTTLS";
    case State::tls_handshake:
      return "TLS";
    case State::ehlo2:
      return "EHLO2";
    case State::auth:
      return "AUTH";
    case State::ready:
      return "READY";
    case State::mail:
      return "MAIL";
    case State::rcpt:
      return "RCPT";
    case State::data:
      return "DATA";
    case State::body:
      return "BODY";
    case State::dot:
      return "DOT";
    case State::abort_dot:
      return "ABORT-DOT";
    case State::bdat:
      return "BDAT";
    case State::rset:
      return "RSET";
    case State::quit:
      return "QUIT";
    case State::closed:
      return "CLOSED";
    case State::failed:
      return "FAILED";
  }
  return "?";
}

ClientSession::ClientSession(SessionParams params) : params_(std::move(params)) {
  if (params_.helo_name.empty()) {
    params_.helo_name = "localhost";
  }
  params_.max_pipelined_rcpts = std::max<size_t>(params_.max_pipelined_rcpts, 1);
  secure_ = params_.tls == TlsMode::tls;
}

ClientSession::~ClientSession() = default;

bool ClientSession::auth_wanted() const {
  return !params_.user.empty() && params_.auth != AuthMethod::none;
}

Action ClientSession::send(State next, std::string line, Millis timeout) {
  line += "\r\n";
  return send_text(next, std::move(line), timeout);
}

Action ClientSession::send_text(State next, std::string text, Millis timeout) {
  state_ = next;
  return Action{.kind = Action::Kind::send, .text = std::move(text), .timeout = timeout};
}

Action ClientSession::fail(Error e, bool may_quit) {
  if (in_txn_ && !result_.error) {
    result_.error = e;
  }
  in_txn_ = false;
  error_ = e;
  state_ = State::failed;
  may_send_ = may_send_ && may_quit;
  return fail_action(std::move(e));
}

Action ClientSession::become_ready() {
  state_ = State::ready;
  in_txn_ = false;
  return Action{.kind = Action::Kind::ready};
}

Action ClientSession::start() {
  if (state_ != State::greeting) {
    return fail(make_error(Errc::protocol, "SMTP session started twice"), false);
  }
  if (auth_wanted() && params_.tls == TlsMode::none) {
    return fail(make_error(Errc::tls, "refusing to send credentials without TLS (tls = none)"),
                false);
  }
  if (!wire_safe(params_.helo_name) || params_.helo_name.find(' ') != std::string::npos) {
    return fail(make_error(Errc::config, "EHLO name is not a valid domain or address literal"),
                false);
  }
  return Action{.kind = Action::Kind::read, .timeout = params_.timeouts.greeting};
}

Action ClientSession::on_reply(const SmtpReply& r) {
  if (r.code == 421 && state_ != State::quit) {  // the server is closing the connection
    return fail(reply_error(state_name(state_), r), false);
  }
  switch (state_) {
    case State::greeting:
      return on_greeting(r);
    case State::ehlo:
    case State::ehlo2:
      return on_ehlo(r);
    case State::helo:
      return on_helo(r);
    case State::starttls:
      return on_starttls(r);
    case State::auth:
      return on_auth(r);
    case State::mail:
    case State::rcpt:
      return on_envelope_reply(r);
    case State::data:
      return on_data(r);
    case State::dot:
      return on_final_reply(r, "end of DATA");
    case State::abort_dot:
      return on_abort_dot(r);
    case State::bdat:
      return on_bdat(r);
    case State::rset:
      return on_rset(r);
    case State::quit:
      state_ = State::closed;
      return Action{.kind = Action::Kind::closed};
    case State::tls_handshake:
    case State::ready:
    case State::body:
    case State::closed:
    case State::failed:
      break;
  }
  return fail(with_reply(make_error(Errc::protocol, "unsolicited SMTP reply in state %s: %s",
                                    state_name(state_), r.summary().c_str()),
                         r),
              false);
}

Action ClientSession::on_failure(Error error) {
  error.what = format("SMTP %s: %s", state_name(state_), error.what.c_str());
  return fail(std::move(error), false);
}

Action ClientSession::on_greeting(const SmtpReply& r) {
  if (r.code == 220) {
    return send(State::ehlo, "EHLO " + params_.helo_name, params_.timeouts.ehlo);
  }
  if (reply_class(r) == 4 || reply_class(r) == 5) {
    return fail(reply_error("greeting", r), true);
  }
  return fail(unexpected("connect (greeting)", r), false);
}

Action ClientSession::on_ehlo(const SmtpReply& r) {
  if (reply_class(r) == 2) {
    caps_ = Capabilities::parse(r);  // replaces, never merges: RFC 3207 §4.2
    return after_ehlo();
  }
  bool not_esmtp = state_ == State::ehlo && (r.code == 500 || r.code == 502);
  if (not_esmtp && params_.tls == TlsMode::starttls) {
    return fail(
        with_reply(make_error(Errc::tls, "EHLO refused, so no STARTTLS: %s", r.summary().c_str()),
                   r),
        true);
  }
  if (not_esmtp && auth_wanted()) {
    return fail(
        with_reply(make_error(Errc::auth, "EHLO refused, so no AUTH: %s", r.summary().c_str()), r),
        true);
  }
  if (not_esmtp) {
    return send(State::helo, "HELO " + params_.helo_name, params_.timeouts.ehlo);
  }
  if (reply_class(r) == 4 || reply_class(r) == 5) {
    return fail(reply_error("EHLO", r), true);
  }
  return fail(unexpected("EHLO", r), false);
}

Action ClientSession::on_helo(const SmtpReply& r) {
  if (reply_class(r) == 2) {
    caps_ = Capabilities{};
    return become_ready();
  }
  if (reply_class(r) == 4 || reply_class(r) == 5) {
    return fail(reply_error("HELO", r), true);
  }
  return fail(unexpected("HELO", r), false);
}

Action ClientSession::after_ehlo() {
  if (params_.tls == TlsMode::starttls && !secure_) {
    if (!caps_.starttls) {
      return fail(make_error(Errc::tls, "STARTTLS required but not offered by the server"), true);
    }
    return send(State::starttls, "STARTTLS", params_.timeouts.starttls);
  }
  if (auth_wanted()) {
    return begin_auth();
  }
  return become_ready();
}

Action ClientSession::on_starttls(const SmtpReply& r) {
  if (r.code != 220) {
    return fail(with_reply(make_error(Errc::tls, "STARTTLS refused: %s", r.summary().c_str()), r),
                true);
  }
  state_ = State::tls_handshake;
  return Action{.kind = Action::Kind::start_tls, .timeout = params_.timeouts.starttls};
}

Action ClientSession::on_tls_ready() {
  if (state_ != State::tls_handshake) {
    return fail(make_error(Errc::protocol, "TLS started in state %s", state_name(state_)), false);
  }
  secure_ = true;
  caps_ = Capabilities{};  // forget everything said in clear
  return send(State::ehlo2, "EHLO " + params_.helo_name, params_.timeouts.ehlo);
}

Action ClientSession::begin_auth() {
  if (!secure_) {  // start() already refuses tls=none; this guards every other path
    return fail(make_error(Errc::tls, "refusing to send credentials without TLS"), true);
  }
  auto method = choose_sasl_method(params_.auth, caps_.auth);
  if (!method) {
    return fail(std::move(method).error(), true);
  }
  auto mech = make_sasl_mechanism(
      *method, SaslCredentials{.user = params_.user, .password = params_.password});
  if (!mech) {
    return fail(std::move(mech).error(), true);
  }
  mech_ = std::move(*mech);
  auth_rounds_ = 0;
  auto ir = mech_->initial_response();
  if (!ir) {
    return fail(std::move(ir).error(), true);
  }
  std::string head = "AUTH " + std::string(mech_->name());
  if (!ir->has_value()) {
    return send(State::auth, head, params_.timeouts.auth);
  }
  std::string_view payload = (*ir)->empty() ? std::string_view("=") : (*ir)->view();
  if (head.size() + 1 + payload.size() + 2 > kMaxCommandLine) {
    // RFC 4954 §4: too long for the command line; send it after the empty 334 challenge.
    deferred_ir_ = std::move(**ir);
    return send(State::auth, head, params_.timeouts.auth);
  }
  Action a = send(State::auth, head + " <redacted>", params_.timeouts.auth);
  a.secret = secret_concat({head, " ", payload, "\r\n"});
  return a;
}

Action ClientSession::send_auth_response(Result<SecretString> response) {
  if (!response) {
    // Mid-exchange the server reads our next line as a SASL response, so not even QUIT goes
    // out: a server that failed to prove itself (SCRAM v=) hears nothing more from us.
    return fail(std::move(response).error(), false);
  }
  Action a = send(State::auth, "<redacted>", params_.timeouts.auth);
  a.secret = secret_concat({response->view(), "\r\n"});
  return a;
}

Action ClientSession::on_auth(const SmtpReply& r) {
  std::string mech_name(mech_ ? mech_->name() : "");
  if (r.code == 235) {
    Status st = mech_ ? mech_->finish() : Status();
    mech_.reset();
    if (!st) {
      return fail(st.error(), true);
    }
    auth_mechanism_ = mech_name;
    return become_ready();
  }
  if (r.code == 334 && mech_) {
    if (++auth_rounds_ > kMaxAuthRounds) {
      return fail(make_error(Errc::auth, "AUTH %s: too many server challenges", mech_name.c_str()),
                  true);
    }
    std::string_view challenge =
        trim(r.lines.empty() ? std::string_view() : r.lines.front(), kSpace);
    if (deferred_ir_ && challenge.empty()) {
      SecretString ir = std::move(*deferred_ir_);
      deferred_ir_.reset();
      return send_auth_response(std::move(ir));
    }
    return send_auth_response(mech_->step(challenge));
  }
  mech_.reset();
  deferred_ir_.reset();
  if (reply_class(r) == 4 || reply_class(r) == 5) {
    return fail(
        with_reply(make_error(Errc::auth, "AUTH %s: %s", mech_name.c_str(), r.summary().c_str()),
                   r),
        true);
  }
  return fail(unexpected("AUTH", r), false);
}

std::string ClientSession::mail_command() const {
  std::string s = "MAIL FROM:<" + sender_ + ">";
  if (eightbit_ && caps_.eightbitmime) {
    s += " BODY=8BITMIME";
  }
  if (caps_.size) {
    s += " SIZE=" + std::to_string(size_);
  }
  bool utf8 = has_8bit(sender_) || std::any_of(rcpts_.begin(), rcpts_.end(),
                                               [](const std::string& a) { return has_8bit(a); });
  if (utf8 && caps_.smtputf8) {
    s += " SMTPUTF8";
  }
  if (dsn_) {
    s += dsn_params_.mail_params();
  }
  return s;
}

Action ClientSession::reject_transaction(Error e) {
  result_.error = std::move(e);
  return Action{.kind = Action::Kind::ready};
}

Action ClientSession::begin_transaction(const OutgoingMessage& m) {
  result_ = TransactionResult{};
  result_.rcpt_errors.assign(m.rcpts.size(), std::nullopt);
  if (state_ != State::ready) {
    Error e = error_ ? *error_
                     : make_error(Errc::protocol, "SMTP session not ready (state %s)",
                                  state_name(state_));
    result_.error = e;
    return fail_action(std::move(e));
  }
  if (!wire_safe(m.sender)) {
    return reject_transaction(make_error(Errc::parse, "MAIL FROM: sender address unfit for SMTP"));
  }
  if (m.rcpts.empty()) {
    return reject_transaction(make_error(Errc::parse, "MAIL FROM: no recipients"));
  }
  if (caps_.size && caps_.size_limit > 0 && m.size > caps_.size_limit) {
    return reject_transaction(make_error(
        Errc::smtp_perm, "5.3.4 message too big for the server (%llu octets, limit %llu)",
        static_cast<unsigned long long>(m.size),
        static_cast<unsigned long long>(caps_.size_limit)));
  }
  // Checked whether or not the server offers DSN: a malformed value is a bug upstream.
  auto dsn = DsnParams::parse(m.dsn_notify, m.dsn_ret, m.dsn_envid);
  if (!dsn) {
    return reject_transaction(std::move(dsn).error());
  }
  if (!caps_.smtputf8 && has_8bit(m.sender)) {
    return reject_transaction(no_smtputf8("MAIL FROM:<" + m.sender + ">"));
  }
  size_t usable = 0;
  for (size_t i = 0; i < m.rcpts.size(); ++i) {
    if (m.rcpts[i].empty() || !wire_safe(m.rcpts[i])) {
      result_.rcpt_errors[i] = make_error(Errc::parse, "RCPT TO: recipient address unfit for SMTP");
    } else if (!caps_.smtputf8 && has_8bit(m.rcpts[i])) {
      result_.rcpt_errors[i] = no_smtputf8("RCPT TO:<" + m.rcpts[i] + ">");
    } else {
      ++usable;
    }
  }
  if (usable == 0) {
    return Action{.kind = Action::Kind::ready};  // every recipient refused, nothing sent
  }
  sender_ = m.sender;
  rcpts_ = m.rcpts;
  size_ = m.size;
  eightbit_ = m.eightbit;
  // Without DSN the smarthost reports failures to us, the client, as refusals; the queue runner
  // then bounces (or not) according to our own NOTIFY, so nothing is lost by leaving them off.
  dsn_ = caps_.dsn;
  dsn_params_ = std::move(*dsn);
  chunk_out_ = false;
  next_rcpt_ = 0;
  expected_.clear();
  mail_refused_ = false;
  accepted_ = 0;
  in_txn_ = true;
  return send_envelope_group(true);
}

void ClientSession::skip_unusable_rcpts() {
  while (next_rcpt_ < rcpts_.size() && result_.rcpt_errors[next_rcpt_]) {
    ++next_rcpt_;
  }
}

Action ClientSession::send_envelope_group(bool with_mail) {
  std::string text;
  if (with_mail) {
    text = mail_command() + "\r\n";
    expected_.push_back(kMailReply);
    server_txn_ = true;
  }
  if (!with_mail || caps_.pipelining) {
    size_t limit = caps_.pipelining ? params_.max_pipelined_rcpts : 1;
    for (size_t n = 0; n < limit; ++n) {
      skip_unusable_rcpts();
      if (next_rcpt_ >= rcpts_.size()) {
        break;
      }
      text += "RCPT TO:<" + rcpts_[next_rcpt_] + ">";
      if (dsn_) {
        text += dsn_params_.rcpt_params(rcpts_[next_rcpt_]);
      }
      text += "\r\n";
      expected_.push_back(static_cast<long>(next_rcpt_));
      ++next_rcpt_;
    }
    skip_unusable_rcpts();
    // RFC 2920 §3.1: DATA may end the group that carries the last RCPT, saving a round trip; its
    // reply says whether the server wants the body (on_pipelined_data). BDAT stays lock-step.
    if (caps_.pipelining && next_rcpt_ >= rcpts_.size() && !use_bdat()) {
      text += "DATA\r\n";
      expected_.push_back(kDataReply);
    }
  }
  return send_text(with_mail ? State::mail : State::rcpt, std::move(text),
                   with_mail ? params_.timeouts.mail : params_.timeouts.rcpt);
}

bool ClientSession::use_bdat() const {
  return params_.chunking && caps_.chunking;
}

Action ClientSession::on_envelope_reply(const SmtpReply& r) {
  if (expected_.empty()) {
    return fail(unexpected("RCPT", r), false);
  }
  long who = expected_.front();
  expected_.pop_front();
  if (who == kDataReply) {
    return on_pipelined_data(r);
  }
  int klass = reply_class(r);
  if (klass != 2 && klass != 4 && klass != 5) {
    return fail(unexpected(who == kMailReply ? "MAIL" : "RCPT", r), false);
  }
  if (who == kMailReply) {
    if (klass != 2) {
      mail_refused_ = true;
      server_txn_ = false;  // RFC 5321 §3.3: a refused MAIL opens no transaction
      result_.error = reply_error("MAIL FROM:<" + sender_ + ">", r);
    }
    state_ = State::rcpt;
  } else if (!mail_refused_) {  // after a refused MAIL, RCPT replies (503s) mean nothing
    auto i = static_cast<size_t>(who);
    if (klass == 2) {
      ++accepted_;
    } else {
      result_.rcpt_errors[i] = reply_error("RCPT TO:<" + rcpts_[i] + ">", r);
    }
  }
  if (!expected_.empty()) {
    Millis t = expected_.front() == kDataReply ? params_.timeouts.data_init : params_.timeouts.rcpt;
    return Action{.kind = Action::Kind::read, .timeout = t};
  }
  return next_envelope_step();
}

// The reply to a DATA sent in the last envelope group. RFC 2920 §3.1: when no recipient was
// accepted (or MAIL was refused) the transaction is over whatever DATA got; a server that
// answered 354 anyway gets an empty message — a lone dot — and then RSET, so nothing is sent.
Action ClientSession::on_pipelined_data(const SmtpReply& r) {
  state_ = State::data;
  if (!mail_refused_ && accepted_ > 0) {
    return on_data(r);
  }
  in_txn_ = false;  // the outcome is final: refusals in result_
  if (r.code == 354) {
    return send(State::abort_dot, ".", params_.timeouts.data_done);
  }
  if (reply_class(r) != 2 && reply_class(r) != 4 && reply_class(r) != 5) {
    return fail(unexpected("DATA", r), false);
  }
  if (server_txn_) {
    return send(State::rset, "RSET", params_.timeouts.rset);  // the server still holds MAIL
  }
  return become_ready();
}

// Whatever the server made of the empty message, it is not ours: RSET clears it.
Action ClientSession::on_abort_dot(const SmtpReply& r) {
  if (reply_class(r) != 2 && reply_class(r) != 4 && reply_class(r) != 5) {
    return fail(unexpected("end of DATA", r), false);
  }
  server_txn_ = true;  // even a refused empty message may have left state: RSET regardless
  return send(State::rset, "RSET", params_.timeouts.rset);
}

Action ClientSession::next_envelope_step() {
  if (mail_refused_) {
    return become_ready();  // the server holds no transaction
  }
  skip_unusable_rcpts();
  if (next_rcpt_ < rcpts_.size()) {
    return send_envelope_group(false);
  }
  if (accepted_ == 0) {
    in_txn_ = false;  // the outcome is final; RSET only clears the server's MAIL
    return send(State::rset, "RSET", params_.timeouts.rset);
  }
  if (use_bdat()) {
    state_ = State::bdat;
    return Action{.kind = Action::Kind::read_chunk, .timeout = params_.timeouts.data_block};
  }
  return send(State::data, "DATA", params_.timeouts.data_init);
}

Action ClientSession::on_data(const SmtpReply& r) {
  if (r.code == 354) {
    state_ = State::body;
    return Action{.kind = Action::Kind::send_body, .timeout = params_.timeouts.data_block};
  }
  if (reply_class(r) == 4 || reply_class(r) == 5) {
    result_.error = reply_error("DATA", r);
    in_txn_ = false;
    return send(State::rset, "RSET", params_.timeouts.rset);
  }
  return fail(unexpected("DATA", r), false);
}

Action ClientSession::on_body_sent() {
  if (state_ != State::body) {
    return fail(make_error(Errc::protocol, "message body sent in state %s", state_name(state_)),
                false);
  }
  state_ = State::dot;
  return Action{.kind = Action::Kind::read, .timeout = params_.timeouts.data_done};
}

Action ClientSession::on_final_reply(const SmtpReply& r, std::string_view what) {
  result_.final_reply = r;
  if (reply_class(r) == 2 || reply_class(r) == 4 || reply_class(r) == 5) {
    server_txn_ = false;  // RFC 5321 §4.1.1.4: the end of mail data ends the transaction
  }
  if (reply_class(r) == 2) {
    return become_ready();
  }
  if (reply_class(r) == 4 || reply_class(r) == 5) {
    result_.error = reply_error(what, r);
    return become_ready();
  }
  return fail(unexpected(what, r), false);
}

Action ClientSession::on_chunk(uint64_t size, bool last) {
  if (state_ != State::bdat || chunk_out_) {
    return fail(make_error(Errc::protocol, "BDAT chunk offered in state %s", state_name(state_)),
                false);
  }
  chunk_out_ = true;
  chunk_last_ = last;
  std::string cmd = "BDAT " + std::to_string(size) + (last ? " LAST\r\n" : "\r\n");
  Action a = send_text(State::bdat, std::move(cmd),
                       last ? params_.timeouts.data_done : params_.timeouts.data_block);
  a.kind = Action::Kind::send_chunk;
  a.write_timeout = params_.timeouts.data_block;
  return a;
}

Action ClientSession::on_bdat(const SmtpReply& r) {
  if (!chunk_out_) {
    return fail(with_reply(make_error(Errc::protocol, "unsolicited SMTP reply in state %s: %s",
                                      state_name(state_), r.summary().c_str()),
                           r),
                false);
  }
  chunk_out_ = false;
  if (chunk_last_) {
    return on_final_reply(r, "BDAT LAST");
  }
  if (reply_class(r) == 2) {
    return Action{.kind = Action::Kind::read_chunk, .timeout = params_.timeouts.data_block};
  }
  if (reply_class(r) == 4 || reply_class(r) == 5) {
    // RFC 3030 §2: no further chunk after a refusal; RSET clears whatever the server kept.
    result_.error = reply_error("BDAT", r);
    in_txn_ = false;
    return send(State::rset, "RSET", params_.timeouts.rset);
  }
  return fail(unexpected("BDAT", r), false);
}

Action ClientSession::on_rset(const SmtpReply& r) {
  if (reply_class(r) == 2) {
    server_txn_ = false;
    return become_ready();
  }
  if (reply_class(r) == 4 || reply_class(r) == 5) {
    return fail(reply_error("RSET", r), true);
  }
  return fail(unexpected("RSET", r), false);
}

Action ClientSession::begin_reset() {
  if (state_ != State::ready) {
    return fail_action(error_
                           ? *error_
                           : make_error(Errc::protocol, "RSET: SMTP session not ready (state %s)",
                                        state_name(state_)));
  }
  return send(State::rset, "RSET", params_.timeouts.rset);
}

Action ClientSession::begin_quit() {
  if (may_send_ && (state_ == State::ready || state_ == State::failed)) {
    return send(State::quit, "QUIT", params_.timeouts.quit);
  }
  state_ = State::closed;
  return Action{.kind = Action::Kind::closed};
}

TransactionResult ClientSession::take_result() {
  return std::exchange(result_, TransactionResult{});
}

}  // namespace rm
