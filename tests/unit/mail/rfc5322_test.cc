// Tests for mail/rfc5322.h: dates with numeric zones, display names, mailboxes.
#include "mail/rfc5322.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>

namespace rm {
namespace {

struct DateCase {
  int64_t when;
  int32_t offset;
  const char* want;
};

TEST(FormatRfc5322Date, Table) {
  const DateCase kCases[] = {
      {.when = 0, .offset = 0, .want = "Thu, 01 Jan 1970 00:00:00 +0000"},
      {.when = 1751371200, .offset = 0, .want = "Tue, 01 Jul 2025 12:00:00 +0000"},
      {.when = 1751371200, .offset = 7200, .want = "Tue, 01 Jul 2025 14:00:00 +0200"},
      {.when = 1751371200, .offset = 19800, .want = "Tue, 01 Jul 2025 17:30:00 +0530"},
      {.when = 1751371200, .offset = -12600, .want = "Tue, 01 Jul 2025 08:30:00 -0330"},
      {.when = 1751371200, .offset = -13 * 3600, .want = "Mon, 30 Jun 2025 23:00:00 -1300"},
      {.when = 1709208000, .offset = 0, .want = "Thu, 29 Feb 2024 12:00:00 +0000"},
      {.when = 4102444799, .offset = 0, .want = "Thu, 31 Dec 2099 23:59:59 +0000"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.want);
    EXPECT_EQ(format_rfc5322_date(c.when, c.offset), c.want);
  }
}

// Restores TZ whatever the test does.
class TzGuard {
 public:
  TzGuard() {
    const char* tz = std::getenv("TZ");
    had_ = tz != nullptr;
    old_ = had_ ? tz : "";
  }
  ~TzGuard() {
    if (had_) {
      setenv("TZ", old_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  void set(const char* tz) {
    setenv("TZ", tz, 1);
    tzset();
  }

 private:
  bool had_ = false;
  std::string old_;
};

TEST(LocalUtcOffset, FollowsTz) {
  TzGuard guard;
  guard.set("UTC0");
  EXPECT_EQ(local_utc_offset(1751371200), 0);
  guard.set("EST5");
  EXPECT_EQ(local_utc_offset(1751371200), -5 * 3600);
  guard.set("IST-5:30");
  EXPECT_EQ(local_utc_offset(1751371200), 5 * 3600 + 1800);
}

struct NameCase {
  const char* in;
  const char* want;
};

TEST(RenderDisplayName, Table) {
  const NameCase kCases[] = {
      {.in = "", .want = ""},
      {.in = "   ", .want = ""},
      {.in = "CronDaemon", .want = "CronDaemon"},
      {.in = "Cron Daemon", .want = "Cron Daemon"},
      {.in = "  padded  ", .want = "padded"},
      {.in = "Doe, J", .want = "\"Doe, J\""},
      {.in = "J. Doe", .want = "\"J. Doe\""},
      {.in = "(Cron Daemon)", .want = "\"(Cron Daemon)\""},
      {.in = "say \"hi\" \\o/", .want = "\"say \\\"hi\\\" \\\\o/\""},
      {.in = "Eve\r\nBcc: x@evil", .want = "\"Eve  Bcc: x@evil\""},
      {.in = "Jos\xc3\xa9", .want = "=?UTF-8?B?Sm9zw6k=?="},
      {.in = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
             "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
             "\xc3\xa9\xc3\xa9\xc3\xa9",
       .want = "=?UTF-8?B?w6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6k=?= "
               "=?UTF-8?B?w6k=?="},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(render_display_name(c.in), c.want);
  }
}

TEST(RenderMailbox, Table) {
  EXPECT_EQ(render_mailbox("", "a@x.org"), "<a@x.org>");
  EXPECT_EQ(render_mailbox("Cron Daemon", "root@x.org"), "Cron Daemon <root@x.org>");
  EXPECT_EQ(render_mailbox("Doe, J", "j@x.org"), "\"Doe, J\" <j@x.org>");
}

}  // namespace
}  // namespace rm
