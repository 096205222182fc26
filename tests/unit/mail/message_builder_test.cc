// Tests for mail/message_builder.h: input bytes → the exact bytes spooled, and the result
// fields. Every case runs with several source chunk sizes so that CR/LF/NUL at read
// boundaries are covered. The zone is fixed through SubmitOptions::utc_offset.
#include "mail/message_builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace rm {
namespace {

using namespace std::string_literals;

// A source that notes whether it was read to the end, and can fail after `fail_after` bytes.
class TrackingSource final : public ByteSource {
 public:
  explicit TrackingSource(std::string data, size_t chunk = 4096, size_t fail_after = SIZE_MAX)
      : data_(std::move(data)), chunk_(chunk), fail_after_(fail_after) {}
  Result<size_t> read(std::span<char> buf) override {
    if (pos_ >= fail_after_) {
      return make_error(Errc::io, "read stdin: Input/output error");
    }
    size_t n = std::min({buf.size(), data_.size() - pos_, chunk_, fail_after_ - pos_});
    std::memcpy(buf.data(), data_.data() + pos_, n);
    pos_ += n;
    eof_ = eof_ || n == 0;
    return n;
  }
  bool eof() const { return eof_; }

 private:
  std::string data_;
  size_t chunk_;
  size_t fail_after_;
  size_t pos_ = 0;
  bool eof_ = false;
};

class FailingSink final : public ByteSink {
 public:
  Status write(std::string_view) override {
    return make_error(Errc::io, "write spool file: No space left on device");
  }
};

const std::string kReceived =
    "Received: by host.example (relaymail, from userid 1000)\r\n"
    "\tid ABC; Tue, 01 Jul 2025 12:00:00 +0000\r\n";
const std::string kDate = "Date: Tue, 01 Jul 2025 12:00:00 +0000\r\n";
const std::string kMsgId = "Message-ID: <ABC@host.example>\r\n";
const std::string kFrom = "From: <alice@example.com>\r\n";
const std::string kGen = kDate + kMsgId + kFrom;

SubmitOptions base_options() {
  SubmitOptions o;
  o.envelope_sender = "alice@example.com";
  o.domain = "example.com";
  o.hostname = "host.example";
  o.uid = 1000;
  o.now = 1751371200;  // Tue, 01 Jul 2025 12:00:00 UTC
  o.unique = "ABC";
  o.utc_offset = 0;
  return o;
}

struct Case {
  const char* name;
  std::string in;
  std::string want;  // after the Received: lines
  std::function<void(SubmitOptions&)> tweak = nullptr;
  std::vector<std::string> rcpts = {};
  uint64_t nul = 0;
  bool eightbit = false;
  bool had_from = false;
};

void run_cases(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{4096}}) {
      SCOPED_TRACE(std::string(c.name) + " chunk=" + std::to_string(chunk));
      SubmitOptions o = base_options();
      if (c.tweak) {
        c.tweak(o);
      }
      TrackingSource in(c.in, chunk);
      StringSink out;
      auto r = build_message(in, out, o);
      ASSERT_TRUE(r) << r.error().what;
      EXPECT_EQ(out.out, kReceived + c.want);
      EXPECT_EQ(r->size, out.out.size());
      EXPECT_EQ(r->header_rcpts, c.rcpts);
      EXPECT_EQ(r->nul_removed, c.nul);
      EXPECT_EQ(r->eightbit, c.eightbit);
      EXPECT_EQ(r->had_from, c.had_from);
      EXPECT_FALSE(r->too_big);
      EXPECT_TRUE(in.eof()) << "source not drained";
      EXPECT_EQ(out.out.find("\r\r"), std::string::npos);
    }
  }
}

void ignore_dots(SubmitOptions& o) {
  o.ignore_dots = true;
}
void extract(SubmitOptions& o) {
  o.extract_recipients = true;
}

TEST(BuildMessage, LineEndingsAndDots) {
  const std::string hdr = "To: bob@x.org\r\n"s + kGen + "\r\n";
  run_cases({
      {.name = "lf",
       .in = "To: bob@x.org\nSubject: hi\n\nbody\n",
       .want = "To: bob@x.org\r\nSubject: hi\r\n" + kGen + "\r\nbody\r\n"},
      {.name = "crlf",
       .in = "To: bob@x.org\r\nSubject: hi\r\n\r\nbody\r\n",
       .want = "To: bob@x.org\r\nSubject: hi\r\n" + kGen + "\r\nbody\r\n"},
      {.name = "php mixed",
       .in = "To: bob@x.org\r\n\r\nline1\n\r\nline2\n",
       .want = hdr + "line1\r\n\r\nline2\r\n"},
      {.name = "lone dot ends",
       .in = "To: bob@x.org\n\nbefore\n.\nafter\n",
       .want = hdr + "before\r\n"},
      {.name = "lone dot kept with -i",
       .in = "To: bob@x.org\n\nbefore\n.\nafter\n",
       .want = hdr + "before\r\n.\r\nafter\r\n",
       .tweak = ignore_dots},
      {.name = "dot crlf ends",
       .in = "To: bob@x.org\n\nbefore\r\n.\r\nafter\r\n",
       .want = hdr + "before\r\n"},
      {.name = "dot cr at eof ends",
       .in = "To: bob@x.org\n\nbefore\n.\r",
       .want = hdr + "before\r\n"},
      {.name = "dot cr cr lf ends",
       .in = "To: bob@x.org\n\nbefore\n.\r\r\nafter\n",
       .want = hdr + "before\r\n"},
      {.name = "dot cr with -i",
       .in = "To: bob@x.org\n\nbefore\n.\r",
       .want = hdr + "before\r\n. \r\n",
       .tweak = ignore_dots},
      {.name = "smuggling with -i",
       .in = "To: bob@x.org\n\na\n.\r\nMAIL FROM:<x>\n",
       .want = hdr + "a\r\n.\r\nMAIL FROM:<x>\r\n",
       .tweak = ignore_dots},
      {.name = "dot dot unchanged",
       .in = "To: bob@x.org\n\n..x\n..\n",
       .want = hdr + "..x\r\n..\r\n"},
      {.name = "dot dot unchanged -i",
       .in = "To: bob@x.org\n\n..x\n",
       .want = hdr + "..x\r\n",
       .tweak = ignore_dots},
      {.name = "dot first line", .in = ".\nTo: bob@x.org\n", .want = kGen + "\r\n"},
      {.name = "dot in headers", .in = "To: bob@x.org\n.\nSubject: lost\n", .want = hdr},
      {.name = "no final newline", .in = "To: bob@x.org\n\nbody", .want = hdr + "body\r\n"},
      {.name = "bare cr",
       .in = "To: bob@x.org\nSubject: a\rb\n\na\rb\rc\r\n",
       .want = "To: bob@x.org\r\nSubject: a b\r\n" + kGen + "\r\na b c\r\n"},
      {.name = "cr cr lf", .in = "To: bob@x.org\n\nx\r\r\n", .want = hdr + "x \r\n"},
      {.name = "cr at eof", .in = "To: bob@x.org\n\nx\r", .want = hdr + "x \r\n"},
      {.name = "nul removed",
       .in = "To: bob@x.org\n\nab\0c\n\0"s,
       .want = hdr + "abc\r\n",
       .nul = 2},
      {.name = "nul between cr and lf",
       .in = "To: bob@x.org\n\nab\r\0\n"s,
       .want = hdr + "ab\r\n",
       .nul = 1},
      {.name = "empty lines kept",
       .in = "To: bob@x.org\n\n\n\nx\n\n",
       .want = hdr + "\r\n\r\nx\r\n\r\n"},
  });
}

TEST(BuildMessage, Structure) {
  const std::string hdr = "To: bob@x.org\r\n"s + kGen + "\r\n";
  run_cases({
      {.name = "mbox From line",
       .in = "From alice@x Tue Jul  1 12:00:00 2025\nTo: bob@x.org\n\nhi\n",
       .want = hdr + "hi\r\n"},
      {.name = "mbox >From line",
       .in = ">From alice@x\nTo: bob@x.org\n\nhi\n",
       .want = hdr + "hi\r\n"},
      {.name = "From in body kept",
       .in = "To: bob@x.org\n\nFrom here on\n",
       .want = hdr + "From here on\r\n"},
      {.name = "headers only",
       .in = "To: bob@x.org\nSubject: s\n",
       .want = "To: bob@x.org\r\nSubject: s\r\n" + kGen + "\r\n"},
      {.name = "headers only no newline", .in = "To: bob@x.org", .want = hdr},
      {.name = "body only",
       .in = "hello world\nsecond\n",
       .want = kGen + "\r\nhello world\r\nsecond\r\n"},
      {.name = "continuation first", .in = " x: y\n", .want = kGen + "\r\n x: y\r\n"},
      {.name = "empty input", .in = "", .want = kGen + "\r\n"},
      {.name = "blank first line", .in = "\nbody\n", .want = kGen + "\r\nbody\r\n"},
      {.name = "non-header ends block",
       .in = "To: bob@x.org\nnot a header\nmore\n",
       .want = hdr + "not a header\r\nmore\r\n"},
      {.name = "continuations kept",
       .in = "To: bob@x.org\nSubject: a\n\tb\n  c\n\nx\n",
       .want = "To: bob@x.org\r\nSubject: a\r\n\tb\r\n  c\r\n" + kGen + "\r\nx\r\n"},
      {.name = "order and bytes kept",
       .in = "X-B:  two  spaces\nx-a:lower\nMIME-Version: 1.0\nTo: bob@x.org\n\n",
       .want = "X-B:  two  spaces\r\nx-a:lower\r\nMIME-Version: 1.0\r\nTo: bob@x.org\r\n" + kGen +
               "\r\n"},
  });
}

TEST(BuildMessage, HeaderRemovalAndExtraction) {
  run_cases({
      {.name = "bcc with continuation removed",
       .in = "To: a@x.org\nBcc: secret@x.org,\n  other@x.org\nSubject: s\n\nb\n",
       .want = "To: a@x.org\r\nSubject: s\r\n" + kGen + "\r\nb\r\n"},
      {.name = "dropped in any case",
       .in = "BCC: s@x.org\nresent-bcc: r@x.org\nReturn-Path: <x@y>\nContent-Length: 5\n"
             "To: a@x.org\n\nb\n",
       .want = "To: a@x.org\r\n" + kGen + "\r\nb\r\n"},
      {.name = "-t To Cc Bcc",
       .in = "To: a@x.org\nCc: C <c@x.org>\nBcc: d@x.org\n\nx\n",
       .want = "To: a@x.org\r\nCc: C <c@x.org>\r\n" + kGen + "\r\nx\r\n",
       .tweak = extract,
       .rcpts = {"a@x.org", "c@x.org", "d@x.org"}},
      {.name = "-t repeated To (logwatch)",
       .in = "To: root\nTo: ops@x.org\nFrom: Logwatch\nSubject: Logwatch\n\nx\n",
       .want = "To: root@example.com\r\nTo: ops@x.org\r\nFrom: Logwatch@example.com\r\n"
               "Subject: Logwatch\r\n" +
               kDate + kMsgId + "\r\nx\r\n",
       .tweak = extract,
       .rcpts = {"root", "ops@x.org"},
       .had_from = true},
      {.name = "-t Resent precedence",
       .in = "To: a@x.org\nCc: c@x.org\nResent-From: f@x.org\nResent-To: r@x.org\n"
             "Resent-Cc: rc@x.org\nResent-Bcc: rb@x.org\n\n",
       .want = "To: a@x.org\r\nCc: c@x.org\r\nResent-From: f@x.org\r\nResent-To: r@x.org\r\n"
               "Resent-Cc: rc@x.org\r\n" +
               kGen + "\r\n",
       .tweak = extract,
       .rcpts = {"r@x.org", "rc@x.org", "rb@x.org"}},
      {.name = "-t Apparently-To ignored",
       .in = "Apparently-To: a@x.org\nTo: b@x.org\n\n",
       .want = "Apparently-To: a@x.org\r\nTo: b@x.org\r\n" + kGen + "\r\n",
       .tweak = extract,
       .rcpts = {"b@x.org"}},
      {.name = "-t undisclosed",
       .in = "To: undisclosed-recipients:;\nBcc: hidden@x.org\n\n",
       .want = "To: undisclosed-recipients:;\r\n" + kGen + "\r\n",
       .tweak = extract,
       .rcpts = {"hidden@x.org"}},
      {.name = "-t folded list",
       .in = "To: a@x.org,\n b@x.org\n\n",
       .want = "To: a@x.org,\r\n b@x.org\r\n" + kGen + "\r\n",
       .tweak = extract,
       .rcpts = {"a@x.org", "b@x.org"}},
      {.name = "no -t no rcpts",
       .in = "To: a@x.org\n\n",
       .want = "To: a@x.org\r\n" + kGen + "\r\n"},
  });
}

void null_sender(SubmitOptions& o) {
  o.envelope_sender.clear();
}

TEST(BuildMessage, GeneratedHeaders) {
  const std::string to = "To: bob@x.org\r\n";
  run_cases({
      {.name = "all kept",
       .in = "Date: Mon, 30 Jun 2025 08:00:00 -0400\nMessage-Id: <m1@x.org>\nFrom: A <a@x.org>\n\n",
       .want = "Date: Mon, 30 Jun 2025 08:00:00 -0400\r\nMessage-Id: <m1@x.org>\r\n"
               "From: A <a@x.org>\r\n\r\n",
       .had_from = true},
      {.name = "-F name",
       .in = "To: bob@x.org\n\n",
       .want = to + kDate + kMsgId + "From: Cron Daemon <alice@example.com>\r\n\r\n",
       .tweak = [](SubmitOptions& o) { o.full_name = "Cron Daemon"; }},
      {.name = "-F name with specials",
       .in = "To: bob@x.org\n\n",
       .want = to + kDate + kMsgId + "From: \"Doe, J\" <alice@example.com>\r\n\r\n",
       .tweak = [](SubmitOptions& o) { o.full_name = "Doe, J"; }},
      {.name = "-F name with newline",
       .in = "To: bob@x.org\n\n",
       .want = to + kDate + kMsgId + "From: \"Eve Bcc: x@evil\" <alice@example.com>\r\n\r\n",
       .tweak = [](SubmitOptions& o) { o.full_name = "Eve\nBcc: x@evil"; }},
      {.name = "-F name utf-8",
       .in = "To: bob@x.org\n\n",
       .want = to + kDate + kMsgId + "From: =?UTF-8?B?Sm9zw6k=?= <alice@example.com>\r\n\r\n",
       .tweak = [](SubmitOptions& o) { o.full_name = "Jos\xc3\xa9"; }},
      {.name = "null sender",
       .in = "To: bob@x.org\n\n",
       .want = to + kDate + kMsgId + "From: <MAILER-DAEMON@host.example>\r\n\r\n",
       .tweak = null_sender},
      // Behaviour 52: no To: is added unless configured, and then only without To/Cc.
      {.name = "b52 no To: by default",
       .in = "Subject: s\n\n",
       .want = "Subject: s\r\n" + std::string(kDate) + kMsgId + kFrom + "\r\n"},
      {.name = "b52 To: undisclosed-recipients when configured",
       .in = "Subject: s\n\n",
       .want = "Subject: s\r\n" + std::string(kDate) + kMsgId + kFrom +
               "To: undisclosed-recipients:;\r\n\r\n",
       .tweak = [](SubmitOptions& o) { o.add_to_header = true; }},
      {.name = "b52 a Cc: is enough",
       .in = "Cc: c@x.org\n\n",
       .want = "Cc: c@x.org\r\n" + std::string(kDate) + kMsgId + kFrom + "\r\n",
       .tweak = [](SubmitOptions& o) { o.add_to_header = true; }},
  });
}

// from_rewrite = "always" (issue 4): From: forced to the account's address, the original kept
// in Reply-To: (unless there is one), position and other fields unchanged.
TEST(BuildMessage, ForcedFrom) {
  auto force = [](SubmitOptions& o) { o.force_from = "relay@example.net"; };
  auto force_named = [](SubmitOptions& o) {
    o.force_from = "relay@example.net";
    o.full_name = "Web Site";
  };
  const std::string tail = kDate + kMsgId + "\r\n";
  run_cases({
      {.name = "moved to Reply-To",
       .in = "Subject: s\nFrom: Alice <alice@example.org>\nTo: b@x.org\n\n",
       .want = "Subject: s\r\nFrom: <relay@example.net>\r\nReply-To: Alice <alice@example.org>\r\n"
               "To: b@x.org\r\n" +
               tail,
       .tweak = force,
       .had_from = true},
      {.name = "full name used",
       .in = "From: wordpress@example.org\n\n",
       .want = "From: Web Site <relay@example.net>\r\nReply-To: wordpress@example.org\r\n" + tail,
       .tweak = force_named,
       .had_from = true},
      {.name = "existing Reply-To kept",
       .in = "From: a@example.org\nReply-To: list@example.org\n\n",
       .want = "From: <relay@example.net>\r\nReply-To: list@example.org\r\n" + tail,
       .tweak = force,
       .had_from = true},
      {.name = "folded From, bare local part qualified first",
       .in = "From: Alice\n <alice>\n\n",
       .want = "From: <relay@example.net>\r\nReply-To: Alice\r\n <alice@example.com>\r\n" + tail,
       .tweak = force,
       .had_from = true},
      {.name = "two From fields become one",
       .in = "From: a@example.org\nFrom: b@example.org\n\n",
       .want = "From: <relay@example.net>\r\nReply-To: a@example.org\r\n" + tail,
       .tweak = force,
       .had_from = true},
      {.name = "already the account's address: untouched",
       .in = "From: Relay Box <RELAY@example.net>\n\n",
       .want = "From: Relay Box <RELAY@example.net>\r\n" + tail,
       .tweak = force,
       .had_from = true},
      {.name = "no From: one is generated with the account's address",
       .in = "To: b@x.org\n\n",
       .want = "To: b@x.org\r\n" + kDate + kMsgId + "From: <relay@example.net>\r\n\r\n",
       .tweak = force},
  });
}

TEST(BuildMessage, ZoneOffsetInDateAndReceived) {
  SubmitOptions o = base_options();
  o.utc_offset = -(3 * 3600 + 1800);
  TrackingSource in("To: a@x.org\n\n");
  StringSink out;
  ASSERT_TRUE(build_message(in, out, o));
  EXPECT_EQ(out.out,
            "Received: by host.example (relaymail, from userid 1000)\r\n"
            "\tid ABC; Tue, 01 Jul 2025 08:30:00 -0330\r\n"
            "To: a@x.org\r\nDate: Tue, 01 Jul 2025 08:30:00 -0330\r\n" +
                kMsgId + kFrom + "\r\n");
}

TEST(BuildMessage, GeneratedHeadersWithoutQueueId) {
  SubmitOptions o = base_options();
  o.unique.clear();
  o.hostname.clear();
  TrackingSource in("To: a@x.org\n\n");
  StringSink out;
  ASSERT_TRUE(build_message(in, out, o));
  EXPECT_EQ(out.out,
            "Received: by localhost (relaymail, from userid 1000);\r\n"
            "\tTue, 01 Jul 2025 12:00:00 +0000\r\n"
            "To: a@x.org\r\n" +
                kDate + "Message-ID: <1751371200.1000@localhost>\r\n" + kFrom + "\r\n");
}

void no_rewrite(SubmitOptions& o) {
  o.rewrite_headers = false;
}

TEST(BuildMessage, Qualification) {
  const std::string in =
      "From: Fail2Ban <fail2ban>\nTo: root\nCc: a@x.org, alice (Alice)\nReply-To: Logwatch\n"
      "Sender: mdadm monitoring <root@host>\nSubject: root\nX-Other: root\n\n";
  run_cases({
      {.name = "bare names qualified",
       .in = in,
       .want = "From: Fail2Ban <fail2ban@example.com>\r\nTo: root@example.com\r\n"
               "Cc: a@x.org, alice@example.com (Alice)\r\nReply-To: Logwatch@example.com\r\n"
               "Sender: mdadm monitoring <root@host>\r\nSubject: root\r\nX-Other: root\r\n" +
               kDate + kMsgId + "\r\n",
       .had_from = true},
      {.name = "-G leaves them",
       .in = in,
       .want = "From: Fail2Ban <fail2ban>\r\nTo: root\r\nCc: a@x.org, alice (Alice)\r\n"
               "Reply-To: Logwatch\r\nSender: mdadm monitoring <root@host>\r\nSubject: root\r\n"
               "X-Other: root\r\n" +
               kDate + kMsgId + "\r\n",
       .tweak = no_rewrite,
       .had_from = true},
      {.name = "unparsable kept",
       .in = "To: John Doe\n\n",
       .want = "To: John Doe\r\n" + kGen + "\r\n"},
  });
}

TEST(BuildMessage, EightBit) {
  run_cases({
      {.name = "8-bit body",
       .in = "To: a@x.org\n\nna\xc3\xafve\n",
       .want = "To: a@x.org\r\n" + kGen + "\r\nna\xc3\xafve\r\n",
       .eightbit = true},
      {.name = "8-bit header",
       .in = "Subject: caf\xc3\xa9\n\n",
       .want = "Subject: caf\xc3\xa9\r\n" + kGen + "\r\n",
       .eightbit = true},
      {.name = "ascii",
       .in = "To: a@x.org\n\nplain\n",
       .want = "To: a@x.org\r\n" + kGen + "\r\nplain\r\n"},
  });
}

TEST(BuildMessage, BodyFoldingAt998) {
  const std::string hdr = "To: a@x.org\r\n"s + kGen + "\r\n";
  std::string a998(998, 'a');
  run_cases({
      {.name = "998 unchanged", .in = "To: a@x.org\n\n" + a998 + "\n", .want = hdr + a998 + "\r\n"},
      {.name = "999 folded",
       .in = "To: a@x.org\n\n" + a998 + "b\n",
       .want = hdr + a998 + "\r\n b\r\n"},
      {.name = "2000 folded twice",
       .in = "To: a@x.org\n\n" + std::string(2000, 'c') + "\r\nz\n",
       .want = hdr + std::string(998, 'c') + "\r\n " + std::string(997, 'c') + "\r\n " +
               std::string(5, 'c') + "\r\nz\r\n"},
      {.name = "long line without newline",
       .in = "To: a@x.org\n\n" + a998 + "b",
       .want = hdr + a998 + "\r\n b\r\n"},
  });
}

// Lines of every output are within 998 octets, and undoing the CRLF SP folds gives the input.
TEST(BuildMessage, GiantBodyLineStreamsInBoundedPieces) {
  std::string giant;
  for (int i = 0; i < 300000; ++i) {
    giant += static_cast<char>('a' + i % 26);
  }
  TrackingSource in("To: a@x.org\n\n" + giant + "\nend\n", 1000);
  StringSink out;
  ASSERT_TRUE(build_message(in, out, base_options()));
  std::string body = out.out.substr(out.out.find("\r\n\r\n") + 4);
  size_t start = 0;
  std::string unfolded;
  while (start < body.size()) {
    size_t nl = body.find("\r\n", start);
    ASSERT_NE(nl, std::string::npos);
    EXPECT_LE(nl - start, 998u);
    std::string line = body.substr(start, nl - start);
    if (!line.empty() && line[0] == ' ') {
      unfolded += line.substr(1);
    } else {
      if (!unfolded.empty()) {
        unfolded += '\n';
      }
      unfolded += line;
    }
    start = nl + 2;
  }
  EXPECT_EQ(unfolded, giant + "\nend");
}

TEST(BuildMessage, HeaderFoldingAt998) {
  std::string words;
  while (words.size() < 3000) {
    words += " word";
  }
  TrackingSource in("Subject:" + words + "\nX-Long: " + std::string(1500, 'b') + "\n\n");
  StringSink out;
  ASSERT_TRUE(build_message(in, out, base_options()));
  for (size_t start = 0, nl; (nl = out.out.find("\r\n", start)) != std::string::npos;
       start = nl + 2) {
    EXPECT_LE(nl - start, 998u);
  }
  // Subject: folded before blanks only, so unfolding (drop CRLF before WSP) restores it.
  size_t s = out.out.find("Subject:");
  size_t e = out.out.find("\r\nX-Long:");
  std::string subject = out.out.substr(s, e - s);
  std::string unfolded;
  for (size_t i = 0; i < subject.size(); ++i) {
    if (subject.compare(i, 2, "\r\n") == 0) {
      ++i;
      continue;
    }
    unfolded += subject[i];
  }
  EXPECT_EQ(unfolded, "Subject:" + words);
  EXPECT_NE(out.out.find("X-Long:\r\n " + std::string(997, 'b') + "\r\n " + std::string(503, 'b') +
                         "\r\n"),
            std::string::npos);
}

struct ErrorCase {
  const char* name;
  std::string in;
  std::function<void(SubmitOptions&)> tweak = nullptr;
  const char* what;
};

TEST(BuildMessage, ErrorsDrainTheSource) {
  std::string many = "To: ";
  for (size_t i = 0; i <= kMaxHeaderRcpts; ++i) {
    many += "u" + std::to_string(i) + "@x.org, ";
  }
  const ErrorCase kCases[] = {
      {.name = "-t unparsable",
       .in = "To: a@@x.org\n\nbody\nmore\n",
       .tweak = extract,
       .what = "To:"},
      {.name = "-t too many", .in = many + "\n\nbody\n", .tweak = extract, .what = "recipients"},
      {.name = "header block too long",
       .in = "Subject: " + std::string(kMaxHeaderBytes, 'x') + "\n\nbody\n",
       .what = "header block"},
      {.name = "many header lines too long",
       .in =
           [] {
             std::string s;
             while (s.size() <= kMaxHeaderBytes) {
               s += "X-Filler: 0123456789012345678901234567890123456789\n";
             }
             return s + "\nbody\n";
           }(),
       .what = "header block"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    SubmitOptions o = base_options();
    if (c.tweak) {
      c.tweak(o);
    }
    TrackingSource in(c.in, 65536);
    StringSink out;
    auto r = build_message(in, out, o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::parse);
    EXPECT_NE(r.error().what.find(c.what), std::string::npos) << r.error().what;
    EXPECT_TRUE(in.eof());
  }
}

TEST(BuildMessage, MaxSizeDrainsTheRest) {
  SubmitOptions o = base_options();
  o.max_size = 300;
  TrackingSource in("To: a@x.org\n\n" + std::string(10000, 'x') + "\nmore\n", 100);
  StringSink out;
  auto r = build_message(in, out, o);
  ASSERT_TRUE(r) << r.error().what;
  EXPECT_TRUE(r->too_big);
  EXPECT_LE(r->size, 300u);
  EXPECT_EQ(r->size, out.out.size());
  EXPECT_TRUE(in.eof());

  o.max_size = 100000;  // fits: not too big
  TrackingSource in2("To: a@x.org\n\nsmall\n");
  StringSink out2;
  auto r2 = build_message(in2, out2, o);
  ASSERT_TRUE(r2);
  EXPECT_FALSE(r2->too_big);
}

TEST(BuildMessage, SinkFailureDrainsAndReports) {
  TrackingSource in("To: a@x.org\n\n" + std::string(200000, 'x') + "\n", 4096);
  FailingSink out;
  auto r = build_message(in, out, base_options());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::io);
  EXPECT_NE(r.error().what.find("No space"), std::string::npos);
  EXPECT_TRUE(in.eof());
}

TEST(BuildMessage, SourceFailureIsReported) {
  for (size_t fail_after : {size_t{0}, size_t{5}, size_t{18}}) {
    SCOPED_TRACE(fail_after);
    TrackingSource in("To: a@x.org\n\nbody\n", 4096, fail_after);
    StringSink out;
    auto r = build_message(in, out, base_options());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::io);
  }
}

}  // namespace
}  // namespace rm
