// Tests for relay/retry_policy.h delay_warning(): the pure decision whether an entry, as an
// attempt leaves it, is owed its one delay warning now (retry.warn, never for <>, once per
// entry, NOTIFY with DELAY or absent), which recipients it lists and until when it says retries
// go on.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "relay/retry_policy.h"

namespace rm {
namespace {

constexpr char kBoot[] = "11111111-1111-4111-8111-111111111111";
constexpr char kOtherBoot[] = "22222222-2222-4222-8222-222222222222";
constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kWall = 1'700'000'000;  // when the entry was accepted
constexpr int64_t kUptime = 5000;         // boot seconds then

RetryConfig retry_config(int64_t warn = 4 * kHour) {
  RetryConfig r;
  r.lifetime = std::chrono::seconds(5 * kDay);
  r.warn = std::chrono::seconds(warn);
  return r;
}

RcptEntry rcpt(const char* addr, RcptState state, const char* reply = "451 4.3.0 try later") {
  return RcptEntry{.addr = addr, .state = state, .last_reply = reply};
}

// Accepted at kWall / kUptime in kBoot, tried and deferred: one sent, one failed, two still due.
QueueEntry entry() {
  QueueEntry e;
  e.id = "0006010A1B2C3DA1B2C3";
  e.sender = "alice@example.org";
  e.rcpts = {rcpt("sent@example.org", RcptState::sent, "250 ok"),
             rcpt("deferred@example.org", RcptState::deferred),
             rcpt("failed@example.org", RcptState::failed, "550 5.1.1 no"),
             rcpt("pending@example.org", RcptState::pending, "")};
  e.created = kWall;
  e.attempts = 3;
  e.boot_id = kBoot;
  e.created_boot = kUptime;
  return e;
}

// `age` seconds after acceptance, by both clocks.
ClockReading after(int64_t age) {
  return ClockReading{kWall + age, BootTime{kBoot, kUptime + age}};
}

struct Case {
  const char* name;
  RetryConfig retry;
  QueueEntry entry;
  ClockReading now;
  bool due;
  std::vector<size_t> rcpts;  // when due
};

QueueEntry with(void (*change)(QueueEntry&)) {
  QueueEntry e = entry();
  change(e);
  return e;
}

const std::vector<size_t> kStillToDo = {1, 3};  // the deferred and the pending recipient

std::vector<Case> cases() {
  return {
      {.name = "younger than warn",
       .retry = retry_config(),
       .entry = entry(),
       .now = after(4 * kHour - 1),
       .due = false,
       .rcpts = {}},
      {.name = "exactly warn old",
       .retry = retry_config(),
       .entry = entry(),
       .now = after(4 * kHour),
       .due = true,
       .rcpts = kStillToDo},
      {.name = "older than warn",
       .retry = retry_config(),
       .entry = entry(),
       .now = after(2 * kDay),
       .due = true,
       .rcpts = kStillToDo},
      {.name = "already warned",
       .retry = retry_config(),
       .entry = with([](QueueEntry& e) { e.warned = kWall + 4 * kHour; }),
       .now = after(2 * kDay),
       .due = false,
       .rcpts = {}},
      {.name = "null sender: a bounce is never warned about",
       .retry = retry_config(),
       .entry = with([](QueueEntry& e) { e.sender = ""; }),
       .now = after(2 * kDay),
       .due = false,
       .rcpts = {}},
      {.name = "warn 0: never",
       .retry = retry_config(0),
       .entry = entry(),
       .now = after(4 * kDay),
       .due = false,
       .rcpts = {}},
      {.name = "every recipient sent or failed",
       .retry = retry_config(),
       .entry = with([](QueueEntry& e) {
         e.rcpts[1].state = RcptState::sent;
         e.rcpts[3].state = RcptState::failed;
       }),
       .now = after(2 * kDay),
       .due = false,
       .rcpts = {}},
      {.name = "NOTIFY absent: the default allows it",
       .retry = retry_config(),
       .entry = with([](QueueEntry& e) { e.dsn_notify = ""; }),
       .now = after(5 * kHour),
       .due = true,
       .rcpts = kStillToDo},
      {.name = "NOTIFY=DELAY",
       .retry = retry_config(),
       .entry = with([](QueueEntry& e) { e.dsn_notify = "DELAY"; }),
       .now = after(5 * kHour),
       .due = true,
       .rcpts = kStillToDo},
      {.name = "NOTIFY=FAILURE,DELAY",
       .retry = retry_config(),
       .entry = with([](QueueEntry& e) { e.dsn_notify = "FAILURE,DELAY"; }),
       .now = after(5 * kHour),
       .due = true,
       .rcpts = kStillToDo},
      {.name = "NOTIFY=success, delay (case and blanks)",
       .retry = retry_config(),
       .entry = with([](QueueEntry& e) { e.dsn_notify = "success, delay"; }),
       .now = after(5 * kHour),
       .due = true,
       .rcpts = kStillToDo},
      // Due, so the entry is marked warned, but nobody is listed: nothing is sent.
      {.name = "NOTIFY=NEVER",
       .retry = retry_config(),
       .entry = with([](QueueEntry& e) { e.dsn_notify = "NEVER"; }),
       .now = after(5 * kHour),
       .due = true,
       .rcpts = {}},
      {.name = "NOTIFY=FAILURE",
       .retry = retry_config(),
       .entry = with([](QueueEntry& e) { e.dsn_notify = "FAILURE"; }),
       .now = after(5 * kHour),
       .due = true,
       .rcpts = {}},
      {.name = "NOTIFY=SUCCESS",
       .retry = retry_config(),
       .entry = with([](QueueEntry& e) { e.dsn_notify = "SUCCESS"; }),
       .now = after(5 * kHour),
       .due = true,
       .rcpts = {}},
      {.name = "NOTIFY=FAILURE,SUCCESS",
       .retry = retry_config(),
       .entry = with([](QueueEntry& e) { e.dsn_notify = "FAILURE,SUCCESS"; }),
       .now = after(5 * kHour),
       .due = true,
       .rcpts = {}},
      // The age is read as retry timing reads it: within one boot, on the boot clock.
      {.name = "wall clock a day ahead, boot clock an hour: not yet",
       .retry = retry_config(),
       .entry = entry(),
       .now = ClockReading{kWall + kDay, BootTime{kBoot, kUptime + kHour}},
       .due = false,
       .rcpts = {}},
      {.name = "after a reboot the wall clock counts",
       .retry = retry_config(),
       .entry = entry(),
       .now = ClockReading{kWall + 5 * kHour, BootTime{kOtherBoot, 60}},
       .due = true,
       .rcpts = kStillToDo},
  };
}

TEST(DelayWarning, Decision) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const DelayWarning w = delay_warning(c.retry, c.entry, c.now);
    EXPECT_EQ(w.due, c.due);
    EXPECT_EQ(w.rcpts, c.rcpts);
  }
}

// Will-Retry-Until: when the lifetime ends, by the clock that decides the entry's age.
TEST(DelayWarning, RetryUntilIsTheEndOfTheLifetime) {
  const struct {
    const char* name;
    ClockReading now;
    int64_t want;
  } kCases[] = {
      {.name = "clocks agree", .now = after(5 * kHour), .want = kWall + 5 * kDay},
      {.name = "wall clock set back an hour",
       .now = ClockReading{kWall + 4 * kHour, BootTime{kBoot, kUptime + 5 * kHour}},
       .want = kWall - kHour + 5 * kDay},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    const DelayWarning w = delay_warning(retry_config(), entry(), c.now);
    ASSERT_TRUE(w.due);
    EXPECT_EQ(w.retry_until, c.want);
  }
}

}  // namespace
}  // namespace rm
