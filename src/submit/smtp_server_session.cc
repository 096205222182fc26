// How the session behaves, in detail (the contract is in smtp_server_session.h):
// States: idle (no transaction; HELO/EHLO optional, as in Postfix) → MAIL → mail → RCPT → rcpt
// → DATA → data (body bytes) → the final dot → data_done → end_data() → idle; QUIT or the end of
// input → closed. EHLO, HELO and RSET end a transaction; a bad command leaves the state alone.
// Replies carry RFC 3463 enhanced codes (except the greeting, HELO/EHLO and 354, RFC 2034) and
// end in CRLF. Reply text never echoes client bytes unsanitised.
// Envelope hygiene (RELIABILITY.md §3.8): addresses must pass check_envelope_address and be
// printable ASCII without spaces (what the spool can store), else 553 with a one-line reason.
// Body (RFC 5321 §4.5.2; RELIABILITY.md §3.6): a line is ended by LF (a CR before it belongs
// to the line end), so "." + CRLF or "." + LF ends the data; a bare CR never ends a line, so
// "\r.\r" is body text (mail/message_builder turns the CR into a space later). One leading dot
// is removed from every other line that starts with one. Line ends are passed on as received.
// Lines of any length pass through; only command lines are bounded (max_line).
// Errors: protocol problems are replies, not Errors; there is nothing else to fail.
// Not here: line framing, I/O, the spool, qualification or aliasing of addresses (the
// SmtpRecipientCheck's and the commit hook's, cli/submit.h). Not thread-safe; one session per
// dialogue.
#include "submit/smtp_server_session.h"

#include <charconv>
#include <optional>
#include <utility>

#include "core/error.h"
#include "core/strings.h"
#include "mail/address.h"

namespace rm {
namespace {

constexpr size_t kMaxHeloText = 255;
constexpr size_t kMaxEchoedText = 64;
constexpr size_t kMaxReasonText = 200;

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (upper(a[i]) != upper(b[i])) {
      return false;
    }
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Client text that goes back into a reply: printable ASCII only, bounded.
std::string sanitize(std::string_view s, size_t max) {
  std::string out;
  for (char ch : s.substr(0, max)) {
    auto u = static_cast<unsigned char>(ch);
    out += (u >= 0x20 && u < 0x7f) ? ch : '?';
  }
  return out;
}

std::string reply(int code, std::string_view enhanced, std::string_view text) {
  std::string r = std::to_string(code);
  r += ' ';
  r += enhanced;
  r += ' ';
  r += text;
  r += "\r\n";
  return r;
}

// The first word and the rest ("MAIL", " FROM:<a@b>").
std::pair<std::string_view, std::string_view> split_verb(std::string_view line) {
  size_t sp = line.find_first_of(" \t");
  if (sp == std::string_view::npos) {
    return {line, {}};
  }
  return {line.substr(0, sp), line.substr(sp)};
}

std::string_view next_word(std::string_view& rest) {
  rest = trim(rest);
  size_t sp = rest.find_first_of(" \t");
  std::string_view word = rest.substr(0, sp);
  rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp);
  return word;
}

// Index of the '>' closing a path that starts at s[0] == '<', honouring quoted strings.
size_t path_end(std::string_view s) {
  bool quoted = false;
  for (size_t i = 1; i < s.size(); ++i) {
    if (quoted && s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && s[i] == '>') {
      return i;
    }
  }
  return std::string_view::npos;
}

struct PathArg {
  std::string addr;
  std::string_view params;
};

// "FROM:<a@b> BODY=8BITMIME" → {"a@b", "BODY=8BITMIME"}. Tolerates space after the colon and
// a path without angle brackets (Postfix does); drops a source route ("<@r:a@b>", RFC 5321
// §4.1.2). Anything after '>' must be separated by white space. nullopt = syntax error.
std::optional<PathArg> parse_path(std::string_view arg, std::string_view keyword) {
  arg = trim(arg);
  if (!istarts_with(arg, keyword)) {
    return std::nullopt;
  }
  arg = trim(arg.substr(keyword.size()));
  std::string_view addr;
  std::string_view rest;
  if (!arg.empty() && arg.front() == '<') {
    size_t end = path_end(arg);
    if (end == std::string_view::npos) {
      return std::nullopt;
    }
    addr = arg.substr(1, end - 1);
    rest = arg.substr(end + 1);
    if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') {
      return std::nullopt;
    }
  } else {
    rest = arg;
    addr = next_word(rest);
    if (addr.empty()) {
      return std::nullopt;
    }
  }
  if (!addr.empty() && addr.front() == '@') {
    size_t colon = addr.find(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    addr.remove_prefix(colon + 1);
  }
  return PathArg{std::string(addr), trim(rest)};
}

// check_envelope_address, plus what the spool can store: printable ASCII without spaces (no
// SMTPUTF8 is offered, so 8-bit addresses are invalid anyway).
Status check_smtp_address(std::string_view addr) {
  if (auto ok = check_envelope_address(addr); !ok) {
    return ok;
  }
  for (char ch : addr) {
    auto u = static_cast<unsigned char>(ch);
    if (u <= 0x20 || u >= 0x7f) {
      return make_error(Errc::usage, "address contains %s",
                        u == 0x20 ? "a space" : "a non-ASCII character");
    }
  }
  return {};
}

// The reply an Error asks for (Error::reply, 4xx or 5xx), else "".
std::string requested_reply(const Error& e) {
  if (!e.reply || e.reply->code < 400 || e.reply->code > 599) {
    return "";
  }
  std::string text = e.reply->lines.empty() ? "Error" : e.reply->lines.front();
  std::string enhanced = e.reply->enhanced;
  bool valid = enhanced.size() >= 5 && enhanced.size() <= 11 &&
               enhanced[0] == static_cast<char>('0' + e.reply->code / 100) && enhanced[1] == '.' &&
               enhanced.find_first_not_of("0123456789.") == std::string::npos;
  return reply(e.reply->code, valid ? enhanced : (e.reply->code < 500 ? "4.0.0" : "5.0.0"),
               sanitize(text, kMaxReasonText));
}

// The reply to a commit hook's outcome, when the size limit was kept.
std::string commit_reply(const Result<std::string>& queued) {
  if (queued) {
    return reply(250, "2.0.0", "Ok: queued as " + sanitize(*queued, kMaxEchoedText));
  }
  if (std::string r = requested_reply(queued.error()); !r.empty()) {
    return r;
  }
  return reply(451, "4.3.0",
               queued.error().code == Errc::io ? "Error: queue file write error"
                                               : "Error: local error in processing");
}

std::optional<uint64_t> parse_size(std::string_view v) {
  uint64_t n = 0;
  if (v.empty() || v.size() > 20) {
    return std::nullopt;
  }
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) {
    return std::nullopt;
  }
  return n;
}

}  // namespace

const char* smtp_state_name(SmtpServerSession::State s) {
  switch (s) {
    case SmtpServerSession::State::idle:
      return "idle";
    case SmtpServerSession::State::mail:
      return "mail";
    case SmtpServerSession::State::rcpt:
      return "rcpt";
    case SmtpServerSession::State::data:
      return "data";
    case SmtpServerSession::State::data_done:
      return "data_done";
    case SmtpServerSession::State::closed:
      return "closed";
  }
  return "unknown";
}

SmtpServerSession::SmtpServerSession(SmtpServerOptions opts, SmtpRecipientCheck check_recipient)
    : opts_(std::move(opts)), check_recipient_(std::move(check_recipient)) {
  opts_.hostname = sanitize(opts_.hostname, kMaxHeloText);
  if (opts_.hostname.empty()) {
    opts_.hostname = "localhost";
  }
}

std::string SmtpServerSession::greeting() const {
  return "220 " + opts_.hostname + " ESMTP relaymail\r\n";
}

std::string SmtpServerSession::on_overlong_line() const {
  return reply(500, "5.5.2", "Error: line too long");
}

std::string SmtpServerSession::on_line(std::string_view line) {
  if (state_ != State::idle && state_ != State::mail && state_ != State::rcpt) {
    return reply(503, "5.5.1", "Error: bad sequence of commands");
  }
  auto [verb, arg] = split_verb(line);
  if (iequals(verb, "EHLO") || iequals(verb, "HELO")) {
    return on_helo(arg, iequals(verb, "EHLO"));
  }
  if (iequals(verb, "MAIL")) {
    return on_mail(arg);
  }
  if (iequals(verb, "RCPT")) {
    return on_rcpt(arg);
  }
  if (iequals(verb, "DATA")) {
    return on_data_command(arg);
  }
  if (iequals(verb, "RSET")) {
    if (!trim(arg).empty()) {
      return reply(501, "5.5.4", "Syntax: RSET");
    }
    reset_transaction();
    return reply(250, "2.0.0", "Ok");
  }
  if (iequals(verb, "NOOP")) {
    return reply(250, "2.0.0", "Ok");
  }
  if (iequals(verb, "QUIT")) {
    reset_transaction();
    state_ = State::closed;
    return reply(221, "2.0.0", "Bye");
  }
  if (iequals(verb, "VRFY")) {
    return trim(arg).empty()
               ? reply(501, "5.5.4", "Syntax: VRFY address")
               : reply(252, "2.5.2", "Cannot VRFY user; try RCPT to attempt delivery");
  }
  if (iequals(verb, "HELP")) {
    return reply(214, "2.0.0", "Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP");
  }
  if (iequals(verb, kXQueue) || iequals(verb, kXFlush)) {
    return on_admin(verb, arg);
  }
  for (std::string_view known : {"EXPN", "ETRN", "TURN", "BDAT", "AUTH", "STARTTLS"}) {
    if (iequals(verb, known)) {
      return reply(502, "5.5.1", "Error: command not implemented");
    }
  }
  if (trim(line).empty()) {
    return reply(500, "5.5.2", "Error: bad syntax");
  }
  return reply(500, "5.5.2", "Error: command not recognized");
}

std::string SmtpServerSession::on_helo(std::string_view arg, bool extended) {
  std::string_view name = trim(arg);
  if (name.empty()) {
    return reply(501, "5.5.4", extended ? "Syntax: EHLO hostname" : "Syntax: HELO hostname");
  }
  reset_transaction();
  env_.helo = sanitize(name, kMaxHeloText);
  if (!extended) {
    return "250 " + opts_.hostname + "\r\n";
  }
  std::string r = "250-" + opts_.hostname + "\r\n250-PIPELINING\r\n";
  if (opts_.max_size > 0) {
    r += "250-SIZE " + std::to_string(opts_.max_size) + "\r\n";
  }
  r += "250-8BITMIME\r\n";
  if (opts_.local_extensions) {
    r += "250-XRELAYMAIL\r\n";
  }
  r += "250 ENHANCEDSTATUSCODES\r\n";
  return r;
}

std::string SmtpServerSession::on_admin(std::string_view verb, std::string_view arg) {
  if (!opts_.admin) {
    return reply(502, "5.5.1", "Error: command not implemented");
  }
  if (state_ != State::idle) {
    return reply(503, "5.5.1", "Error: not inside a transaction");
  }
  return opts_.admin(verb, trim(arg));
}

std::string SmtpServerSession::on_mail(std::string_view arg) {
  if (state_ != State::idle) {
    return reply(503, "5.5.1", "Error: nested MAIL command");
  }
  auto path = parse_path(arg, "FROM:");
  if (!path) {
    return reply(501, "5.5.4", "Syntax: MAIL FROM:<address>");
  }
  if (!path->addr.empty()) {
    if (auto ok = check_smtp_address(path->addr); !ok) {
      return reply(553, "5.1.7", "Bad sender address: " + ok.error().what);
    }
  }
  std::string_view rest = path->params;
  while (!trim(rest).empty()) {
    if (std::string r = mail_param(next_word(rest)); !r.empty()) {
      reset_transaction();
      return r;
    }
  }
  if (opts_.check_sender) {
    if (auto ok = opts_.check_sender(path->addr); !ok) {
      std::string r = requested_reply(ok.error());
      reset_transaction();
      return r.empty() ? reply(553, "5.7.1", sanitize(ok.error().what, kMaxReasonText)) : r;
    }
  }
  env_.sender = std::move(path->addr);
  state_ = State::mail;
  return reply(250, "2.1.0", "Ok");
}

// One MAIL parameter: "" when accepted (and recorded), else the reply.
std::string SmtpServerSession::mail_param(std::string_view param) {
  size_t eq = param.find('=');
  std::string_view key = param.substr(0, eq);
  std::string_view value = eq == std::string_view::npos ? "" : param.substr(eq + 1);
  if (iequals(key, "BODY")) {
    if (!iequals(value, "7BIT") && !iequals(value, "8BITMIME")) {
      return reply(501, "5.5.4", "Bad BODY parameter");
    }
    env_.body_type = iequals(value, "7BIT") ? "7BIT" : "8BITMIME";
    return "";
  }
  if (iequals(key, "SIZE")) {
    auto n = parse_size(value);
    if (!n) {
      return reply(501, "5.5.4", "Bad SIZE parameter");
    }
    if (opts_.max_size > 0 && *n > opts_.max_size) {
      return reply(552, "5.3.4", "Message size exceeds fixed limit");
    }
    env_.declared_size = *n;
    return "";
  }
  if (opts_.local_extensions) {
    auto ours = parse_mail_param(param, env_.flags);
    if (!ours) {
      return reply(501, "5.5.4", sanitize(ours.error().what, kMaxReasonText));
    }
    if (*ours) {
      return "";
    }
  }
  return reply(555, "5.5.4", "Unsupported option: " + sanitize(key, kMaxEchoedText));
}

std::string SmtpServerSession::on_rcpt(std::string_view arg) {
  if (state_ != State::mail && state_ != State::rcpt) {
    return reply(503, "5.5.1", "Error: need MAIL command");
  }
  auto path = parse_path(arg, "TO:");
  if (!path) {
    return reply(501, "5.5.4", "Syntax: RCPT TO:<address>");
  }
  if (!path->params.empty()) {
    std::string_view rest = path->params;
    return reply(555, "5.5.4", "Unsupported option: " + sanitize(next_word(rest), kMaxEchoedText));
  }
  if (auto ok = check_smtp_address(path->addr); !ok) {
    return reply(553, "5.1.3", "Bad recipient address: " + ok.error().what);
  }
  if (env_.recipients.size() >= opts_.max_recipients) {
    return reply(452, "4.5.3", "Error: too many recipients");
  }
  if (check_recipient_) {
    if (auto ok = check_recipient_(path->addr); !ok) {
      return refused_recipient(ok.error());
    }
  }
  env_.recipients.push_back(std::move(path->addr));
  state_ = State::rcpt;
  return reply(250, "2.1.5", "Ok");
}

std::string SmtpServerSession::refused_recipient(const Error& e) const {
  if (std::string r = requested_reply(e); !r.empty()) {
    return r;
  }
  if (e.code == Errc::usage || e.code == Errc::parse || e.code == Errc::smtp_perm) {
    return reply(550, "5.1.1", "Recipient address rejected: " + sanitize(e.what, kMaxReasonText));
  }
  return reply(451, "4.3.0", "Error: local error in processing");
}

std::string SmtpServerSession::on_data_command(std::string_view arg) {
  if (!trim(arg).empty()) {
    return reply(501, "5.5.4", "Syntax: DATA");
  }
  if (state_ == State::idle) {
    return reply(503, "5.5.1", "Error: need MAIL command");
  }
  if (state_ == State::mail && !env_.flags.extract) {
    return reply(503, "5.5.1", "Error: need RCPT command");
  }
  state_ = State::data;
  dot_ = Dot::line_start;
  body_size_ = 0;
  too_big_ = false;
  return "354 End data with <CR><LF>.<CR><LF>\r\n";
}

size_t SmtpServerSession::on_data(std::string_view in, std::string& out) {
  size_t i = 0;
  while (i < in.size() && state_ == State::data) {
    if (dot_ == Dot::mid_line) {
      // Fast path: the rest of the line, as one run.
      size_t nl = in.find('\n', i);
      size_t end = nl == std::string_view::npos ? in.size() : nl + 1;
      emit_run(in.substr(i, end - i), out);
      dot_ = nl == std::string_view::npos ? Dot::mid_line : Dot::line_start;
      i = end;
      continue;
    }
    char c = in[i++];
    if (dot_ == Dot::line_start) {
      if (c == '.') {
        dot_ = Dot::dot;
      } else {
        emit_run(std::string_view(&c, 1), out);
        dot_ = c == '\n' ? Dot::line_start : Dot::mid_line;
      }
    } else if (c == '\n') {  // "." LF or "." CR LF: the end of the data
      state_ = State::data_done;
    } else if (dot_ == Dot::dot && c == '\r') {
      dot_ = Dot::dot_cr;
    } else {
      // A line that starts with a dot and is not the end: that dot was stuffing.
      if (dot_ == Dot::dot_cr) {
        emit_run("\r", out);
      }
      emit_run(std::string_view(&c, 1), out);
      dot_ = Dot::mid_line;
    }
  }
  return i;
}

void SmtpServerSession::emit_run(std::string_view bytes, std::string& out) {
  if (too_big_) {
    return;
  }
  if (opts_.max_size > 0 && bytes.size() > opts_.max_size - body_size_) {
    too_big_ = true;
    return;
  }
  body_size_ += bytes.size();
  out.append(bytes);
}

std::string SmtpServerSession::end_data(const Result<std::string>& queued) {
  if (state_ != State::data_done) {
    return reply(503, "5.5.1", "Error: bad sequence of commands");
  }
  std::string r =
      too_big_ ? reply(552, "5.3.4", "Error: message file too big") : commit_reply(queued);
  reset_transaction();
  return r;
}

void SmtpServerSession::on_input_closed() {
  reset_transaction();
  state_ = State::closed;
}

void SmtpServerSession::reset_transaction() {
  env_.sender.clear();
  env_.recipients.clear();
  env_.body_type.clear();
  env_.declared_size = 0;
  env_.flags = SubmitFlags{};
  if (state_ != State::closed) {
    state_ = State::idle;
  }
  dot_ = Dot::line_start;
  body_size_ = 0;
  too_big_ = false;
}

}  // namespace rm
