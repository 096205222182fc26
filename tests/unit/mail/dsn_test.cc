// Tests for mail/dsn.h: the exact bytes of a bounce (fixed time and zone; "@B@" in the expected
// text stands for dsn_boundary()), RET=HDRS, header injection through reply text and addresses,
// a delimiter line inside the original, streaming of a large original in small chunks, sink
// and source errors, a delay warning's bytes, and the must_not_bounce() and must_not_warn()
// tables.
#include "mail/dsn.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace rm {
namespace {

constexpr int64_t kArrival = 1751371200;        // Tue, 01 Jul 2025 12:00:00 UTC
constexpr int64_t kNow = kArrival + 24 * 3600;  // Wed, 02 Jul 2025 12:00:00 UTC

const char kOriginal[] =
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.net\r\n"
    "Subject: hello\r\n"
    "\r\n"
    "Hi Bob,\r\n"
    "\r\n"
    "see you.\r\n";

DsnInput base_input() {
  DsnInput in;
  in.reporting_mta = "mx.example.org";
  in.queue_id = "4F2A9C";
  in.arrival = kArrival;
  in.now = kNow;
  in.utc_offset = 7200;
  in.to = "alice@example.org";
  in.original_sender = "alice@example.org";
  in.unique = "7B3D01";
  return in;
}

// Every field spelled out: designated initializers that skip members trip
// -Wmissing-field-initializers.
DsnRecipient rcpt(std::string addr, std::string status, std::string diagnostic = "",
                  std::string remote_mta = "", int64_t last_attempt = 0) {
  return {.addr = std::move(addr),
          .status = std::move(status),
          .diagnostic = std::move(diagnostic),
          .remote_mta = std::move(remote_mta),
          .last_attempt = last_attempt};
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

std::string run(const DsnInput& in, const std::string& original, size_t chunk = 4096) {
  StringSource src(original, chunk);
  StringSink sink;
  Status st = write_dsn(in, src, sink);
  EXPECT_TRUE(st.has_value()) << (st ? "" : st.error().what);
  return sink.out;
}

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

const char kHead[] =
    "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
    "To: <alice@example.org>\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    "Date: Wed, 02 Jul 2025 14:00:00 +0200\r\n"
    "Message-ID: <7B3D01@mx.example.org>\r\n"
    "Auto-Submitted: auto-replied\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
    "\tboundary=\"@B@\"\r\n"
    "\r\n"
    "This is a MIME-encapsulated message.\r\n"
    "\r\n"
    "--@B@\r\n"
    "Content-Description: Notification\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "This is the mail system at host mx.example.org.\r\n"
    "\r\n"
    "I'm sorry to have to inform you that your message could not\r\n";

TEST(WriteDsn, OneRecipientExactBytes) {
  DsnInput in = base_input();
  in.failed = {rcpt("bob@example.net", "5.1.1", "550 5.1.1 <bob@example.net>: no such user",
                    "smtp.example.net")};
  std::string want = std::string(kHead) +
                     "be delivered to one or more recipients. It's attached below.\r\n"
                     "\r\n"
                     "The message was sent by <alice@example.org>.\r\n"
                     "\r\n"
                     "<bob@example.net>: host smtp.example.net said: 550 5.1.1 "
                     "<bob@example.net>: no such user\r\n"
                     "\r\n"
                     "--@B@\r\n"
                     "Content-Description: Delivery report\r\n"
                     "Content-Type: message/delivery-status\r\n"
                     "\r\n"
                     "Reporting-MTA: dns; mx.example.org\r\n"
                     "X-Relaymail-Queue-ID: 4F2A9C\r\n"
                     "Arrival-Date: Tue, 01 Jul 2025 14:00:00 +0200\r\n"
                     "\r\n"
                     "Final-Recipient: rfc822; bob@example.net\r\n"
                     "Action: failed\r\n"
                     "Status: 5.1.1\r\n"
                     "Remote-MTA: dns; smtp.example.net\r\n"
                     "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: no such user\r\n"
                     "Last-Attempt-Date: Wed, 02 Jul 2025 14:00:00 +0200\r\n"
                     "\r\n"
                     "--@B@\r\n"
                     "Content-Description: Undelivered Message\r\n"
                     "Content-Type: message/rfc822\r\n"
                     "\r\n" +
                     kOriginal +
                     "\r\n"
                     "--@B@--\r\n";
  EXPECT_EQ(run(in, kOriginal), replace_all(want, "@B@", dsn_boundary(in)));
}

TEST(WriteDsn, TwoRecipientsExactBytes) {
  DsnInput in = base_input();
  in.original_envid = "QQ314159";
  in.eightbit = true;
  in.failed = {
      rcpt("bob@example.net", "5.1.1", "550 5.1.1 no such user", "smtp.example.net", kNow - 60),
      rcpt("carol@example.com", "4.4.7", "delivery time expired"),
  };
  std::string original = "Subject: caf\xc3\xa9\r\n\r\nbody without final newline";
  std::string want = std::string(kHead) +
                     "be delivered to one or more recipients. It's attached below.\r\n"
                     "\r\n"
                     "The message was sent by <alice@example.org>.\r\n"
                     "\r\n"
                     "<bob@example.net>: host smtp.example.net said: 550 5.1.1 no such user\r\n"
                     "<carol@example.com>: delivery time expired\r\n"
                     "\r\n"
                     "--@B@\r\n"
                     "Content-Description: Delivery report\r\n"
                     "Content-Type: message/delivery-status\r\n"
                     "\r\n"
                     "Original-Envelope-Id: QQ314159\r\n"
                     "Reporting-MTA: dns; mx.example.org\r\n"
                     "X-Relaymail-Queue-ID: 4F2A9C\r\n"
                     "Arrival-Date: Tue, 01 Jul 2025 14:00:00 +0200\r\n"
                     "\r\n"
                     "Final-Recipient: rfc822; bob@example.net\r\n"
                     "Action: failed\r\n"
                     "Status: 5.1.1\r\n"
                     "Remote-MTA: dns; smtp.example.net\r\n"
                     "Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n"
                     "Last-Attempt-Date: Wed, 02 Jul 2025 13:59:00 +0200\r\n"
                     "\r\n"
                     "Final-Recipient: rfc822; carol@example.com\r\n"
                     "Action: failed\r\n"
                     "Status: 4.4.7\r\n"
                     "Diagnostic-Code: X-Relaymail; delivery time expired\r\n"
                     "Last-Attempt-Date: Wed, 02 Jul 2025 14:00:00 +0200\r\n"
                     "\r\n"
                     "--@B@\r\n"
                     "Content-Description: Undelivered Message\r\n"
                     "Content-Type: message/rfc822\r\n"
                     "Content-Transfer-Encoding: 8bit\r\n"
                     "\r\n"
                     "Subject: caf\xc3\xa9\r\n"
                     "\r\n"
                     "body without final newline\r\n"
                     "\r\n"
                     "--@B@--\r\n";
  EXPECT_EQ(run(in, original, 3), replace_all(want, "@B@", dsn_boundary(in)));
}

// A delay warning (RFC 3464 Action: delayed): its own Subject and explanation, Status 4.y.z,
// Will-Retry-Until, and only the recipients it is given; headers only, as the caller asks.
TEST(WriteDsn, DelayWarningExactBytes) {
  DsnInput in = base_input();
  in.action = DsnAction::delayed;
  in.headers_only = true;
  in.will_retry_until = kArrival + 5 * 24 * 3600;  // Sun, 06 Jul 2025 12:00:00 UTC
  in.failed = {
      rcpt("bob@example.net", "4.3.0", "451 4.3.0 try again later", "smtp.example.net"),
      rcpt("carol@example.com", "4.4.1", "connect: Connection refused", "smtp.example.net"),
  };
  std::string want =
      "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n"
      "To: <alice@example.org>\r\n"
      "Subject: Delayed Mail (still being retried, no action needed yet)\r\n"
      "Date: Wed, 02 Jul 2025 14:00:00 +0200\r\n"
      "Message-ID: <7B3D01@mx.example.org>\r\n"
      "Auto-Submitted: auto-replied\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/report; report-type=delivery-status;\r\n"
      "\tboundary=\"@B@\"\r\n"
      "\r\n"
      "This is a MIME-encapsulated message.\r\n"
      "\r\n"
      "--@B@\r\n"
      "Content-Description: Notification\r\n"
      "Content-Type: text/plain; charset=us-ascii\r\n"
      "\r\n"
      "This is the mail system at host mx.example.org.\r\n"
      "\r\n"
      "This is a warning only: you do not need to resend your message.\r\n"
      "\r\n"
      "Your message could not be delivered yet to one or more recipients;\r\n"
      "delivery is still being retried. Its headers are attached below.\r\n"
      "Retries end on Sun, 06 Jul 2025 14:00:00 +0200.\r\n"
      "\r\n"
      "The message was sent by <alice@example.org>.\r\n"
      "\r\n"
      "<bob@example.net>: host smtp.example.net said: 451 4.3.0 try again later\r\n"
      "<carol@example.com>: host smtp.example.net said: connect: Connection refused\r\n"
      "\r\n"
      "--@B@\r\n"
      "Content-Description: Delivery report\r\n"
      "Content-Type: message/delivery-status\r\n"
      "\r\n"
      "Reporting-MTA: dns; mx.example.org\r\n"
      "X-Relaymail-Queue-ID: 4F2A9C\r\n"
      "Arrival-Date: Tue, 01 Jul 2025 14:00:00 +0200\r\n"
      "\r\n"
      "Final-Recipient: rfc822; bob@example.net\r\n"
      "Action: delayed\r\n"
      "Status: 4.3.0\r\n"
      "Remote-MTA: dns; smtp.example.net\r\n"
      "Diagnostic-Code: smtp; 451 4.3.0 try again later\r\n"
      "Last-Attempt-Date: Wed, 02 Jul 2025 14:00:00 +0200\r\n"
      "Will-Retry-Until: Sun, 06 Jul 2025 14:00:00 +0200\r\n"
      "\r\n"
      "Final-Recipient: rfc822; carol@example.com\r\n"
      "Action: delayed\r\n"
      "Status: 4.4.1\r\n"
      "Remote-MTA: dns; smtp.example.net\r\n"
      "Diagnostic-Code: X-Relaymail; connect: Connection refused\r\n"
      "Last-Attempt-Date: Wed, 02 Jul 2025 14:00:00 +0200\r\n"
      "Will-Retry-Until: Sun, 06 Jul 2025 14:00:00 +0200\r\n"
      "\r\n"
      "--@B@\r\n"
      "Content-Description: Delayed Message Headers\r\n"
      "Content-Type: text/rfc822-headers\r\n"
      "\r\n"
      "From: Alice <alice@example.org>\r\n"
      "To: bob@example.net\r\n"
      "Subject: hello\r\n"
      "\r\n"
      "--@B@--\r\n";
  EXPECT_EQ(run(in, kOriginal), replace_all(want, "@B@", dsn_boundary(in)));
}

// A warning's Status is always a 4.y.z code; without Will-Retry-Until it says nothing of when
// retries end. A bounce keeps any valid code.
TEST(WriteDsn, DelayWarningStatusAndRetryUntil) {
  struct Case {
    const char* name;
    DsnAction action;
    std::string status;
    int64_t until;
    std::string want_status;
    bool retry_until;  // Will-Retry-Until present
  };
  const Case kCases[] = {
      {.name = "4.y.z kept",
       .action = DsnAction::delayed,
       .status = "4.7.1",
       .until = 1,
       .want_status = "4.7.1",
       .retry_until = true},
      {.name = "5.y.z is no delay",
       .action = DsnAction::delayed,
       .status = "5.7.8",
       .until = 1,
       .want_status = "4.0.0",
       .retry_until = true},
      {.name = "garbage",
       .action = DsnAction::delayed,
       .status = "soon",
       .until = 0,
       .want_status = "4.0.0",
       .retry_until = false},
      {.name = "bounce keeps 4.4.7",
       .action = DsnAction::failed,
       .status = "4.4.7",
       .until = kNow,
       .want_status = "4.4.7",
       .retry_until = false},
      {.name = "bounce garbage",
       .action = DsnAction::failed,
       .status = "x",
       .until = 0,
       .want_status = "5.0.0",
       .retry_until = false},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    DsnInput in = base_input();
    in.action = c.action;
    in.will_retry_until = c.until;
    in.failed = {rcpt("bob@example.net", c.status, "451 later")};
    const std::string out = run(in, kOriginal);
    EXPECT_EQ(count(out, "\r\nStatus: " + c.want_status + "\r\n"), 1u) << out;
    EXPECT_EQ(count(out, "Will-Retry-Until: "), c.retry_until ? 1u : 0u);
    EXPECT_EQ(count(out, "Retries end on "), c.retry_until ? 1u : 0u);
    const bool delayed = c.action == DsnAction::delayed;
    EXPECT_EQ(count(out, "Action: delayed\r\n"), delayed ? 1u : 0u);
    EXPECT_EQ(count(out, "Action: failed\r\n"), delayed ? 0u : 1u);
    EXPECT_EQ(count(out, "Subject: Delayed Mail"), delayed ? 1u : 0u);
  }
}

TEST(WriteDsn, HeadersOnlyStopsAtTheEmptyLine) {
  struct Case {
    const char* name;
    std::string original;
    std::string returned;
  };
  const Case kCases[] = {
      {.name = "crlf",
       .original = kOriginal,
       .returned = "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: hello\r\n"},
      {.name = "lf", .original = "A: 1\n B\n\nbody\n", .returned = "A: 1\r\n B\r\n"},
      {.name = "no body", .original = "A: 1\r\n", .returned = "A: 1\r\n"},
      {.name = "empty", .original = "", .returned = ""},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    for (size_t chunk : {size_t{1}, size_t{2}, size_t{4096}}) {
      SCOPED_TRACE(chunk);
      DsnInput in = base_input();
      in.headers_only = true;
      in.failed = {rcpt("bob@example.net", "5.1.1", "550 no")};
      std::string out = run(in, c.original, chunk);
      std::string tail = "--" + dsn_boundary(in) +
                         "\r\n"
                         "Content-Description: Undelivered Message Headers\r\n"
                         "Content-Type: text/rfc822-headers\r\n"
                         "\r\n" +
                         c.returned + "\r\n--" + dsn_boundary(in) + "--\r\n";
      ASSERT_GE(out.size(), tail.size());
      EXPECT_EQ(out.substr(out.size() - tail.size()), tail);
      EXPECT_NE(out.find("Its headers are attached below."), std::string::npos);
      EXPECT_EQ(out.find("see you"), std::string::npos);
      EXPECT_EQ(out.find("body"), std::string::npos);
    }
  }
}

// Nothing the caller passes can start a new header line or field.
TEST(WriteDsn, NoInjection) {
  struct Case {
    const char* name;
    void (*tweak)(DsnInput&);
  };
  const Case kCases[] = {
      {.name = "diagnostic",
       .tweak = [](DsnInput& in) { in.failed[0].diagnostic = "550 no\r\nContent-Type: x/evil"; }},
      {.name = "diagnostic lf",
       .tweak = [](DsnInput& in) { in.failed[0].diagnostic = "550 no\nContent-Type: x/evil"; }},
      {.name = "addr",
       .tweak = [](DsnInput& in) { in.failed[0].addr = "bob@x\r\nContent-Type: x/evil"; }},
      {.name = "to", .tweak = [](DsnInput& in) { in.to = "a@b>\r\nContent-Type: x/evil"; }},
      {.name = "remote",
       .tweak = [](DsnInput& in) { in.failed[0].remote_mta = "h\rContent-Type: x/evil"; }},
      {.name = "envid",
       .tweak = [](DsnInput& in) { in.original_envid = "e\nContent-Type: x/evil"; }},
      {.name = "status",
       .tweak = [](DsnInput& in) { in.failed[0].status = "5.1.1\r\nContent-Type: x/evil"; }},
      {.name = "host",
       .tweak = [](DsnInput& in) { in.reporting_mta = "mx\r\nContent-Type: x/evil"; }},
      {.name = "unique", .tweak = [](DsnInput& in) { in.unique = "u\r\nContent-Type: x/evil"; }},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    DsnInput in = base_input();
    in.failed = {rcpt("bob@example.net", "5.1.1", "550 no")};
    c.tweak(in);
    std::string out = run(in, "Subject: x\r\n\r\nbody\r\n");
    EXPECT_EQ(out.find("\nContent-Type: x/evil"), std::string::npos);
    EXPECT_EQ(out.find("\rContent-Type: x/evil"), std::string::npos);
    EXPECT_EQ(count(out, "\n"), count(out, "\r\n"));  // no bare LF anywhere
    EXPECT_EQ(count(out, "\r"), count(out, "\r\n"));  // no bare CR anywhere
  }
}

TEST(WriteDsn, InvalidStatusBecomesGeneric) {
  for (const char* bad : {"", "5.1", "6.1.1", "5.1.1.1", "5..1", "5.1234.1", "x.1.1"}) {
    SCOPED_TRACE(bad);
    DsnInput in = base_input();
    in.failed = {rcpt("bob@example.net", bad)};
    std::string out = run(in, kOriginal);
    EXPECT_NE(out.find("\r\nStatus: 5.0.0\r\n"), std::string::npos);
    EXPECT_EQ(out.find("Diagnostic-Code"), std::string::npos);
  }
}

TEST(DsnBoundary, ShapeAndUniqueness) {
  DsnInput a = base_input();
  DsnInput b = base_input();
  b.queue_id = "4F2A9D";
  DsnInput c = base_input();
  c.now += 1;
  std::string ba = dsn_boundary(a);
  EXPECT_EQ(ba.rfind("=_4F2A9C.", 0), 0u) << ba;
  EXPECT_LE(ba.size(), 70u);  // RFC 2046 §5.1.1
  EXPECT_EQ(ba, dsn_boundary(a));
  EXPECT_NE(ba, dsn_boundary(b));
  EXPECT_NE(ba, dsn_boundary(c));
  a.queue_id = std::string(200, 'Q') + "\r\n\"";
  EXPECT_LE(dsn_boundary(a).size(), 70u);
  EXPECT_EQ(dsn_boundary(a).find_first_of("\r\n\""), std::string::npos);
}

// An original that carries our delimiter cannot end its part early.
TEST(WriteDsn, DelimiterInOriginalIsDefused) {
  DsnInput in = base_input();
  in.failed = {rcpt("bob@example.net", "5.1.1", "550 no")};
  std::string delim = "--" + dsn_boundary(in);
  std::string original = "Subject: x\r\n\r\n" + delim + "--\r\n" + delim + "\r\nafter\r\n" + delim;
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{4096}}) {
    SCOPED_TRACE(chunk);
    std::string out = run(in, original, chunk);
    EXPECT_EQ(count(out, "\r\n" + delim), 4u);  // three parts and the close
    EXPECT_EQ(count(out, "\r\n" + delim + "--"), 1u);
    EXPECT_NE(out.find("\r\n " + delim + "--\r\n " + delim + "\r\nafter\r\n " + delim + "\r\n"),
              std::string::npos);
  }
}

// Yields `total` bytes of numbered lines, at most `chunk` per read; counts what it produced.
class BigSource final : public ByteSource {
 public:
  BigSource(size_t total, size_t chunk) : total_(total), chunk_(chunk) {}
  Result<size_t> read(std::span<char> buf) override {
    size_t n = std::min({buf.size(), chunk_, total_ - pos_});
    for (size_t i = 0; i < n; ++i) {
      buf[i] = byte_at(pos_ + i);
    }
    pos_ += n;
    return n;
  }
  static char byte_at(size_t i) {
    if (i % 80 == 78) {
      return '\r';
    }
    if (i % 80 == 79) {
      return '\n';
    }
    return static_cast<char>('a' + (i / 80) % 26);
  }
  size_t produced() const { return pos_; }

 private:
  size_t total_;
  size_t chunk_;
  size_t pos_ = 0;
};

// Records each write's size and checks the content on the fly, so the test itself never needs
// the whole output.
class CheckingSink final : public ByteSink {
 public:
  Status write(std::string_view bytes) override {
    max_write = std::max(max_write, bytes.size());
    total += bytes.size();
    window_ += bytes;
    if (window_.size() > 256) {
      window_.erase(0, window_.size() - 256);
    }
    for (char c : bytes) {
      if (!in_body_) {
        head_ += c;
        if (head_.ends_with("message/rfc822\r\n\r\n")) {
          in_body_ = true;
        }
      } else if (body_pos_ < expect_) {
        mismatch = mismatch || c != BigSource::byte_at(body_pos_);
        ++body_pos_;
      }
    }
    return {};
  }
  explicit CheckingSink(size_t expect) : expect_(expect) {}
  size_t max_write = 0;
  size_t total = 0;
  bool mismatch = false;
  size_t body_seen() const { return body_pos_; }
  const std::string& tail() const { return window_; }

 private:
  size_t expect_;
  bool in_body_ = false;
  std::string head_;
  std::string window_;
  size_t body_pos_ = 0;
};

TEST(WriteDsn, StreamsALargeOriginal) {
  constexpr size_t kTotal = size_t{1} << 20;  // 1 MiB; not a multiple of 80, so it ends mid-line
  DsnInput in = base_input();
  in.failed = {rcpt("bob@example.net", "5.3.4", "552 too big")};
  BigSource src(kTotal, 113);
  CheckingSink sink(kTotal);
  ASSERT_TRUE(write_dsn(in, src, sink).has_value());
  EXPECT_EQ(src.produced(), kTotal);
  EXPECT_EQ(sink.body_seen(), kTotal);
  EXPECT_FALSE(sink.mismatch);
  EXPECT_LE(sink.max_write, size_t{128} * 1024);  // written in bounded pieces
  EXPECT_GT(sink.total, kTotal);
  EXPECT_TRUE(sink.tail().ends_with("\r\n\r\n--" + dsn_boundary(in) + "--\r\n"));
}

class FailingSink final : public ByteSink {
 public:
  Status write(std::string_view) override {
    ++calls;
    return make_error(Errc::io, "write bounce: No space left on device");
  }
  int calls = 0;
};

class FailingSource final : public ByteSource {
 public:
  Result<size_t> read(std::span<char>) override {
    return make_error(Errc::io, "read 4F2A9C.msg: Input/output error");
  }
};

TEST(WriteDsn, ErrorsPassThrough) {
  DsnInput in = base_input();
  in.failed = {rcpt("bob@example.net", "5.1.1")};
  {
    BigSource src(size_t{1} << 20, 4096);
    FailingSink sink;
    Status st = write_dsn(in, src, sink);
    ASSERT_FALSE(st.has_value());
    EXPECT_EQ(st.error().what, "write bounce: No space left on device");
    EXPECT_EQ(sink.calls, 1);
    EXPECT_LT(src.produced(), size_t{1} << 20);  // stops reading after the sink failed
  }
  {
    FailingSource src;
    StringSink sink;
    Status st = write_dsn(in, src, sink);
    ASSERT_FALSE(st.has_value());
    EXPECT_EQ(st.error().what, "read 4F2A9C.msg: Input/output error");
  }
}

TEST(MustNotWarn, Table) {
  struct Case {
    const char* sender;
    const char* notify;
    bool want;
  };
  const Case kCases[] = {
      {.sender = "", .notify = "", .want = true},  // a bounce is never warned about
      {.sender = "<>", .notify = "DELAY", .want = true},
      {.sender = "a@b.example", .notify = "", .want = false},  // not given: DELAY applies
      {.sender = "a@b.example", .notify = "delay", .want = false},
      {.sender = "a@b.example", .notify = "FAILURE,DELAY", .want = false},
      {.sender = "a@b.example", .notify = " Success , Delay ", .want = false},
      {.sender = "a@b.example", .notify = "NEVER", .want = true},
      {.sender = "a@b.example", .notify = "never,delay", .want = true},
      {.sender = "a@b.example", .notify = "FAILURE", .want = true},
      {.sender = "a@b.example", .notify = "SUCCESS", .want = true},
      {.sender = "a@b.example", .notify = "FAILURE,SUCCESS", .want = true},
      {.sender = "a@b.example", .notify = "delays", .want = true},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(std::string(c.sender) + " / " + c.notify);
    EXPECT_EQ(must_not_warn(c.sender, c.notify), c.want);
  }
}

TEST(MustNotBounce, Table) {
  struct Case {
    const char* sender;
    const char* notify;
    bool want;
  };
  const Case kCases[] = {
      {.sender = "", .notify = "", .want = true},  // a bounce: never bounce a bounce
      {.sender = "<>", .notify = "", .want = true},
      {.sender = "", .notify = "FAILURE", .want = true},
      {.sender = "a@b.example", .notify = "", .want = false},  // not given: FAILURE applies
      {.sender = "a@b.example", .notify = "never", .want = true},
      {.sender = "a@b.example", .notify = "NEVER", .want = true},
      {.sender = "a@b.example", .notify = "failure", .want = false},
      {.sender = "a@b.example", .notify = "FAILURE,DELAY", .want = false},
      {.sender = "a@b.example", .notify = "failure,delay", .want = false},
      {.sender = "a@b.example", .notify = "success , Failure", .want = false},
      {.sender = "a@b.example", .notify = "success", .want = true},
      {.sender = "a@b.example", .notify = "delay", .want = true},
      {.sender = "a@b.example", .notify = "SUCCESS,DELAY", .want = true},
      {.sender = "a@b.example", .notify = "failures", .want = true},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(std::string(c.sender) + " / " + c.notify);
    EXPECT_EQ(must_not_bounce(c.sender, c.notify), c.want);
  }
}

}  // namespace
}  // namespace rm
