// Tests for mail/xtext.h: RFC 3461 §4 xtext both ways, and what decoding refuses.
#include "mail/xtext.h"

#include <gtest/gtest.h>

namespace rm {
namespace {

struct XtextCase {
  const char* raw;
  const char* text;
};

const XtextCase kRoundTrips[] = {
    {"", ""},
    {"plain", "plain"},
    {"Cron Daemon", "Cron+20Daemon"},
    {"a+b=c", "a+2Bb+3Dc"},
    {"\xc3\xa9t\xc3\xa9", "+C3+A9t+C3+A9"},
    {"tab\there", "tab+09here"},
};

TEST(Xtext, EncodesAndDecodesBackToTheSameOctets) {
  for (const auto& c : kRoundTrips) {
    SCOPED_TRACE(c.raw);
    EXPECT_EQ(xtext_encode(c.raw), c.text);
    EXPECT_EQ(xtext_decode(c.text), std::optional<std::string>(c.raw));
  }
}

TEST(Xtext, DecodingRefusesWhatXtextNeverCarries) {
  for (const char* bad : {"+", "+4", "+4g", "+zz", "a b", "a=b", "caf\xc3\xa9", "x+2b"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(xtext_decode(bad), std::nullopt);
  }
}

}  // namespace
}  // namespace rm
