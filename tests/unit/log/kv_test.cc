// Tests for log/kv.h: kv_quote leaves plain tokens alone and makes everything else one safe,
// quoted token.
#include "log/kv.h"

#include <gtest/gtest.h>

namespace rm {
namespace {

TEST(KvQuote, Table) {
  struct Case {
    std::string in;
    std::string want;
  };
  const Case kCases[] = {
      {.in = "deferred", .want = "deferred"},
      {.in = "<bob@example.org>", .want = "<bob@example.org>"},
      {.in = "smtp.example.net[192.0.2.7]:465", .want = "smtp.example.net[192.0.2.7]:465"},
      {.in = "", .want = "\"\""},
      {.in = "connect: Connection refused", .want = "\"connect: Connection refused\""},
      {.in = "say \"hi\"", .want = "\"say \\\"hi\\\"\""},
      {.in = "back\\slash", .want = "\"back\\\\slash\""},
      {.in = "a=b", .want = "\"a=b\""},
      {.in = "line\r\nstatus=sent", .want = "\"line\\r\\nstatus=sent\""},
      {.in = "tab\t", .want = "\"tab\\t\""},
      {.in = std::string("nul\0x", 5), .want = "\"nul\\x00x\""},
      {.in = "\x1b[31m", .want = "\"\\x1B[31m\""},
      {.in = "caf\xc3\xa9", .want = "\"caf\\xC3\\xA9\""},
      {.in = "del\x7f", .want = "\"del\\x7F\""},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(kv_quote(c.in), c.want);
  }
}

TEST(KvQuote, OutputIsAlwaysPrintableAscii) {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all += static_cast<char>(i);
  }
  for (char ch : kv_quote(all)) {
    auto u = static_cast<unsigned char>(ch);
    EXPECT_TRUE(u >= 0x20 && u < 0x7f) << static_cast<int>(u);
  }
}

}  // namespace
}  // namespace rm
