// Tests for queue/queue_entry.h: state names both ways and has_pending().
#include "queue/queue_entry.h"

#include <gtest/gtest.h>

namespace rm {
namespace {

TEST(RcptState, NamesRoundTrip) {
  struct Case {
    RcptState state;
    const char* name;
  };
  const Case kCases[] = {
      {.state = RcptState::pending, .name = "pending"},
      {.state = RcptState::sent, .name = "sent"},
      {.state = RcptState::deferred, .name = "deferred"},
      {.state = RcptState::failed, .name = "failed"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_STREQ(rcpt_state_name(c.state), c.name);
    EXPECT_EQ(rcpt_state_from_name(c.name), c.state);
  }
  EXPECT_EQ(rcpt_state_from_name("Pending"), std::nullopt);
  EXPECT_EQ(rcpt_state_from_name(""), std::nullopt);
}

TEST(QueueEntry, HasPending) {
  struct Case {
    const char* name;
    std::vector<RcptState> states;
    bool want;
  };
  const Case kCases[] = {
      {.name = "none", .states = {}, .want = false},
      {.name = "pending", .states = {RcptState::sent, RcptState::pending}, .want = true},
      {.name = "deferred", .states = {RcptState::failed, RcptState::deferred}, .want = true},
      {.name = "all done", .states = {RcptState::sent, RcptState::failed}, .want = false},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    QueueEntry e;
    for (RcptState s : c.states) {
      e.rcpts.push_back({.addr = "a@b.test", .state = s, .last_reply = ""});
    }
    EXPECT_EQ(e.has_pending(), c.want);
  }
}

}  // namespace
}  // namespace rm
