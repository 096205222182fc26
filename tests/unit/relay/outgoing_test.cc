// Tests for relay/outgoing.h: what an entry becomes on the wire for an account.
#include "relay/outgoing.h"

#include <gtest/gtest.h>

namespace rm {
namespace {

QueueEntry entry() {
  QueueEntry e;
  e.sender = "alice@example.org";
  e.rcpts = {{"a@x.test", RcptState::sent, ""},
             {"b@x.test", RcptState::pending, ""},
             {"c@x.test", RcptState::deferred, ""}};
  e.size = 42;
  return e;
}

TEST(Outgoing, EightBitFromTheBytesOrFromDashB) {
  struct Case {
    bool eightbit;
    const char* body_type;
    bool want;
  };
  const Case cases[] = {
      {false, "", false},     {true, "", true}, {false, "8BITMIME", true},  // -B 8BITMIME: declared
      {true, "7BIT", true},  // -B 7BIT cannot make 8-bit bytes 7-bit
      {false, "7BIT", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.body_type) + (c.eightbit ? " 8-bit" : " 7-bit"));
    QueueEntry e = entry();
    e.eightbit = c.eightbit;
    e.body_type = c.body_type;
    EXPECT_EQ(make_outgoing(e, Account{}, Config{}, {1, 2}, nullptr).eightbit, c.want);
  }
}

TEST(Outgoing, RecipientsSizeAndDsnParameters) {
  QueueEntry e = entry();
  e.dsn_notify = "failure,delay";
  e.dsn_ret = "HDRS";
  e.dsn_envid = "x+y";
  OutgoingMessage m = make_outgoing(e, Account{}, Config{}, {1, 2}, nullptr);
  EXPECT_EQ(m.sender, "alice@example.org");
  EXPECT_EQ(m.rcpts, (std::vector<std::string>{"b@x.test", "c@x.test"}));
  EXPECT_EQ(m.size, 42u);
  EXPECT_EQ(m.dsn_notify, "failure,delay");
  EXPECT_EQ(m.dsn_ret, "HDRS");
  EXPECT_EQ(m.dsn_envid, "x+y");
}

TEST(Outgoing, RealDomains) {
  EXPECT_TRUE(has_real_domain("a@example.org"));
  EXPECT_FALSE(has_real_domain("www-data@localhost"));
  EXPECT_FALSE(has_real_domain("cron@web1"));
  EXPECT_FALSE(has_real_domain("root@localhost.localdomain"));
  EXPECT_FALSE(has_real_domain("root"));
}

}  // namespace
}  // namespace rm
