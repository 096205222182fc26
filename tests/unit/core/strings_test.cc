// Tests for core/strings.h: trim and trim_right with each character set the modules use.
#include "core/strings.h"

#include <gtest/gtest.h>

#include <string>

namespace rm {
namespace {

TEST(Strings, Trim) {
  struct Case {
    const char* name;
    std::string_view in;
    std::string_view chars;
    std::string_view both;   // trim
    std::string_view right;  // trim_right
  };
  const Case kCases[] = {
      {.name = "empty", .in = "", .chars = kBlanks, .both = "", .right = ""},
      {.name = "nothing to trim", .in = "a b", .chars = kBlanks, .both = "a b", .right = "a b"},
      {.name = "blanks", .in = " \ta b\t ", .chars = kBlanks, .both = "a b", .right = " \ta b"},
      {.name = "only blanks", .in = " \t \t", .chars = kBlanks, .both = "", .right = ""},
      {.name = "CR is kept by kBlanks",
       .in = " a\r",
       .chars = kBlanks,
       .both = "a\r",
       .right = " a\r"},
      {.name = "CR goes with kBlanksCr",
       .in = "\r\t a \r",
       .chars = kBlanksCr,
       .both = "a",
       .right = "\r\t a"},
      {.name = "kSpace keeps tabs",
       .in = " \ta\t ",
       .chars = kSpace,
       .both = "\ta\t",
       .right = " \ta\t"},
      {.name = "inner blanks stay",
       .in = "  a \t b  ",
       .chars = kBlanks,
       .both = "a \t b",
       .right = "  a \t b"},
      {.name = "line end", .in = "x:y\r\n", .chars = "\r\n", .both = "x:y", .right = "x:y"},
      {.name = "no set", .in = " a ", .chars = "", .both = " a ", .right = " a "},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(trim(c.in, c.chars), c.both);
    EXPECT_EQ(trim_right(c.in, c.chars), c.right);
  }
  EXPECT_EQ(trim(" \tx\t "), "x");  // kBlanks is the default
}

TEST(Strings, TrimViewsTheArgument) {
  const std::string s = "  abc  ";
  const std::string_view t = trim(s);
  EXPECT_EQ(t.data(), s.data() + 2);
  const std::string blank = "   ";
  const std::string_view e = trim(blank);
  EXPECT_TRUE(e.empty());
  EXPECT_EQ(e.data(), blank.data() + blank.size());
}

}  // namespace
}  // namespace rm
