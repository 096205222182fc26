// Tests for queue/queue_entry.h: state names both ways, has_pending() and requeued().
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

TEST(QueueEntry, RequeuedResetsRetriesAndUndeliveredRecipients) {
  struct Case {
    RcptState before;
    RcptState after;
  };
  const Case kCases[] = {
      {.before = RcptState::pending, .after = RcptState::pending},
      {.before = RcptState::sent, .after = RcptState::sent},
      {.before = RcptState::deferred, .after = RcptState::pending},
      {.before = RcptState::failed, .after = RcptState::pending},
  };
  QueueEntry e;
  e.id = "0006010A1B2C3DA1B2C3";
  e.attempts = 7;
  e.next_try = 5000;
  e.created = 1000;
  e.last_error = "550 5.1.1 no";
  for (const Case& c : kCases) {
    e.rcpts.push_back({.addr = std::string(rcpt_state_name(c.before)) + "@b.test",
                       .state = c.before,
                       .last_reply = std::string("reply for ") + rcpt_state_name(c.before)});
  }
  QueueEntry got = requeued(e, 4242);
  EXPECT_EQ(got.attempts, 0u);
  EXPECT_EQ(got.next_try, 4242);
  EXPECT_EQ(got.created, 1000);
  EXPECT_EQ(got.last_error, e.last_error);
  ASSERT_EQ(got.rcpts.size(), std::size(kCases));
  for (size_t i = 0; i < got.rcpts.size(); ++i) {
    SCOPED_TRACE(got.rcpts[i].addr);
    EXPECT_EQ(got.rcpts[i].state, kCases[i].after);
    EXPECT_EQ(got.rcpts[i].last_reply, e.rcpts[i].last_reply);
  }
}

}  // namespace
}  // namespace rm
