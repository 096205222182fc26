// How a dialogue runs, in detail (the contract is in smtp_stdio.h):
// Callers of `sendmail -bs` (stdin and stdout):
// Alpine (`-bs -odb -oem`), Laravel/Symfony (`-bs -i`; -i means nothing here).
//
// Input is buffered; a line ends at LF (a CR before it is dropped), so LF-only clients work;
// replies always end in CRLF. Pipelining (RFC 2920): every complete command already buffered
// is answered in order, and the replies go out together in one write, followed by flush, just
// before a read that could block (and when more than 64 KiB of replies are pending). Command
// lines longer than SmtpServerOptions::max_line are discarded as they arrive and answered 500;
// memory stays bounded whatever the input.
//
// DATA is streamed: after the 354, `commit` runs once with the envelope and a ByteSource that
// yields the body as it is read (un-dot-stuffed, line ends as received, LF or CRLF) and reports
// end of input (0) at the final dot. `commit` must read the body until read() returns 0 and
// only then make the message durable, returning its queue id; it must return an error, and
// commit nothing, when a read fails. Read errors it will see: the size limit (Errc::parse;
// answered 552 5.3.4 after the rest is read up to the dot), the end of input before the dot
// (Errc::io; the message is abandoned and the dialogue ends without a reply) and a failed read
// of stdin (Errc::io; returned by run_smtp_stdio). "250 2.0.0 Ok: queued as <id>" is written
// only after `commit` succeeded. Its failure is answered with Error::reply when that holds a
// 4xx/5xx reply, else 451 4.3.0; never with Error::what (it may name spool paths).
// A hook that returns success without having read the body to its end is a bug: the driver
// reads the rest, answers 451 and counts it as refused, but cannot undo the commit. The hook
// must not write to the ByteSink (the client's stdout). What the hook committed stays
// committed when run_smtp_stdio later returns an error: the caller keeps its own list of ids.
//
// Errors: Errc::io when reading the input or writing/flushing the output fails; replies
// already produced are written first when possible. The end of input is not an error: the
// dialogue simply stops (SmtpSessionSummary::abandoned says whether a transaction was open).
// Never logs.
// Not here: timeouts (a local pipe; the caller may close it), the spool and address mapping
// (the hook's), exit codes (cli/app.cc). Not thread-safe.
#include "submit/smtp_stdio.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace rm {
namespace {

using State = SmtpServerSession::State;

constexpr size_t kInputBuffer = size_t{16} * 1024;
constexpr size_t kMaxPendingReplies = size_t{64} * 1024;

// The buffered input and the replies not yet written. Every read that could block is preceded
// by writing and flushing what is pending, so a client waiting for a reply always has it.
// Errors are sticky: after one, every fill() returns it again.
class Channel {
 public:
  Channel(const SmtpStdio& io, size_t capacity) : io_(io), buf_(capacity) {}

  std::string_view buffered() const { return {buf_.data() + pos_, len_ - pos_}; }
  void consume(size_t n) { pos_ += std::min(n, len_ - pos_); }
  void reply(std::string_view text) { out_ += text; }
  size_t pending() const { return out_.size(); }

  // Writes and flushes the pending replies.
  Status send() {
    if (out_.empty()) {
      return {};
    }
    Status w = io_.out.write(out_);
    out_.clear();
    if (w && io_.flush) {
      w = io_.flush();
    }
    return w;
  }

  // Sends the pending replies, then reads more input. false: the input has ended.
  Result<bool> fill() {
    if (error_) {
      return *error_;
    }
    if (eof_) {
      return false;
    }
    if (auto s = send(); !s) {
      error_ = s.error();
      return *error_;
    }
    if (pos_ > 0) {
      std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
      len_ -= pos_;
      pos_ = 0;
    }
    if (len_ == buf_.size()) {  // unreachable: callers consume before they fill
      error_ = make_error(Errc::protocol, "SMTP input buffer full");
      return *error_;
    }
    auto n = io_.in.read(std::span<char>(buf_.data() + len_, buf_.size() - len_));
    if (!n) {
      error_ = n.error();
      return *error_;
    }
    eof_ = *n == 0;
    len_ += *n;
    return !eof_;
  }

 private:
  const SmtpStdio& io_;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t len_ = 0;
  std::string out_;
  bool eof_ = false;
  std::optional<Error> error_;
};

enum class LineKind { line, overlong, end };

struct CommandLine {
  LineKind kind = LineKind::end;
  std::string text;
};

// The next command line without its line end. A line over max_line octets is discarded as it
// arrives (never held whole). An unterminated last line before the end of input still counts.
Result<CommandLine> next_command(Channel& ch, size_t max_line) {
  bool discarding = false;
  for (;;) {
    std::string_view b = ch.buffered();
    size_t nl = b.find('\n');
    bool ended = false;
    if (nl == std::string_view::npos && b.size() > max_line + 1) {
      discarding = true;
      ch.consume(b.size());
      b = {};
    }
    if (nl == std::string_view::npos) {
      auto more = ch.fill();
      if (!more) {
        return more.error();
      }
      ended = !*more;
      b = ch.buffered();
      nl = b.find('\n');
      if (nl == std::string_view::npos && !ended) {
        continue;
      }
      if (ended && b.empty() && !discarding) {
        return CommandLine{};
      }
    }
    std::string_view line = b.substr(0, nl);
    ch.consume(nl == std::string_view::npos ? b.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (discarding || line.size() > max_line) {
      return CommandLine{LineKind::overlong, {}};
    }
    return CommandLine{LineKind::line, std::string(line)};
  }
}

// The DATA body for the commit hook: decoded by the session from the channel as it is read.
class BodySource final : public ByteSource {
 public:
  BodySource(Channel& ch, SmtpServerSession& s) : ch_(ch), session_(s) {}

  Result<size_t> read(std::span<char> buf) override {
    while (pos_ == pending_.size() && !session_.too_big()) {
      if (session_.state() != State::data) {
        complete_ = true;
        return size_t{0};
      }
      if (auto r = decode_more(); !r) {
        return r.error();
      }
    }
    if (session_.too_big()) {
      return make_error(Errc::parse, "message exceeds the size limit");
    }
    size_t n = std::min(buf.size(), pending_.size() - pos_);
    std::memcpy(buf.data(), pending_.data() + pos_, n);
    pos_ += n;
    return n;
  }

  // Reads and discards the rest of the body, up to the final dot.
  Status drain() {
    while (session_.state() == State::data) {
      if (auto r = decode_more(); !r) {
        return r;
      }
    }
    return {};
  }

  bool complete() const { return complete_; }
  bool input_ended() const { return input_ended_; }
  const std::optional<Error>& input_error() const { return input_error_; }

 private:
  // Replaces the pending body bytes with what the buffered input decodes to (reading first
  // when nothing is buffered).
  Status decode_more() {
    pending_.clear();
    pos_ = 0;
    if (ch_.buffered().empty()) {
      auto more = ch_.fill();
      if (!more) {
        input_error_ = more.error();
        return more.error();
      }
      if (!*more) {
        input_ended_ = true;
        return make_error(Errc::io, "read the message: input ended before the final \".\"");
      }
    }
    ch_.consume(session_.on_data(ch_.buffered(), pending_));
    return {};
  }

  Channel& ch_;
  SmtpServerSession& session_;
  std::string pending_;
  size_t pos_ = 0;
  bool complete_ = false;
  bool input_ended_ = false;
  std::optional<Error> input_error_;
};

// One DATA transaction, from the 354 (already queued) to its reply.
Status run_data(Channel& ch, SmtpServerSession& s, const SmtpCommitFn& commit,
                SmtpSessionSummary& sum) {
  BodySource body(ch, s);
  Result<std::string> id =
      commit ? commit(s.envelope(), body) : make_error(Errc::io, "no commit hook");
  if (s.state() == State::data && !body.input_ended() && !body.input_error()) {
    (void)body.drain();
  }
  if (body.input_error()) {
    return *body.input_error();
  }
  if (body.input_ended()) {
    sum.abandoned = true;
    s.on_input_closed();
    return {};
  }
  if (id && !body.complete()) {
    id = make_error(Errc::protocol, "commit hook returned before the end of the body");
  }
  bool queued = id && !s.too_big();
  ch.reply(s.end_data(id));
  ++(queued ? sum.queued : sum.refused);
  return {};
}

Status run_command(Channel& ch, SmtpServerSession& s, size_t max_line, SmtpSessionSummary& sum) {
  auto line = next_command(ch, max_line);
  if (!line) {
    return line.error();
  }
  switch (line->kind) {
    case LineKind::end:
      sum.abandoned = s.in_transaction();
      s.on_input_closed();
      break;
    case LineKind::overlong:
      ch.reply(s.on_overlong_line());
      break;
    case LineKind::line:
      ch.reply(s.on_line(line->text));
      sum.quit = s.state() == State::closed;
      break;
  }
  return {};
}

}  // namespace

Result<SmtpSessionSummary> run_smtp_stdio(const SmtpServerOptions& opts, const SmtpStdio& io,
                                          const SmtpCommitFn& commit,
                                          const SmtpRecipientCheck& check_recipient) {
  SmtpServerSession session(opts, check_recipient);
  Channel ch(io, std::max(opts.max_line + 2, kInputBuffer));
  SmtpSessionSummary sum;
  ch.reply(session.greeting());
  while (session.state() != State::closed) {
    Status st = session.state() == State::data ? run_data(ch, session, commit, sum)
                                               : run_command(ch, session, opts.max_line, sum);
    if (st && ch.pending() > kMaxPendingReplies) {
      st = ch.send();
    }
    if (!st) {
      (void)ch.send();
      return st.error();
    }
  }
  if (auto s = ch.send(); !s) {
    return s.error();
  }
  return sum;
}

}  // namespace rm
