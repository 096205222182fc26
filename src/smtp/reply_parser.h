// smtp/reply_parser.h — incremental, strict parser for SMTP replies (RFC 5321 §4.2). Feed it
// bytes as they arrive, in any split; take complete SmtpReply values out in order.
// Grammar: each line is three digits (the first 2-5), then SP text, '-' text, or nothing, then
// CRLF. A '-' line continues the reply; every line of a reply carries the same code. The text
// of every line is stored sanitised (printable ASCII; anything else becomes '?'), and the
// enhanced status code (RFC 3463, "2.1.0") is taken off the first line when it is present and
// agrees with the reply's class.
// Limits (RELIABILITY.md §3.7, the CVE-2020-8794 lesson): 512 octets per line including CRLF,
// a bounded number of lines and octets per reply. Memory is bounded by the limits plus the
// replies completed by one feed().
// Errors: Errc::protocol on the first violation; the parser then stays failed and every later
// feed() returns the same error. Pure, no I/O. Not thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/result.h"

namespace rm {

struct ReplyLimits {
  size_t max_line = 512;                 // octets, CRLF included (RFC 5321 §4.5.3.1.5)
  size_t max_lines = 100;                // lines per reply
  size_t max_reply = size_t{64} * 1024;  // octets per reply
};

class ReplyParser {
 public:
  ReplyParser() = default;
  explicit ReplyParser(ReplyLimits limits) : limits_(limits) {}

  // Consumes all of `bytes`.
  Status feed(std::string_view bytes);
  // The next complete reply, oldest first.
  std::optional<SmtpReply> next();
  // True when no complete reply waits and no part of one has been fed: the server has sent
  // nothing we have not consumed. STARTTLS uses this to detect response injection.
  bool idle() const { return ready_.empty() && line_.empty() && !in_reply_; }
  bool failed() const { return error_.has_value(); }

 private:
  Status fail(Error e);
  Status take_line(std::string_view line);  // one line, CRLF included
  void finish_reply();

  ReplyLimits limits_;
  std::string line_;  // the unfinished line, at most max_line - 1 octets
  SmtpReply cur_;
  bool in_reply_ = false;
  size_t cur_octets_ = 0;
  std::deque<SmtpReply> ready_;
  std::optional<Error> error_;
};

// "2.1.5" when `text` starts with an RFC 3463 status code of class `klass` (2, 4 or 5)
// followed by SP or the end; "" otherwise.
std::string parse_enhanced_status(std::string_view text, int klass);

// Printable ASCII only: a TAB becomes a space, any other control or 8-bit octet '?'.
std::string sanitize_reply_text(std::string_view text);

}  // namespace rm
