// Fuzz target: the `sendmail -bs` and daemon-socket SMTP server session
// (submit/smtp_server_session.h) driven by bytes from a local user: lines up to CRLF or LF as
// commands, the body through on_data() after DATA, every message "queued". Both option sets
// are tried: plain -bs and the daemon's local extensions (XRM-* parameters, XQUEUE/XFLUSH).
// Invariants: every reply is one or more CRLF-terminated lines starting with a 2xx–5xx code.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_input.h"
#include "submit/smtp_server_session.h"

namespace {

void check_reply(const std::string& reply) {
  rm::fuzz::require(reply.size() >= 5 && reply.ends_with("\r\n"), "reply without CRLF");
  rm::fuzz::require(reply[0] >= '2' && reply[0] <= '5', "reply code out of range");
}

void drive(std::string_view in, bool local_extensions) {
  rm::SmtpServerOptions opts;
  opts.hostname = "fuzz.example";
  opts.max_size = 4096;
  opts.max_recipients = 8;
  opts.max_line = 512;
  opts.local_extensions = local_extensions;
  opts.admin = [](std::string_view, std::string_view) { return std::string("250 ok\r\n"); };
  rm::SmtpServerSession s(opts);
  std::string body;
  while (!in.empty() && s.state() != rm::SmtpServerSession::State::closed) {
    if (s.state() == rm::SmtpServerSession::State::data) {
      in.remove_prefix(s.on_data(in, body));
      continue;
    }
    if (s.state() == rm::SmtpServerSession::State::data_done) {
      check_reply(s.end_data(std::string("FUZZID")));
      body.clear();
      continue;
    }
    size_t eol = in.find('\n');
    std::string_view line = in.substr(0, eol);
    in.remove_prefix(eol == std::string_view::npos ? in.size() : eol + 1);
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    check_reply(line.size() > opts.max_line ? s.on_overlong_line() : s.on_line(line));
  }
  s.on_input_closed();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = rm::fuzz::as_text(data, size);
  drive(in, false);
  drive(in, true);
  return 0;
}
