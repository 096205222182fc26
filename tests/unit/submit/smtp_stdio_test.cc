// Tests for submit/smtp_stdio.h, `sendmail -bs` (SENDMAIL.md behaviour 23): scripted dialogues,
// input bytes → output bytes and the messages the commit hook made durable, each run with the
// input delivered whole, byte by byte and in odd chunks (the replies must not change). Then:
// replies are flushed before every read that could block and batched in one write; the body is
// streamed to the hook; input, output and hook failures.
#include "submit/smtp_stdio.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "sys/fd_io.h"

namespace rm::cli {
namespace {

using namespace std::string_literals;

const std::string kGreet = "220 mx.test ESMTP relaymail\r\n";
const std::string kEhlo =
    "250-mx.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n";
const std::string kOk = "250 2.0.0 Ok\r\n";
const std::string kMailOk = "250 2.1.0 Ok\r\n";
const std::string kRcptOk = "250 2.1.5 Ok\r\n";
const std::string kGo = "354 End data with <CR><LF>.<CR><LF>\r\n";
const std::string kBye = "221 2.0.0 Bye\r\n";
const std::string kNeedMail = "503 5.5.1 Error: need MAIL command\r\n";
const std::string kTooLong = "500 5.5.2 Error: line too long\r\n";
const std::string kWriteError = "451 4.3.0 Error: queue file write error\r\n";
const std::string kLocalError = "451 4.3.0 Error: local error in processing\r\n";
const std::string kSpoolError = "rename /var/spool/relaymail/tmp/Q: No space left on device";

std::string queued(int n) {
  return "250 2.0.0 Ok: queued as Q" + std::to_string(n) + "\r\n";
}

// What the fake hook does with a message.
enum class Hook {
  commit,      // read the body to its end, then commit
  fail,        // read the body to its end, then fail as a full spool would
  fail_early,  // fail without reading anything
  skip_body,   // claim success without reading: a broken hook
};

struct Committed {
  std::string sender;
  std::vector<std::string> rcpts;
  std::string body;
  std::string body_type = "";
  bool operator==(const Committed&) const = default;
};

// The commit hook of a test: reads the body in small pieces, as build_message would in larger
// ones, and commits only after the final dot (behaviour 23).
struct FakeSpool {
  Hook mode = Hook::commit;
  std::vector<Committed> committed = {};
  std::vector<std::string> read_errors = {};

  Result<std::string> operator()(const SmtpEnvelope& env, ByteSource& body) {
    if (mode == Hook::skip_body) {
      return std::string("SKIPPED");
    }
    if (mode == Hook::fail_early) {
      return make_error(Errc::io, "%s", kSpoolError.c_str());
    }
    std::string text;
    char buf[3];
    for (;;) {
      auto n = body.read(buf);
      if (!n) {
        read_errors.push_back(n.error().what);
        return n.error();
      }
      if (*n == 0) {
        break;
      }
      text.append(buf, *n);
    }
    if (mode == Hook::fail) {
      return make_error(Errc::io, "%s", kSpoolError.c_str());
    }
    committed.push_back({env.sender, env.recipients, text, env.body_type});
    return "Q" + std::to_string(committed.size());
  }
};

struct DialogueCase {
  const char* name;
  std::string in;
  std::string out;  // after the greeting
  std::vector<Committed> commits = {};
  Hook hook = Hook::commit;
  uint64_t max_size = 0;
  size_t max_line = 2048;
  bool quit = true;
  bool abandoned = false;
  size_t refused = 0;
  bool reject_nobody = false;  // a recipient check refusing "nobody"
};

const std::string kTxn = "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n";
const std::string kTxnOut = kMailOk + kRcptOk + kGo;

const DialogueCase kDialogues[] = {
    {.name = "b23 a whole session, CRLF",
     .in = "EHLO c.test\r\n" + kTxn + "Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n",
     .out = kEhlo + kTxnOut + queued(1) + kBye,
     .commits = {{"a@x.test", {"b@y.test"}, "Subject: hi\r\n\r\nbody\r\n"}}},
    {.name = "b23 LF-only input, CRLF replies",
     .in = "EHLO c.test\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\nDATA\nSubject: hi\n\nbody\n.\n"
           "QUIT\n",
     .out = kEhlo + kTxnOut + queued(1) + kBye,
     .commits = {{"a@x.test", {"b@y.test"}, "Subject: hi\n\nbody\n"}}},
    {.name = "b23 HELO, null sender, several recipients",
     .in = "HELO c.test\r\nMAIL FROM:<>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<root>\r\nDATA\r\nx\r\n"
           ".\r\nQUIT\r\n",
     .out = "250 mx.test\r\n" + kMailOk + kRcptOk + kRcptOk + kGo + queued(1) + kBye,
     .commits = {{"", {"b@y.test", "root"}, "x\r\n"}}},
    {.name = "b23 dot-unstuffing; a lone dot inside the message",
     .in = kTxn + "..leading\r\n..\r\n...\r\nend.\r\n.\r\nQUIT\r\n",
     .out = kTxnOut + queued(1) + kBye,
     .commits = {{"a@x.test", {"b@y.test"}, ".leading\r\n.\r\n..\r\nend.\r\n"}}},
    {.name = "§3.6 bare CR dot CR does not end the data",
     .in = kTxn + "a\r.\rb\r\n.\r\nQUIT\r\n",
     .out = kTxnOut + queued(1) + kBye,
     .commits = {{"a@x.test", {"b@y.test"}, "a\r.\rb\r\n"}}},
    {.name = "b23 a transaction after RSET",
     .in = "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRSET\r\nMAIL FROM:<c@x.test>\r\n"
           "RCPT TO:<d@y.test>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n",
     .out = kMailOk + kRcptOk + kOk + kMailOk + kRcptOk + kGo + queued(1) + kBye,
     .commits = {{"c@x.test", {"d@y.test"}, "x\r\n"}}},
    {.name = "b23 two messages in one session",
     .in = "EHLO c\r\n" + kTxn +
           "one\r\n.\r\nMAIL FROM:<c@x.test> BODY=8BITMIME\r\n"
           "RCPT TO:<d@y.test>\r\nDATA\r\ntw\xc3\xb6\r\n.\r\nQUIT\r\n",
     .out = kEhlo + kTxnOut + queued(1) + kMailOk + kRcptOk + kGo + queued(2) + kBye,
     .commits = {{"a@x.test", {"b@y.test"}, "one\r\n"},
                 {"c@x.test", {"d@y.test"}, "tw\xc3\xb6\r\n", "8BITMIME"}}},
    {.name = "b23 503 sequence errors; the session goes on",
     .in = "RCPT TO:<b@y.test>\r\nDATA\r\nMAIL FROM:<a@x.test>\r\nMAIL FROM:<a@x.test>\r\n"
           "DATA\r\nQUIT\r\n",
     .out = kNeedMail + kNeedMail + kMailOk + "503 5.5.1 Error: nested MAIL command\r\n" +
            "503 5.5.1 Error: need RCPT command\r\n" + kBye},
    {.name = "§3.8 bad addresses refused; a command split across lines is two commands",
     .in = "MAIL FROM:<a@x.test>\r\nRCPT TO:<-oQ/tmp/x@y.test>\r\n"
           "RCPT TO:<b@y.test>\rRCPT TO:<c@y.test>\r\n"
           "RCPT TO:<c@y.test\r\nRCPT TO:<e@f.test>\r\n"
           "RCPT TO:<g\0@h.test>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n"s,
     .out = kMailOk + "553 5.1.3 Bad recipient address: address starts with '-'\r\n" +
            "501 5.5.4 Syntax: RCPT TO:<address>\r\n" + "501 5.5.4 Syntax: RCPT TO:<address>\r\n" +
            kRcptOk + "553 5.1.3 Bad recipient address: address contains NUL\r\n" + kGo +
            queued(1) + kBye,
     .commits = {{"a@x.test", {"e@f.test"}, "x\r\n"}}},
    {.name = "b23 size limit: 552 after the dot; the next message is taken",
     .in = "EHLO c\r\n" + kTxn + "0123456789\r\n.\r\n" + kTxn + "ok\r\n.\r\nQUIT\r\n",
     .out = "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 10\r\n250-8BITMIME\r\n"
            "250 ENHANCEDSTATUSCODES\r\n" +
            kTxnOut + "552 5.3.4 Error: message file too big\r\n" + kTxnOut + queued(1) + kBye,
     .commits = {{"a@x.test", {"b@y.test"}, "ok\r\n"}},
     .max_size = 10,
     .refused = 1},
    {.name = "b23 commit failure: 451 without the path; the session goes on",
     .in = kTxn + "x\r\n.\r\nNOOP\r\nQUIT\r\n",
     .out = kTxnOut + kWriteError + kOk + kBye,
     .hook = Hook::fail,
     .refused = 1},
    {.name = "a hook that fails at once: the body is read to the dot, then 451",
     .in = kTxn + "x\r\n..\r\ny\r\n.\r\nNOOP\r\nQUIT\r\n",
     .out = kTxnOut + kWriteError + kOk + kBye,
     .hook = Hook::fail_early,
     .refused = 1},
    {.name = "a hook that claims success unread: 451, never 250",
     .in = kTxn + "x\r\n.\r\nQUIT\r\n",
     .out = kTxnOut + kLocalError + kBye,
     .hook = Hook::skip_body,
     .refused = 1},
    {.name = "b23 end of input inside DATA commits nothing",
     .in = kTxn + "Subject: x\r\n\r\nhalf a mess",
     .out = kTxnOut,
     .quit = false,
     .abandoned = true},
    {.name = "end of input inside DATA right after a line end",
     .in = kTxn + "Subject: x\r\n\r\n..\r\n",
     .out = kTxnOut,
     .quit = false,
     .abandoned = true},
    {.name = "end of input inside a transaction before DATA",
     .in = "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n",
     .out = kMailOk + kRcptOk,
     .quit = false,
     .abandoned = true},
    {.name = "end of input without QUIT, outside a transaction",
     .in = "EHLO c\r\n" + kTxn + "x\r\n.\r\n",
     .out = kEhlo + kTxnOut + queued(1),
     .commits = {{"a@x.test", {"b@y.test"}, "x\r\n"}},
     .quit = false},
    {.name = "an unterminated QUIT still counts", .in = "NOOP\r\nQUIT", .out = kOk + kBye},
    {.name = "overlong command lines: 500, the session goes on",
     .in = "NOOP 123456789012345\r\nNOOP 1234567890123456\r\nNOOP " + std::string(100, 'x') +
           "\nNOOP\r\n" + "RCPT TO:<" + std::string(40, 'b') + "@y.test>\r\nQUIT\r\n",
     .out = kOk + kTooLong + kTooLong + kOk + kTooLong + kBye,
     .max_line = 20},
    {.name = "an overlong last line without a line end",
     .in = "NOOP\r\nNOOP " + std::string(100, 'x'),
     .out = kOk + kTooLong,
     .max_line = 20,
     .quit = false},
    {.name = "body lines are not bound by the command line limit",
     .in = "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n" + std::string(100, 'x') +
           "\r\n.\r\nQUIT\r\n",
     .out = kTxnOut + queued(1) + kBye,
     .commits = {{"a@x.test", {"b@y.test"}, std::string(100, 'x') + "\r\n"}},
     .max_line = 40},
    {.name = "a recipient check refuses one recipient; the others go",
     .in = "MAIL FROM:<a@x.test>\r\nRCPT TO:<nobody>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nx\r\n"
           ".\r\nQUIT\r\n",
     .out = kMailOk + "550 5.1.1 Recipient address rejected: unknown user\r\n" + kRcptOk + kGo +
            queued(1) + kBye,
     .commits = {{"a@x.test", {"b@y.test"}, "x\r\n"}},
     .reject_nobody = true},
    {.name = "nothing after QUIT is read", .in = "QUIT\r\nNOOP\r\n", .out = kBye},
    {.name = "empty input", .in = "", .out = "", .quit = false},
};

TEST(SmtpStdio, Dialogues) {
  for (const DialogueCase& c : kDialogues) {
    SCOPED_TRACE(c.name);
    for (size_t chunk : {SIZE_MAX, size_t{1}, size_t{5}, size_t{4096}}) {
      SCOPED_TRACE("chunk " + std::to_string(chunk));
      StringSource in(c.in, chunk);
      StringSink out;
      FakeSpool spool{.mode = c.hook};
      SmtpServerOptions opts{.hostname = "mx.test", .max_size = c.max_size, .max_line = c.max_line};
      SmtpRecipientCheck check;
      if (c.reject_nobody) {
        check = [](std::string_view a) {
          return a == "nobody" ? Status(make_error(Errc::usage, "unknown user")) : Status();
        };
      }
      auto r = run_smtp_stdio(
          opts, SmtpStdio{.in = in, .out = out},
          [&](const SmtpEnvelope& e, ByteSource& b) { return spool(e, b); }, check);
      ASSERT_TRUE(r) << r.error().what;
      EXPECT_EQ(out.out, kGreet + c.out);
      EXPECT_EQ(spool.committed, c.commits);
      EXPECT_EQ(r->queued, c.commits.size());
      EXPECT_EQ(r->refused, c.refused);
      EXPECT_EQ(r->quit, c.quit);
      EXPECT_EQ(r->abandoned, c.abandoned);
      EXPECT_EQ(out.out.find("/var/spool"), std::string::npos);
    }
  }
}

// Records reads, writes and flushes in order.
class ScriptSource final : public ByteSource {
 public:
  ScriptSource(std::vector<std::string> chunks, std::vector<std::string>& log)
      : chunks_(std::move(chunks)), log_(log) {}
  Result<size_t> read(std::span<char> buf) override {
    log_.push_back("read");
    if (next_ == chunks_.size()) {
      return size_t{0};
    }
    const std::string& c = chunks_[next_++];
    EXPECT_LE(c.size(), buf.size());
    std::memcpy(buf.data(), c.data(), c.size());
    return c.size();
  }

 private:
  std::vector<std::string> chunks_;
  size_t next_ = 0;
  std::vector<std::string>& log_;
};

class RecordingSink final : public ByteSink {
 public:
  explicit RecordingSink(std::vector<std::string>& log) : log_(log) {}
  Status write(std::string_view bytes) override {
    log_.push_back("write " + std::string(bytes));
    return {};
  }

 private:
  std::vector<std::string>& log_;
};

struct FlushCase {
  const char* name;
  std::vector<std::string> chunks;
  std::vector<std::string> events;
};

TEST(SmtpStdio, RepliesAreBatchedAndFlushedBeforeEachRead) {
  const std::string group = "EHLO c\r\n" + kTxn;
  const FlushCase cases[] = {
      {.name = "b23 pipelined group, then the body once the 354 is out",
       .chunks = {group, "hi\r\n.\r\nQUIT\r\n"},
       .events = {"write " + kGreet, "flush", "read", "write " + kEhlo + kTxnOut, "flush", "read",
                  "write " + queued(1) + kBye, "flush"}},
      {.name = "everything in one read: one write for all the replies",
       .chunks = {group + "hi\r\n.\r\nQUIT\r\n"},
       .events = {"write " + kGreet, "flush", "read", "write " + kEhlo + kTxnOut + queued(1) + kBye,
                  "flush"}},
      {.name = "a command split across reads waits for its end",
       .chunks = {"NO", "OP\r\nNOOP\r\n", "QUIT\r\n"},
       .events = {"write " + kGreet, "flush", "read", "read", "write " + kOk + kOk, "flush", "read",
                  "write " + kBye, "flush"}},
      {.name = "end of input: the last replies still go out",
       .chunks = {"NOOP\r\n"},
       .events = {"write " + kGreet, "flush", "read", "write " + kOk, "flush", "read"}},
  };
  for (const FlushCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> log;
    ScriptSource in(c.chunks, log);
    RecordingSink out(log);
    FakeSpool spool;
    auto r = run_smtp_stdio({.hostname = "mx.test"},
                            SmtpStdio{.in = in,
                                      .out = out,
                                      .flush =
                                          [&log] {
                                            log.push_back("flush");
                                            return Status{};
                                          }},
                            [&](const SmtpEnvelope& e, ByteSource& b) { return spool(e, b); });
    ASSERT_TRUE(r) << r.error().what;
    EXPECT_EQ(log, c.events);
  }
}

// Counts what the hook has seen against what was read from stdin so far.
class CountingSource final : public ByteSource {
 public:
  CountingSource(std::string data, size_t chunk) : inner_(std::move(data), chunk) {}
  Result<size_t> read(std::span<char> buf) override {
    auto n = inner_.read(buf);
    if (n) {
      total_ += *n;
    }
    return n;
  }
  size_t total() const { return total_; }

 private:
  StringSource inner_;
  size_t total_ = 0;
};

TEST(SmtpStdio, BodyIsStreamedInBoundedPieces) {
  // 300 KiB of lines, every other one dot-stuffed, read in chunks that cut lines anywhere.
  std::string body;
  std::string wire;
  for (int i = 0; body.size() < 300 * 1024; ++i) {
    std::string line = (i % 2 == 0 ? "." : "") + std::string(static_cast<size_t>(i % 97), 'a');
    body += line + "\r\n";
    wire += (line.starts_with(".") ? "." : "") + line + "\r\n";
  }
  CountingSource in(kTxn + wire + ".\r\nQUIT\r\n", 1000);
  StringSink out;
  size_t read_when_first_seen = 0;
  size_t biggest_piece = 0;
  std::string seen;
  auto hook = [&](const SmtpEnvelope&, ByteSource& b) -> Result<std::string> {
    char buf[64 * 1024];
    for (;;) {
      auto n = b.read(buf);
      if (!n) {
        return n.error();
      }
      if (*n == 0) {
        return std::string("Q1");
      }
      if (seen.empty()) {
        read_when_first_seen = in.total();
      }
      biggest_piece = std::max(biggest_piece, *n);
      seen.append(buf, *n);
    }
  };
  auto r = run_smtp_stdio({.hostname = "mx.test"}, SmtpStdio{.in = in, .out = out}, hook);
  ASSERT_TRUE(r) << r.error().what;
  EXPECT_EQ(seen, body);
  EXPECT_LT(read_when_first_seen, size_t{20 * 1024});  // streamed, not collected first
  EXPECT_LE(biggest_piece, size_t{16 * 1024 + 1});     // bounded by the input buffer
  EXPECT_EQ(out.out, kGreet + kTxnOut + queued(1) + kBye);
}

TEST(SmtpStdio, HugeCommandLineIsDiscardedNotHeld) {
  std::string in_text = "NOOP " + std::string(size_t{4} << 20, 'x') + "\r\nQUIT\r\n";
  StringSource in(in_text, 64 * 1024);
  StringSink out;
  FakeSpool spool;
  auto r = run_smtp_stdio({.hostname = "mx.test"}, SmtpStdio{.in = in, .out = out},
                          [&](const SmtpEnvelope& e, ByteSource& b) { return spool(e, b); });
  ASSERT_TRUE(r) << r.error().what;
  EXPECT_EQ(out.out, kGreet + kTooLong + kBye);
}

// Fails every read after `ok_bytes`.
class FailingSource final : public ByteSource {
 public:
  FailingSource(std::string data, size_t ok_bytes) : data_(std::move(data)), ok_(ok_bytes) {}
  Result<size_t> read(std::span<char> buf) override {
    if (pos_ >= ok_) {
      return make_error(Errc::io, "read fd 0: Input/output error");
    }
    size_t n = std::min({buf.size(), data_.size() - pos_, ok_ - pos_});
    std::memcpy(buf.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t ok_;
  size_t pos_ = 0;
};

class FailingSink final : public ByteSink {
 public:
  Status write(std::string_view) override {
    return make_error(Errc::io, "write fd 1: Broken pipe");
  }
};

struct FailureCase {
  const char* name;
  std::string in;
  size_t ok_bytes;
  bool sink_fails = false;
  bool flush_fails = false;
  const char* error;
  std::string out = "";
};

TEST(SmtpStdio, InputAndOutputFailures) {
  const std::string msg = kTxn + "Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n";
  const FailureCase cases[] = {
      {.name = "read error in a command: the replies so far go out",
       .in = msg,
       .ok_bytes = 10,
       .error = "read fd 0",
       .out = kGreet},
      {.name = "read error inside DATA: nothing committed",
       .in = msg,
       .ok_bytes = kTxn.size() + 5,
       .error = "read fd 0",
       .out = kGreet + kTxnOut},
      {.name = "stdout closed",
       .in = msg,
       .ok_bytes = SIZE_MAX,
       .sink_fails = true,
       .error = "Broken pipe"},
      {.name = "flush fails",
       .in = msg,
       .ok_bytes = SIZE_MAX,
       .flush_fails = true,
       .error = "flush",
       .out = kGreet},
  };
  for (const FailureCase& c : cases) {
    SCOPED_TRACE(c.name);
    FailingSource in(c.in, c.ok_bytes);
    StringSink good;
    FailingSink bad;
    FakeSpool spool;
    SmtpStdio io{.in = in, .out = c.sink_fails ? static_cast<ByteSink&>(bad) : good};
    if (c.flush_fails) {
      io.flush = [] { return Status(make_error(Errc::io, "flush fd 1: Broken pipe")); };
    }
    auto r = run_smtp_stdio({.hostname = "mx.test"}, io,
                            [&](const SmtpEnvelope& e, ByteSource& b) { return spool(e, b); });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::io);
    EXPECT_NE(r.error().what.find(c.error), std::string::npos) << r.error().what;
    EXPECT_TRUE(spool.committed.empty());
    EXPECT_EQ(good.out, c.out);
  }
}

// The wiring cli/app.cc uses: FdSource on the input fd, a buffered FdSink with flush.
TEST(SmtpStdio, OverRealPipesWithFdSink) {
  int in_pipe[2];
  int out_pipe[2];
  ASSERT_EQ(::pipe(in_pipe), 0);
  ASSERT_EQ(::pipe(out_pipe), 0);
  const std::string input = "EHLO c\n" + kTxn + "x\n.\nQUIT\n";
  ASSERT_TRUE(write_all(in_pipe[1], input));
  ::close(in_pipe[1]);
  FakeSpool spool;
  {
    FdSource in(UniqueFd{in_pipe[0]});
    FdSink out(UniqueFd{out_pipe[1]});
    auto r =
        run_smtp_stdio({.hostname = "mx.test"},
                       SmtpStdio{.in = in, .out = out, .flush = [&out] { return out.flush(); }},
                       [&](const SmtpEnvelope& e, ByteSource& b) { return spool(e, b); });
    ASSERT_TRUE(r) << r.error().what;
    EXPECT_TRUE(r->quit);
  }
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::read(out_pipe[0], buf, sizeof buf)) > 0;) {
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(out_pipe[0]);
  EXPECT_EQ(got, kGreet + kEhlo + kTxnOut + queued(1) + kBye);
  ASSERT_EQ(spool.committed.size(), 1U);
  EXPECT_EQ(spool.committed[0].body, "x\n");
}

TEST(SmtpStdio, MissingHookRefusesTheMessage) {
  StringSource in(kTxn + "x\r\n.\r\nQUIT\r\n");
  StringSink out;
  auto r = run_smtp_stdio({.hostname = "mx.test"}, SmtpStdio{.in = in, .out = out}, nullptr);
  ASSERT_TRUE(r) << r.error().what;
  EXPECT_EQ(out.out, kGreet + kTxnOut + kWriteError + kBye);
  EXPECT_EQ(r->refused, 1U);
}

}  // namespace
}  // namespace rm::cli
