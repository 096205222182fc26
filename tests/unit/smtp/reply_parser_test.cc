#include "smtp/reply_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rm {
namespace {

SmtpReply reply(int code, std::vector<std::string> lines, std::string enhanced = "") {
  SmtpReply r;
  r.code = code;
  r.enhanced = std::move(enhanced);
  r.lines = std::move(lines);
  return r;
}

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) {
    out += s;
  }
  return out;
}

struct ParseCase {
  std::string name{};
  std::string input{};
  bool ok = true;
  std::vector<SmtpReply> want{};
  bool idle = true;  // nothing left over after the complete replies
};

const ParseCase kCases[] = {
    {.name = "single", .input = "250 ok\r\n", .want = {reply(250, {"ok"})}},
    {.name = "bare code", .input = "250\r\n", .want = {reply(250, {""})}},
    {.name = "code and space", .input = "250 \r\n", .want = {reply(250, {""})}},
    {.name = "multiline",
     .input = "250-mx.test hello\r\n250-PIPELINING\r\n250 SIZE 1000\r\n",
     .want = {reply(250, {"mx.test hello", "PIPELINING", "SIZE 1000"})}},
    {.name = "empty continuation",
     .input = "250-\r\n250 end\r\n",
     .want = {reply(250, {"", "end"})}},
    {.name = "enhanced",
     .input = "550 5.1.1 no such user\r\n",
     .want = {reply(550, {"5.1.1 no such user"}, "5.1.1")}},
    {.name = "enhanced alone", .input = "250 2.0.0\r\n", .want = {reply(250, {"2.0.0"}, "2.0.0")}},
    {.name = "enhanced wide",
     .input = "451 4.123.456 later\r\n",
     .want = {reply(451, {"4.123.456 later"}, "4.123.456")}},
    {.name = "enhanced from first line only",
     .input = "250-first\r\n250 2.1.0 ok\r\n",
     .want = {reply(250, {"first", "2.1.0 ok"})}},
    {.name = "enhanced class mismatch",
     .input = "550 2.1.1 odd\r\n",
     .want = {reply(550, {"2.1.1 odd"})}},
    {.name = "not enhanced: two parts",
     .input = "250 2.0 ok\r\n",
     .want = {reply(250, {"2.0 ok"})}},
    {.name = "not enhanced: four parts",
     .input = "250 2.0.0.1 ok\r\n",
     .want = {reply(250, {"2.0.0.1 ok"})}},
    {.name = "not enhanced: four digits",
     .input = "250 2.1000.0 ok\r\n",
     .want = {reply(250, {"2.1000.0 ok"})}},
    {.name = "two replies in one feed",
     .input = "250 a\r\n354 go\r\n",
     .want = {reply(250, {"a"}), reply(354, {"go"})}},
    {.name = "sanitised text",
     .input = "250 a\x01"
              "b\xff"
              "c\td\re\r\n",
     .want = {reply(250, {"a?b?c d?e"})}},
    {.name = "CRLF injection stays one line",
     .input = "550-x\r\n550 Recipient: evil\r\n",
     .want = {reply(550, {"x", "Recipient: evil"})}},
    {.name = "partial reply", .input = "250-a\r\n250 b", .want = {}, .idle = false},
    {.name = "complete then partial",
     .input = "250 a\r\n2",
     .want = {reply(250, {"a"})},
     .idle = false},
    {.name = "line of exactly 512",
     .input = "250 " + std::string(506, 'x') + "\r\n",
     .want = {reply(250, {std::string(506, 'x')})}},
    {.name = "100 lines",
     .input = repeat("250-x\r\n", 99) + "250 x\r\n",
     .want = {reply(250, std::vector<std::string>(100, "x"))}},
    // Violations.
    {.name = "mixed codes", .input = "250-a\r\n251 b\r\n", .ok = false},
    {.name = "letter code", .input = "2x0 ok\r\n", .ok = false},
    {.name = "letters", .input = "abc def\r\n", .ok = false},
    {.name = "short last line", .input = "250-a\r\n25\r\n", .ok = false},
    {.name = "short line", .input = "25\r\n", .ok = false},
    {.name = "empty line", .input = "\r\n", .ok = false},
    {.name = "bad separator", .input = "250x\r\n", .ok = false},
    {.name = "leading space", .input = " 250 ok\r\n", .ok = false},
    {.name = "1xx", .input = "150 ok\r\n", .ok = false},
    {.name = "6xx", .input = "650 ok\r\n", .ok = false},
    {.name = "bare LF", .input = "250 ok\n", .ok = false},
    {.name = "line of 513", .input = "250 " + std::string(507, 'x') + "\r\n", .ok = false},
    {.name = "101 lines", .input = repeat("250-x\r\n", 100) + "250 x\r\n", .ok = false},
    {.name = "good then bad", .input = "250 ok\r\nHELLO\r\n", .ok = false},
};

// Feeds `input` in pieces of `chunk` octets; returns the replies, or the error.
Result<std::vector<SmtpReply>> run(ReplyParser& p, std::string_view input, size_t chunk) {
  std::vector<SmtpReply> out;
  for (size_t i = 0; i < input.size(); i += chunk) {
    if (auto st = p.feed(input.substr(i, chunk)); !st) {
      return st.error();
    }
    while (auto r = p.next()) {
      out.push_back(*r);
    }
  }
  return out;
}

TEST(ReplyParser, Table) {
  for (const ParseCase& c : kCases) {
    for (size_t chunk : {c.input.size() + 1, size_t{1}, size_t{7}}) {
      SCOPED_TRACE(c.name + " / chunk " + std::to_string(chunk));
      ReplyParser p;
      auto got = run(p, c.input, chunk);
      ASSERT_EQ(got.has_value(), c.ok) << (got ? "" : got.error().what);
      if (c.ok) {
        EXPECT_EQ(*got, c.want);
        EXPECT_EQ(p.idle(), c.idle);
      } else {
        EXPECT_EQ(got.error().code, Errc::protocol);
        EXPECT_TRUE(p.failed());
      }
    }
  }
}

TEST(ReplyParser, StaysFailed) {
  ReplyParser p;
  ASSERT_FALSE(p.feed("25\r\n"));
  auto again = p.feed("250 ok\r\n");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::protocol);
  EXPECT_FALSE(p.next());
}

TEST(ReplyParser, TenMegabyteLineFailsWithoutBuffering) {
  ReplyParser p;
  std::string huge = "250 " + std::string(10 * 1024 * 1024, 'x');
  auto st = p.feed(huge);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::protocol);
}

TEST(ReplyParser, HundredThousandContinuationLinesFail) {
  ReplyParser p;
  std::string many = repeat("250-x\r\n", 100000);
  bool failed = false;
  for (size_t i = 0; i < many.size() && !failed; i += 16384) {
    failed = !p.feed(std::string_view(many).substr(i, 16384));
  }
  EXPECT_TRUE(failed);
  EXPECT_TRUE(p.failed());
}

TEST(ReplyParser, TotalSizeLimit) {
  ReplyParser p(ReplyLimits{.max_line = 512, .max_lines = 1000, .max_reply = 1024});
  auto st = p.feed(repeat("250-" + std::string(100, 'x') + "\r\n", 11));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::protocol);
}

TEST(ReplyParser, IdleTracksUnconsumedBytes) {
  ReplyParser p;
  EXPECT_TRUE(p.idle());
  ASSERT_TRUE(p.feed("220 go ahead\r\n"));
  EXPECT_FALSE(p.idle());  // a reply waits
  ASSERT_TRUE(p.next());
  EXPECT_TRUE(p.idle());
  ASSERT_TRUE(p.feed("2"));
  EXPECT_FALSE(p.idle());  // part of a line
  ASSERT_TRUE(p.feed("50-a\r\n"));
  EXPECT_FALSE(p.idle());  // part of a reply
}

struct EnhancedCase {
  std::string text{};
  int klass = 2;
  std::string want{};
};

const EnhancedCase kEnhanced[] = {
    {.text = "2.0.0", .want = "2.0.0"},
    {.text = "2.0.0 ok", .want = "2.0.0"},
    {.text = "5.7.8 bad credentials", .klass = 5, .want = "5.7.8"},
    {.text = "5.7.8", .klass = 4, .want = ""},
    {.text = "2.0.", .want = ""},
    {.text = "2..0", .want = ""},
    {.text = "2.0.0x", .want = ""},
    {.text = "x2.0.0", .want = ""},
    {.text = "", .want = ""},
};

TEST(ReplyParser, EnhancedStatus) {
  for (const EnhancedCase& c : kEnhanced) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(parse_enhanced_status(c.text, c.klass), c.want);
  }
}

}  // namespace
}  // namespace rm
