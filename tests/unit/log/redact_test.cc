// Tests for log/redact.h: AUTH payloads and challenge responses never reach a trace.
#include "log/redact.h"

#include <gtest/gtest.h>

namespace rm {
namespace {

TEST(RedactSmtpLine, Table) {
  struct Case {
    const char* in;
    bool challenge;
    const char* want;
  };
  const Case kCases[] = {
      {.in = "AUTH PLAIN AGJvYgBzZWNyZXQ=", .challenge = false, .want = "AUTH PLAIN <redacted>"},
      {.in = "AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n",
       .challenge = false,
       .want = "AUTH PLAIN <redacted>\r\n"},
      {.in = "auth login Ym9i", .challenge = false, .want = "auth login <redacted>"},
      {.in = "AUTH XOAUTH2 dXNlcj1ib2IBYXV0aD1CZWFyZXIgdG9rZW4BAQ==",
       .challenge = false,
       .want = "AUTH XOAUTH2 <redacted>"},
      {.in = "AUTH PLAIN secret with spaces", .challenge = false, .want = "AUTH PLAIN <redacted>"},
      {.in = "AUTH LOGIN", .challenge = false, .want = "AUTH LOGIN"},
      {.in = "AUTH CRAM-MD5\r\n", .challenge = false, .want = "AUTH CRAM-MD5\r\n"},
      {.in = "AUTH PLAIN ", .challenge = false, .want = "AUTH PLAIN "},
      {.in = "AUTH", .challenge = false, .want = "AUTH"},
      {.in = "AUTHX PLAIN abc", .challenge = false, .want = "AUTHX PLAIN abc"},
      {.in = "MAIL FROM:<a@b.test>", .challenge = false, .want = "MAIL FROM:<a@b.test>"},
      {.in = "EHLO client.test\r\n", .challenge = false, .want = "EHLO client.test\r\n"},
      {.in = "c2VjcmV0", .challenge = true, .want = "<redacted>"},
      {.in = "c2VjcmV0\r\n", .challenge = true, .want = "<redacted>\r\n"},
      {.in = "Ym9iIDVmNGRjYzNiNWFhNzY1ZDYxZDgzMjdkZWI4ODJjZjk5",
       .challenge = true,
       .want = "<redacted>"},
      {.in = "", .challenge = true, .want = "<redacted>"},
      {.in = "*\r\n", .challenge = true, .want = "*\r\n"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(redact_smtp_line(c.in, c.challenge), c.want);
  }
}

}  // namespace
}  // namespace rm
