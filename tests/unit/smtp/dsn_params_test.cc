// DSN parameters (RFC 3461): the spool's values checked and rendered for MAIL and RCPT.
#include "smtp/dsn_params.h"

#include <gtest/gtest.h>

#include <string>

namespace rm {
namespace {

struct XtextCase {
  std::string in{};
  std::string want{};
};

TEST(Xtext, Table) {
  const XtextCase cases[] = {
      {.in = "", .want = ""},
      {.in = "bob@example.org", .want = "bob@example.org"},
      {.in = "a+b=c", .want = "a+2Bb+3Dc"},
      {.in = "sp ace", .want = "sp+20ace"},
      {.in = "!~", .want = "!~"},
      {.in = std::string("\x00\x1f\x7f", 3), .want = "+00+1F+7F"},
      {.in = "j\xc3\xb6rg", .want = "j+C3+B6rg"},
  };
  for (const XtextCase& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(xtext_encode(c.in), c.want);
  }
}

struct DsnCase {
  std::string name{};
  std::string notify{}, ret{}, envid{};
  bool ok = true;
  std::string mail{};
  std::string rcpt{};  // for bob+x@example.org
};

TEST(DsnParams, Table) {
  const DsnCase cases[] = {
      {.name = "nothing given", .rcpt = " ORCPT=rfc822;bob+2Bx@example.org"},
      {.name = "lower case as the spool keeps it",
       .notify = "success,delay",
       .ret = "hdrs",
       .envid = "QID 7",
       .mail = " RET=HDRS ENVID=QID+207",
       .rcpt = " NOTIFY=SUCCESS,DELAY ORCPT=rfc822;bob+2Bx@example.org"},
      {.name = "NEVER",
       .notify = "Never",
       .rcpt = " NOTIFY=NEVER ORCPT=rfc822;bob+2Bx@example.org"},
      {.name = "all three",
       .notify = "FAILURE,SUCCESS,DELAY",
       .ret = "FULL",
       .mail = " RET=FULL",
       .rcpt = " NOTIFY=FAILURE,SUCCESS,DELAY ORCPT=rfc822;bob+2Bx@example.org"},
      {.name = "ENVID of 100 xtext characters",
       .envid = std::string(100, 'e'),
       .mail = " ENVID=" + std::string(100, 'e'),
       .rcpt = " ORCPT=rfc822;bob+2Bx@example.org"},
      {.name = "ENVID of 101", .envid = std::string(101, 'e'), .ok = false},
      {.name = "ENVID growing past 100 when encoded", .envid = std::string(34, ' '), .ok = false},
      {.name = "NEVER and more", .notify = "NEVER,FAILURE", .ok = false},
      {.name = "empty element", .notify = "SUCCESS,,FAILURE", .ok = false},
      {.name = "trailing comma", .notify = "SUCCESS,", .ok = false},
      {.name = "spaces", .notify = "SUCCESS, FAILURE", .ok = false},
      {.name = "unknown word", .notify = "ALWAYS", .ok = false},
      {.name = "bad RET", .ret = "BODY", .ok = false},
      {.name = "RET with CRLF", .ret = "FULL\r\nRSET", .ok = false},
  };
  for (const DsnCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto p = DsnParams::parse(c.notify, c.ret, c.envid);
    ASSERT_EQ(p.has_value(), c.ok);
    if (!c.ok) {
      EXPECT_EQ(p.error().code, Errc::parse);
      EXPECT_EQ(p.error().what.find('\r'), std::string::npos);  // nothing raw in the text
      continue;
    }
    EXPECT_EQ(p->mail_params(), c.mail);
    EXPECT_EQ(p->rcpt_params("bob+x@example.org"), c.rcpt);
  }
}

}  // namespace
}  // namespace rm
