#include "support/fake_smtp_session.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <string_view>

#include "support/fake_sasl.h"
#include "support/server_conn.h"

namespace rm::test::detail {
namespace {

using Dir = TranscriptEntry::Dir;

// Largest piece of a line without LF passed on in the data phase; keeps the buffer bounded.
constexpr size_t kDataChunk = 64 * 1024;
constexpr int kMaxErrors = 20;

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && upper(s.substr(0, prefix.size())) == upper(prefix);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// "FROM:<a@b.test> SIZE=10" after the keyword: the address and the parameters.
bool parse_path(std::string_view rest, std::string* addr, std::string* params) {
  rest = trim(rest);
  if (rest.empty() || rest.front() != '<') {
    return false;
  }
  size_t close = rest.find('>');
  if (close == std::string_view::npos) {
    return false;
  }
  *addr = std::string(rest.substr(1, close - 1));
  *params = std::string(trim(rest.substr(close + 1)));
  return true;
}

// The value of SIZE=n among the MAIL parameters; nullopt when absent or malformed.
std::optional<size_t> size_param(std::string_view params) {
  while (!params.empty()) {
    size_t sp = params.find(' ');
    std::string_view p = params.substr(0, sp);
    params = sp == std::string_view::npos ? std::string_view() : params.substr(sp + 1);
    if (starts_with_ci(p, "SIZE=")) {
      size_t n = 0;
      auto [ptr, ec] = std::from_chars(p.data() + 5, p.data() + p.size(), n);
      if (ec == std::errc() && ptr == p.data() + p.size()) {
        return n;
      }
    }
  }
  return std::nullopt;
}

bool has_8bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) > 0x7f; });
}

// The space-separated parameters after the path, split into upper-case keyword and value.
std::vector<std::pair<std::string, std::string_view>> split_params(std::string_view params) {
  std::vector<std::pair<std::string, std::string_view>> out;
  while (!params.empty()) {
    size_t sp = params.find(' ');
    std::string_view p = params.substr(0, sp);
    params = sp == std::string_view::npos ? std::string_view() : params.substr(sp + 1);
    if (p.empty()) {
      continue;
    }
    size_t eq = p.find('=');
    out.emplace_back(upper(p.substr(0, eq)),
                     eq == std::string_view::npos ? std::string_view() : p.substr(eq + 1));
  }
  return out;
}

// RFC 3461 §4: "!".."~" except "+" and "=", or "+" and two upper-case hex digits.
bool valid_xtext(std::string_view x) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); };
  for (size_t i = 0; i < x.size(); ++i) {
    auto u = static_cast<unsigned char>(x[i]);
    if (x[i] == '+') {
      if (i + 2 >= x.size() || !hex(x[i + 1]) || !hex(x[i + 2])) {
        return false;
      }
      i += 2;
    } else if (u < 33 || u > 126 || x[i] == '=') {
      return false;
    }
  }
  return true;
}

bool valid_notify(std::string_view v) {
  std::string u = upper(v);
  if (u == "NEVER") {
    return true;
  }
  std::string_view rest = u;
  for (;;) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    if (item != "SUCCESS" && item != "FAILURE" && item != "DELAY") {
      return false;
    }
    if (comma == std::string_view::npos) {
      return true;
    }
    rest.remove_prefix(comma + 1);
  }
}

// Why MAIL's SMTPUTF8/DSN side is refused, or "" (other parameters pass, as always).
// *utf8: the SMTPUTF8 parameter was given and is honoured.
std::string mail_param_refusal(const FakeSmtpOptions& o, std::string_view addr,
                               std::string_view params, bool* utf8) {
  *utf8 = false;
  for (const auto& [key, value] : split_params(params)) {
    if (key == "SMTPUTF8") {
      *utf8 = o.smtputf8;
    } else if (key == "RET" || key == "ENVID") {
      if (!o.dsn) {
        return "555 5.5.4 " + key + " parameter not supported";
      }
      bool ok = key == "RET" ? upper(value) == "FULL" || upper(value) == "HDRS"
                             : !value.empty() && value.size() <= 100 && valid_xtext(value);
      if (!ok) {
        return "501 5.5.4 Bad " + key + " parameter";
      }
    }
  }
  if (has_8bit(addr) && !*utf8) {
    return "553 5.6.7 Non-ASCII sender address requires SMTPUTF8";
  }
  return "";
}

std::string rcpt_param_refusal(const FakeSmtpOptions& o, std::string_view addr,
                               std::string_view params, bool utf8) {
  for (const auto& [key, value] : split_params(params)) {
    if (key != "NOTIFY" && key != "ORCPT") {
      continue;
    }
    if (!o.dsn) {
      return "555 5.5.4 " + key + " parameter not supported";
    }
    bool ok = false;
    if (key == "NOTIFY") {
      ok = valid_notify(value);
    } else {  // addr-type ";" xtext; only rfc822 is checked closely
      size_t semi = value.find(';');
      ok = semi != std::string_view::npos && semi > 0 && semi + 1 < value.size() &&
           (upper(value.substr(0, semi)) != "RFC822" || valid_xtext(value.substr(semi + 1)));
    }
    if (!ok) {
      return "501 5.5.4 Bad " + key + " parameter";
    }
  }
  if (has_8bit(addr) && !utf8) {
    return "553 5.6.7 Non-ASCII recipient address requires SMTPUTF8";
  }
  return "";
}

class Session {
 public:
  Session(UniqueFd fd, const SessionEnv& env)
      : env_(env),
        opts_(*env.options),
        conn_(std::move(fd), env.stop_fd, env.options->idle_timeout) {}

  void run() {
    if (opts_.tls == FakeTls::implicit && !start_tls()) {
      return finish();
    }
    Outcome o = respond("GREETING", "", "220 " + opts_.hostname + " ESMTP relaymail fake");
    if (!o.go_on) {
      return finish();
    }
    std::string line;
    while (next_line(&line)) {
      if (!handle(line)) {
        break;
      }
    }
    finish();
  }

 private:
  struct Outcome {
    bool effect;  // the command does what it normally does
    bool go_on;   // the session continues
  };

  void record(Dir dir, std::string text) {
    env_.hooks->record(env_.connection, conn_.tls(), dir, std::move(text));
  }
  void event(std::string text) { record(Dir::event, std::move(text)); }

  // Queues a reply (one or more lines, CRLF added when missing) and records each line.
  void queue_reply(std::string_view text) {
    std::string_view rest = text;
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
      }
      record(Dir::server, std::string(line));
      out_.append(line);
      out_.append("\r\n");
    }
  }

  bool flush() {
    if (out_.empty()) {
      return true;
    }
    ServerConn::Rc rc = conn_.write(out_);
    out_.clear();
    if (rc != ServerConn::Rc::ok) {
      event("write failed: " + conn_.error());
      return false;
    }
    return true;
  }

  std::optional<Fault> fault(const std::string& verb, const std::string& arg) {
    int nth = ++verb_counts_[verb];
    return env_.hooks->match_fault(env_.connection, verb, nth, arg);
  }

  // Applies a fault in place of `normal` (which may be empty when there is none to send).
  Outcome apply(const Fault& f, const std::string& verb, const std::string& normal) {
    switch (f.action) {
      case Fault::Action::reply: {
        event("fault " + verb + ": reply");
        queue_reply(f.reply);
        // 421 is "service closing": a real server hangs up after it.
        const bool closing = f.reply.rfind("421", 0) == 0;
        return {positive(normal) && !f.reply.empty() && f.reply.front() == normal.front(),
                !closing};
      }
      case Fault::Action::disconnect:
        event("fault " + verb + ": disconnect");
        (void)flush();  // the replies to earlier pipelined commands still go out
        conn_.drop();
        return {false, false};
      case Fault::Action::stall:
        event("fault " + verb + ": stall");
        (void)flush();
        (void)conn_.stall();
        event("stall ended");
        conn_.drop();
        return {false, false};
      case Fault::Action::inject: {
        event("fault " + verb + ": inject");
        if (!normal.empty()) {
          queue_reply(normal);
        }
        std::string extra = f.reply;
        if (extra.size() < 2 || extra.compare(extra.size() - 2, 2, "\r\n") != 0) {
          extra += "\r\n";
        }
        record(Dir::server, "[injected] " + f.reply);
        out_ += extra;
        return {positive(normal), true};
      }
    }
    return {false, false};
  }

  static bool positive(const std::string& reply) {
    return !reply.empty() && (reply.front() == '2' || reply.front() == '3');
  }

  Outcome respond(const std::string& verb, const std::string& arg, const std::string& normal) {
    if (auto f = fault(verb, arg)) {
      return apply(*f, verb, normal);
    }
    queue_reply(normal);
    return {positive(normal), true};
  }

  // Reads until a full command line is buffered. Flushes pending replies before blocking, so
  // the replies to one pipelined group leave in one write.
  bool next_line(std::string* line) {
    for (;;) {
      size_t nl = in_.find('\n');
      if (nl != std::string::npos && nl + 1 <= opts_.max_line) {
        line->assign(in_, 0, nl);
        in_.erase(0, nl + 1);
        if (!line->empty() && line->back() == '\r') {
          line->pop_back();
        }
        return true;
      }
      if (nl != std::string::npos || in_.size() >= opts_.max_line) {
        event("line too long");
        queue_reply("500 5.5.2 Line too long");
        (void)flush();
        return false;
      }
      if (!flush() || !read_more()) {
        return false;
      }
    }
  }

  bool read_more() {
    switch (conn_.read(in_, 16384)) {
      case ServerConn::Rc::ok:
        return true;
      case ServerConn::Rc::eof:
        event("client closed the connection");
        return false;
      case ServerConn::Rc::stopped:
        event("server stopped");
        return false;
      case ServerConn::Rc::timeout:
        event("idle timeout");
        queue_reply("421 4.4.2 " + opts_.hostname + " idle timeout");
        (void)flush();
        return false;
      case ServerConn::Rc::error:
        event("read failed: " + conn_.error());
        return false;
    }
    return false;
  }

  void finish() {
    (void)flush();
    conn_.close();
    event("closed");
  }

  void reset_transaction() {
    in_txn_ = false;
    mail_from_.clear();
    mail_params_.clear();
    rcpts_.clear();
    rcpt_params_.clear();
    smtputf8_ = false;
    bdat_ = false;
    bdat_too_big_ = false;
    bdat_data_.clear();
  }

  bool handle(const std::string& line) {
    record(Dir::client, line);
    size_t sp = line.find(' ');
    const std::string verb = upper(line.substr(0, sp));
    const std::string arg =
        sp == std::string::npos ? std::string() : std::string(trim(line.substr(sp + 1)));
    if (verb == "EHLO" || verb == "HELO") {
      return cmd_hello(verb, arg);
    }
    if (verb == "STARTTLS") {
      return cmd_starttls(arg);
    }
    if (verb == "AUTH") {
      return cmd_auth(arg);
    }
    if (verb == "MAIL") {
      return cmd_mail(arg);
    }
    if (verb == "RCPT") {
      return cmd_rcpt(arg);
    }
    if (verb == "DATA") {
      return cmd_data(arg);
    }
    if (verb == "BDAT" && opts_.chunking) {  // else unrecognized, as without the extension
      return cmd_bdat(arg);
    }
    if (verb == "RSET") {
      Outcome o = respond("RSET", arg, "250 2.0.0 Ok");
      if (o.effect) {
        reset_transaction();
      }
      return o.go_on;
    }
    if (verb == "NOOP") {
      return respond("NOOP", arg, "250 2.0.0 Ok").go_on;
    }
    if (verb == "QUIT") {
      (void)respond("QUIT", arg, "221 2.0.0 Bye");
      return false;
    }
    if (verb == "VRFY") {
      return respond("VRFY", arg, "252 2.5.2 Cannot VRFY user").go_on;
    }
    queue_reply("500 5.5.2 Command unrecognized");
    return ++errors_ < kMaxErrors;
  }

  std::string ehlo_reply() const {
    std::vector<std::string> caps;
    if (opts_.pipelining) {
      caps.emplace_back("PIPELINING");
    }
    if (opts_.eightbitmime) {
      caps.emplace_back("8BITMIME");
    }
    if (opts_.size_limit > 0) {
      caps.push_back("SIZE " + std::to_string(opts_.size_limit));
    }
    if (opts_.enhanced_status_codes) {
      caps.emplace_back("ENHANCEDSTATUSCODES");
    }
    if (opts_.chunking) {
      caps.emplace_back("CHUNKING");
    }
    if (opts_.smtputf8) {
      caps.emplace_back("SMTPUTF8");
    }
    if (opts_.dsn) {
      caps.emplace_back("DSN");
    }
    if (starttls_offered()) {
      caps.emplace_back("STARTTLS");
    }
    if (auth_offered()) {
      std::string auth = "AUTH";
      for (const std::string& m : auth_mechanisms()) {
        auth += " " + m;
      }
      caps.push_back(auth);
    }
    for (const std::string& c : opts_.extra_capabilities) {
      caps.push_back(c);
    }
    std::string r = "250" + std::string(caps.empty() ? " " : "-") + opts_.hostname;
    for (size_t i = 0; i < caps.size(); ++i) {
      r += "\r\n250" + std::string(i + 1 == caps.size() ? " " : "-") + caps[i];
    }
    return r;
  }

  bool starttls_offered() const {
    return opts_.tls == FakeTls::starttls && opts_.advertise_starttls && !conn_.tls();
  }
  bool auth_offered() const {
    return !opts_.user.empty() && (conn_.tls() || opts_.auth_before_tls);
  }
  std::vector<std::string> auth_mechanisms() const {
    return opts_.auth_mechanisms.empty() ? std::vector<std::string>{"PLAIN", "LOGIN"}
                                         : opts_.auth_mechanisms;
  }

  bool cmd_hello(const std::string& verb, const std::string& arg) {
    std::string normal;
    if (arg.empty()) {
      normal = "501 5.5.4 Syntax: " + verb + " hostname";
    } else if (verb == "EHLO") {
      normal = ehlo_reply();
    } else {
      normal = "250 " + opts_.hostname;
    }
    Outcome o = respond(verb, arg, normal);
    if (o.effect) {
      greeted_ = true;
      helo_ = arg;
      reset_transaction();
    }
    return o.go_on;
  }

  bool cmd_starttls(const std::string& arg) {
    std::string normal = "220 2.0.0 Ready to start TLS";
    if (!arg.empty()) {
      normal = "501 5.5.4 Syntax: STARTTLS";
    } else if (conn_.tls()) {
      normal = "503 5.5.1 TLS already active";
    } else if (!starttls_offered()) {
      normal = "502 5.5.1 STARTTLS not available";
    }
    Outcome o = respond("STARTTLS", arg, normal);
    if (!o.go_on || !o.effect) {
      return o.go_on;
    }
    if (!in_.empty()) {
      // CVE-2011-0411: plaintext pipelined after STARTTLS must not run inside TLS.
      event("discarded " + std::to_string(in_.size()) + " plaintext bytes after STARTTLS");
      in_.clear();
    }
    if (!flush()) {
      return false;
    }
    return start_tls();
  }

  bool start_tls() {
    if (auto f = fault("TLS", "")) {
      switch (f->action) {
        case Fault::Action::disconnect:
          event("fault TLS: abort handshake");
          conn_.abort_handshake();
          return false;
        case Fault::Action::stall:
          (void)apply(*f, "TLS", "");
          return false;
        case Fault::Action::reply:
        case Fault::Action::inject:
          event("fault TLS: garbage instead of a handshake");
          out_ = f->reply;
          (void)flush();
          conn_.drop();
          return false;
      }
    }
    if (conn_.accept_tls(env_.ctx) != ServerConn::Rc::ok) {
      event("TLS handshake failed: " + conn_.error());
      return false;
    }
    const std::string client = conn_.tls_client_subject();
    event("TLS established: " + conn_.tls_description() +
          (conn_.tls_resumed() ? " session=resumed" : " session=new") +
          " client=" + (client.empty() ? "none" : client));
    // RFC 3207 §4.2: forget everything learned before TLS.
    greeted_ = false;
    helo_.clear();
    authed_ = false;
    auth_user_.clear();
    auth_mechanism_.clear();
    reset_transaction();
    return true;
  }

  // Reads one AUTH continuation line; nullopt ends the session.
  std::optional<std::string> auth_line(const std::string& challenge) {
    queue_reply(challenge);
    std::string line;
    if (!next_line(&line)) {
      return std::nullopt;
    }
    record(Dir::client, line);
    return line;
  }

  bool cmd_auth(const std::string& arg) {
    size_t sp = arg.find(' ');
    const std::string mech = upper(arg.substr(0, sp));
    const std::string initial =
        sp == std::string::npos ? std::string() : std::string(trim(arg.substr(sp + 1)));
    std::string refusal;
    if (opts_.user.empty()) {
      refusal = "502 5.5.1 AUTH not available";
    } else if (!conn_.tls() && !opts_.auth_before_tls) {
      refusal = "538 5.7.11 Encryption required for requested authentication mechanism";
    } else if (!greeted_) {
      refusal = "503 5.5.1 Send EHLO first";
    } else if (authed_) {
      refusal = "503 5.5.1 Already authenticated";
    } else if (in_txn_) {
      refusal = "503 5.5.1 AUTH not permitted during a mail transaction";
    } else if (const auto mechs = auth_mechanisms();
               std::find(mechs.begin(), mechs.end(), mech) == mechs.end()) {
      refusal = "504 5.5.4 Unrecognized authentication mechanism";
    }
    std::optional<Fault> f = fault("AUTH", arg);
    if (f && f->action != Fault::Action::inject) {
      // The fault answers the AUTH command itself; a 2xx substitute counts as a login.
      Outcome o = apply(*f, "AUTH", "235 2.7.0 Authentication successful");
      if (o.effect) {
        authed_ = true;
        auth_user_ = opts_.user;
        auth_mechanism_ = mech;
      }
      return o.go_on;
    }
    if (!refusal.empty()) {
      queue_reply(refusal);
      return true;
    }
    // The mechanism itself is support/fake_sasl.h; here only the SMTP framing (RFC 4954 §4).
    constexpr int kMaxAuthRounds = 8;
    std::unique_ptr<FakeSaslExchange> exchange =
        make_fake_sasl(mech, opts_.user, opts_.password, opts_.hostname);
    if (!exchange) {  // advertised through auth_mechanisms, but not spoken by fake_sasl
      queue_reply("504 5.5.4 Unrecognized authentication mechanism");
      return true;
    }
    if (initial == "*") {
      queue_reply("501 5.0.0 Authentication cancelled");
      return true;
    }
    SaslServerStep step = initial.empty()
                              ? exchange->start(std::nullopt)
                              : exchange->start(initial == "=" ? std::string_view() : initial);
    for (int round = 0; step.kind == SaslServerStep::Kind::challenge; ++round) {
      if (round == kMaxAuthRounds) {
        step = SaslServerStep{.kind = SaslServerStep::Kind::malformed};
        break;
      }
      auto line = auth_line("334 " + step.challenge);
      if (!line) {
        return false;
      }
      if (*line == "*") {
        queue_reply("501 5.0.0 Authentication cancelled");
        return true;
      }
      step = exchange->next(*line);
    }
    std::string result = "501 5.5.2 Cannot decode AUTH response";
    if (step.kind == SaslServerStep::Kind::success) {
      authed_ = true;
      auth_user_ = step.user;
      auth_mechanism_ = mech;
      result = "235 2.7.0 Authentication successful";
    } else if (step.kind == SaslServerStep::Kind::failure) {
      result = "535 5.7.8 Authentication credentials invalid";
    }
    if (f) {
      return apply(*f, "AUTH", result).go_on;
    }
    queue_reply(result);
    return true;
  }

  bool cmd_mail(const std::string& arg) {
    std::string addr;
    std::string params;
    std::string normal = "250 2.1.0 Ok";
    std::string refusal;
    bool utf8 = false;
    if (!starts_with_ci(arg, "FROM:")) {
      normal = "501 5.5.4 Syntax: MAIL FROM:<address>";
    } else if (!greeted_) {
      normal = "503 5.5.1 Send EHLO first";
    } else if (in_txn_) {
      normal = "503 5.5.1 Nested MAIL command";
    } else if (opts_.require_auth && !authed_) {
      normal = "530 5.7.0 Authentication required";
    } else if (!parse_path(std::string_view(arg).substr(5), &addr, &params)) {
      normal = "501 5.1.7 Bad sender address syntax";
    } else if (auto size = size_param(params);
               size && ((opts_.size_limit > 0 && *size > opts_.size_limit) ||
                        *size > opts_.max_message_bytes)) {
      normal = "552 5.3.4 Message size exceeds fixed limit";
    } else if (refusal = mail_param_refusal(opts_, addr, params, &utf8); !refusal.empty()) {
      normal = refusal;
    }
    Outcome o = respond("MAIL", arg, normal);
    if (o.effect) {
      in_txn_ = true;
      mail_from_ = addr;
      mail_params_ = params;
      rcpts_.clear();
      rcpt_params_.clear();
      smtputf8_ = utf8;
    }
    return o.go_on;
  }

  bool cmd_rcpt(const std::string& arg) {
    std::string addr;
    std::string params;
    std::string normal = "250 2.1.5 Ok";
    std::string refusal;
    if (!starts_with_ci(arg, "TO:")) {
      normal = "501 5.5.4 Syntax: RCPT TO:<address>";
    } else if (!in_txn_) {
      normal = "503 5.5.1 Need MAIL before RCPT";
    } else if (!parse_path(std::string_view(arg).substr(3), &addr, &params) || addr.empty()) {
      normal = "501 5.1.3 Bad recipient address syntax";
    } else if (rcpts_.size() >= opts_.max_recipients) {
      normal = "452 4.5.3 Too many recipients";
    } else if (refusal = rcpt_param_refusal(opts_, addr, params, smtputf8_); !refusal.empty()) {
      normal = refusal;
    }
    Outcome o = respond("RCPT", arg, normal);
    if (o.effect) {
      rcpts_.push_back(addr);
      rcpt_params_.push_back(params);
    }
    return o.go_on;
  }

  bool cmd_data(const std::string& arg) {
    std::string normal = "354 End data with <CR><LF>.<CR><LF>";
    if (!arg.empty()) {
      normal = "501 5.5.4 Syntax: DATA";
    } else if (!in_txn_) {
      normal = "503 5.5.1 Need MAIL before DATA";
    } else if (bdat_) {
      normal = "503 5.5.1 DATA not allowed after BDAT";
    } else if (rcpts_.empty()) {
      normal = "554 5.5.1 No valid recipients";
    }
    Outcome o = respond("DATA", arg, normal);
    if (!o.go_on || !o.effect) {
      return o.go_on;
    }
    ReceivedMessage msg;
    bool too_big = false;
    if (!read_data(&msg.data, &too_big)) {
      return false;
    }
    event("data: " + std::to_string(msg.data.size()) + " bytes" + (too_big ? " (too big)" : ""));
    return end_message(std::move(msg), too_big, std::nullopt);
  }

  // RFC 3030: "BDAT n [LAST]", then exactly n octets of anything, which may have come in the
  // same read as the command. They are consumed even when the command is refused (503 without
  // MAIL and RCPT). A refused chunk ends the transaction; LAST is answered like the final dot.
  bool cmd_bdat(const std::string& arg) {
    size_t sp = arg.find(' ');
    std::string_view num = std::string_view(arg).substr(0, sp);
    const std::string rest =
        sp == std::string::npos ? std::string() : upper(trim(std::string_view(arg).substr(sp + 1)));
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
    if (num.empty() || ec != std::errc() || ptr != num.data() + num.size() ||
        (!rest.empty() && rest != "LAST")) {
      // Without a size the octets cannot be told from commands: hang up.
      queue_reply("501 5.5.4 Syntax: BDAT size [LAST]");
      return false;
    }
    const bool last = rest == "LAST";
    const bool ok = in_txn_ && !rcpts_.empty();
    bool discard_too_big = false;
    if (!read_octets(n, ok ? &bdat_data_ : nullptr, ok ? &bdat_too_big_ : &discard_too_big)) {
      return false;
    }
    event("bdat: " + std::to_string(n) + " bytes" + (last ? " LAST" : ""));
    if (!ok) {
      return respond("BDAT", arg, "503 5.5.1 Need MAIL and RCPT before BDAT").go_on;
    }
    bdat_ = true;
    std::optional<Fault> f = fault("BDAT", arg);
    if (last) {
      ReceivedMessage msg;
      msg.bdat = true;
      msg.data = std::move(bdat_data_);
      return end_message(std::move(msg), bdat_too_big_, f);
    }
    const std::string normal = "250 2.0.0 " + std::to_string(n) + " octets received";
    Outcome o{true, true};
    if (f) {
      o = apply(*f, "BDAT", normal);
    } else {
      queue_reply(normal);
    }
    if (!o.effect) {
      reset_transaction();
    }
    return o.go_on;
  }

  // Consumes exactly n octets after a BDAT line; keeps them in *data (unless null) up to the
  // message limit, beyond which *too_big is set and nothing more is kept.
  bool read_octets(uint64_t n, std::string* data, bool* too_big) {
    while (n > 0) {
      if (in_.empty() && (!flush() || !read_more())) {
        return false;
      }
      size_t take = static_cast<size_t>(std::min<uint64_t>(n, in_.size()));
      if (data != nullptr && !*too_big) {
        if (data->size() + take > message_limit()) {
          *too_big = true;
          data->clear();
        } else {
          data->append(in_, 0, take);
        }
      }
      in_.erase(0, take);
      n -= take;
    }
    return true;
  }

  size_t message_limit() const {
    return opts_.size_limit > 0 ? std::min(opts_.size_limit, opts_.max_message_bytes)
                                : opts_.max_message_bytes;
  }

  // The reply to the end of a message (the final dot, or BDAT ... LAST, whose BDAT fault `f`
  // is already matched; else DOT's faults apply) and, when it is positive, the message.
  bool end_message(ReceivedMessage msg, bool too_big, const std::optional<Fault>& f) {
    std::string dot = too_big ? "552 5.3.4 Message size exceeds fixed limit"
                              : "250 2.0.0 Ok: queued as " + std::to_string(++queued_);
    Outcome d = f ? apply(*f, "BDAT", dot) : respond("DOT", "", dot);
    if (d.effect) {
      msg.connection = env_.connection;
      msg.helo = helo_;
      msg.mail_from = mail_from_;
      msg.mail_params = mail_params_;
      msg.rcpt_tos = rcpts_;
      msg.rcpt_params = rcpt_params_;
      msg.tls = conn_.tls();
      msg.tls_resumed = conn_.tls_resumed();
      msg.tls_client_subject = conn_.tls_client_subject();
      msg.auth_user = auth_user_;
      msg.auth_mechanism = auth_mechanism_;
      env_.hooks->deliver(std::move(msg));
    }
    reset_transaction();
    return d.go_on;
  }

  // The data phase: up to a line that is exactly ".\r\n". Lines end in CRLF only, so a bare LF
  // or CR (as in "\n.\n" smuggling attempts) is ordinary data, and a dot is unstuffed only at
  // the start of a CRLF line — the receiving side of RFC 5321 §4.5.2, byte-exact.
  bool read_data(std::string* data, bool* too_big) {
    const size_t limit = message_limit();
    auto append = [&](std::string_view s) {
      if (*too_big || data->size() + s.size() > limit) {
        *too_big = true;
        data->clear();
        return;
      }
      data->append(s);
    };
    bool bol = true;
    size_t off = 0;
    for (;;) {
      size_t eol = in_.find("\r\n", off);
      if (eol == std::string::npos) {
        // A long line without CRLF is passed on in pieces, keeping a trailing CR back in case
        // its LF is in the next read.
        size_t keep = !in_.empty() && in_.back() == '\r' ? 1 : 0;
        if (in_.size() - off - keep >= kDataChunk) {
          std::string_view chunk(in_.data() + off, in_.size() - off - keep);
          if (bol && chunk.front() == '.') {
            chunk.remove_prefix(1);
          }
          append(chunk);
          off = in_.size() - keep;
          bol = false;
        }
        in_.erase(0, off);
        off = 0;
        if (!flush() || !read_more()) {
          return false;
        }
        continue;
      }
      std::string_view line(in_.data() + off, eol + 2 - off);
      off = eol + 2;
      if (bol && line == ".\r\n") {
        in_.erase(0, off);
        return true;
      }
      if (bol && line.front() == '.') {
        line.remove_prefix(1);
      }
      append(line);
      bol = true;
    }
  }

  const SessionEnv& env_;
  const FakeSmtpOptions& opts_;
  ServerConn conn_;
  std::string in_;
  std::string out_;
  std::map<std::string, int> verb_counts_;
  int errors_ = 0;
  int queued_ = 0;
  bool greeted_ = false;
  std::string helo_;
  bool authed_ = false;
  std::string auth_user_;
  std::string auth_mechanism_;
  bool in_txn_ = false;
  std::string mail_from_;
  std::string mail_params_;
  std::vector<std::string> rcpts_;
  std::vector<std::string> rcpt_params_;  // parallel to rcpts_
  bool smtputf8_ = false;                 // MAIL carried SMTPUTF8 (and it is enabled)
  bool bdat_ = false;                     // a BDAT chunk was accepted in this transaction
  bool bdat_too_big_ = false;
  std::string bdat_data_;
};

}  // namespace

std::optional<std::string> base64_decode(std::string_view in) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto value = [](char c) -> int {
    size_t p = kAlphabet.find(c);
    return p == std::string_view::npos ? -1 : static_cast<int>(p);
  };
  if (in.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string out;
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = in[i + static_cast<size_t>(j)];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad > 0 || (v[j] = value(c)) < 0) {
        return std::nullopt;
      }
    }
    unsigned n = static_cast<unsigned>(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) {
      out += static_cast<char>((n >> 8) & 0xff);
    }
    if (pad < 1) {
      out += static_cast<char>(n & 0xff);
    }
  }
  return out;
}

void run_smtp_session(UniqueFd fd, const SessionEnv& env) {
  Session s(std::move(fd), env);
  s.run();
}

}  // namespace rm::test::detail
