// Tests for daemon/submission_ledger.h: connections held by tickets up to a limit; the sliding
// hour of messages, with slots given back when not committed; limit 0; forgetting idle uids;
// and several threads at once, with bounded counts and no sleeps.
#include "daemon/submission_ledger.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace rm {
namespace {

using namespace std::chrono_literals;

const MonoTime kT0 = MonoTime{} + 1000h;

MonoTime at(std::chrono::seconds offset) {
  return kT0 + offset;
}

TEST(SubmissionLedger, ConnectionsUpToTheLimitEachUidOnItsOwn) {
  SubmissionLedger ledger;
  std::vector<SubmissionLedger::Ticket> held;
  for (int i = 0; i < 2; ++i) {
    auto t = ledger.admit_connection(33, 2);
    ASSERT_TRUE(t);
    held.push_back(std::move(*t));
  }
  EXPECT_FALSE(ledger.admit_connection(33, 2));
  EXPECT_EQ(ledger.connections(33), 2u);
  EXPECT_TRUE(ledger.admit_connection(1000, 2)) << "another uid has its own count";
  EXPECT_TRUE(ledger.admit_connection(33, 3)) << "a higher limit (after a reload) admits";
  held.pop_back();  // one connection ends
  EXPECT_EQ(ledger.connections(33), 1u);
  auto again = ledger.admit_connection(33, 2);
  EXPECT_TRUE(again);
  held.clear();
  again.reset();
  EXPECT_EQ(ledger.connections(33), 0u);
  EXPECT_EQ(ledger.uids(), 0u) << "no connection, no message: forgotten";
}

TEST(SubmissionLedger, ZeroConnectionsIsUnlimitedAndATicketMovesOnce) {
  SubmissionLedger ledger;
  std::vector<SubmissionLedger::Ticket> held;
  for (int i = 0; i < 100; ++i) {
    auto t = ledger.admit_connection(33, 0);
    ASSERT_TRUE(t);
    held.push_back(std::move(*t));
  }
  EXPECT_EQ(ledger.connections(33), 100u);
  SubmissionLedger::Ticket moved = std::move(held.back());
  held.pop_back();  // the moved-from ticket ends nothing
  EXPECT_EQ(ledger.connections(33), 100u);
  moved = std::move(held.front());  // assigning ends the connection `moved` held
  EXPECT_EQ(ledger.connections(33), 99u);
  held.clear();
  EXPECT_EQ(ledger.connections(33), 1u);
}

struct Step {
  int minute;         // after kT0
  uint32_t per_hour;  // the limit in force
  bool admitted;
  bool commit = true;  // false: the slot is dropped (the spool commit failed)
};

struct WindowCase {
  const char* name;
  std::vector<Step> steps;
};

TEST(SubmissionLedger, MessagesPerSlidingHour) {
  const WindowCase kCases[] = {
      {.name = "three an hour; each frees its place an hour after it was taken",
       .steps = {{.minute = 0, .per_hour = 3, .admitted = true},
                 {.minute = 10, .per_hour = 3, .admitted = true},
                 {.minute = 20, .per_hour = 3, .admitted = true},
                 {.minute = 30, .per_hour = 3, .admitted = false},
                 {.minute = 59, .per_hour = 3, .admitted = false},
                 {.minute = 60, .per_hour = 3, .admitted = true},
                 {.minute = 61, .per_hour = 3, .admitted = false},
                 {.minute = 70, .per_hour = 3, .admitted = true},
                 {.minute = 200, .per_hour = 3, .admitted = true}}},
      {.name = "a slot not committed is given back",
       .steps = {{.minute = 0, .per_hour = 1, .admitted = true, .commit = false},
                 {.minute = 1, .per_hour = 1, .admitted = true, .commit = false},
                 {.minute = 2, .per_hour = 1, .admitted = true},
                 {.minute = 3, .per_hour = 1, .admitted = false}}},
      {.name = "refusals do not count",
       .steps = {{.minute = 0, .per_hour = 1, .admitted = true},
                 {.minute = 1, .per_hour = 1, .admitted = false},
                 {.minute = 2, .per_hour = 1, .admitted = false},
                 {.minute = 60, .per_hour = 1, .admitted = true}}},
      {.name = "a lower limit after a reload refuses until enough have aged out",
       .steps = {{.minute = 0, .per_hour = 5, .admitted = true},
                 {.minute = 1, .per_hour = 5, .admitted = true},
                 {.minute = 2, .per_hour = 5, .admitted = true},
                 {.minute = 3, .per_hour = 2, .admitted = false},
                 {.minute = 60, .per_hour = 2, .admitted = false},
                 {.minute = 61, .per_hour = 2, .admitted = true},
                 {.minute = 62, .per_hour = 2, .admitted = true},
                 {.minute = 63, .per_hour = 2, .admitted = false}}},
      {.name = "0 is unlimited, and not recorded",
       .steps = {{.minute = 0, .per_hour = 0, .admitted = true},
                 {.minute = 0, .per_hour = 0, .admitted = true},
                 {.minute = 0, .per_hour = 0, .admitted = true},
                 {.minute = 1, .per_hour = 1, .admitted = true},
                 {.minute = 2, .per_hour = 1, .admitted = false}}},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    SubmissionLedger ledger;
    for (const Step& s : c.steps) {
      SCOPED_TRACE(s.minute);
      auto slot = ledger.admit_message(33, s.per_hour, at(std::chrono::minutes(s.minute)));
      EXPECT_EQ(slot.has_value(), s.admitted);
      if (slot && s.commit) {
        slot->commit();
      }
    }
  }
}

TEST(SubmissionLedger, APendingSlotHoldsItsPlace) {
  SubmissionLedger ledger;
  auto first = ledger.admit_message(33, 1, at(0s));
  ASSERT_TRUE(first);
  EXPECT_EQ(ledger.messages(33, at(0s)), 1u);
  EXPECT_FALSE(ledger.admit_message(33, 1, at(1s))) << "a concurrent message waits its turn";
  SubmissionLedger::Slot moved = std::move(*first);
  first.reset();  // the moved-from slot gives nothing back
  EXPECT_EQ(ledger.messages(33, at(1s)), 1u);
  { SubmissionLedger::Slot dropped = std::move(moved); }
  EXPECT_EQ(ledger.messages(33, at(1s)), 0u);
  EXPECT_EQ(ledger.uids(), 0u);
  auto second = ledger.admit_message(33, 1, at(2s));
  ASSERT_TRUE(second);
  second->commit();
  second.reset();
  EXPECT_EQ(ledger.messages(33, at(2s)), 1u);
  EXPECT_EQ(ledger.messages(33, at(2s) + 1h), 0u);
}

// Times read before the lock may arrive out of order; the window still counts each.
TEST(SubmissionLedger, OutOfOrderTimes) {
  SubmissionLedger ledger;
  for (int minute : {10, 5, 20, 0}) {
    auto s = ledger.admit_message(33, 4, at(std::chrono::minutes(minute)));
    ASSERT_TRUE(s);
    s->commit();
  }
  EXPECT_FALSE(ledger.admit_message(33, 4, at(30min)));
  EXPECT_EQ(ledger.messages(33, at(61min)), 3u);
  auto s = ledger.admit_message(33, 4, at(61min));  // the one of minute 0 is an hour old
  EXPECT_TRUE(s);
  s.reset();  // given back: minute 61 no longer counts
  EXPECT_EQ(ledger.messages(33, at(61min)), 3u);
}

TEST(SubmissionLedger, ForgetsUidsIdleForAnHour) {
  SubmissionLedger ledger;
  for (uid_t uid = 1000; uid < 1100; ++uid) {
    auto s = ledger.admit_message(uid, 10, at(0s));
    ASSERT_TRUE(s);
    s->commit();
  }
  auto busy = ledger.admit_connection(1000, 0);  // still connected after the hour
  EXPECT_EQ(ledger.uids(), 100u);
  auto s = ledger.admit_message(2000, 10, at(59min));
  ASSERT_TRUE(s);
  s->commit();
  EXPECT_EQ(ledger.uids(), 101u) << "within the hour, every uid is kept";
  s = ledger.admit_message(2000, 10, at(61min));  // any message sweeps, at most once a minute
  ASSERT_TRUE(s);
  s->commit();
  EXPECT_EQ(ledger.uids(), 2u) << "2000 with its messages, 1000 with its connection";
  busy.reset();
  EXPECT_EQ(ledger.uids(), 1u);
  EXPECT_EQ(ledger.messages(2000, at(61min)), 2u);
}

// Several threads on the same uids: the limits hold exactly, and every count returns to 0.
TEST(SubmissionLedger, ThreadsNeverExceedTheLimits) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  constexpr uint32_t kConnections = 3;
  constexpr uint32_t kPerHour = 100;
  SubmissionLedger ledger;
  std::atomic<int> open = 0;
  std::atomic<int> most_open = 0;
  std::atomic<int> committed = 0;
  std::vector<std::thread> threads;
  for (int k = 0; k < kThreads; ++k) {
    threads.emplace_back([&, k] {
      for (int i = 0; i < kRounds; ++i) {
        if (auto t = ledger.admit_connection(33, kConnections)) {
          int now_open = ++open;
          int seen = most_open.load();
          while (now_open > seen && !most_open.compare_exchange_weak(seen, now_open)) {
          }
          --open;
        }
        // Every other slot is dropped, as when the spool commit fails: given back.
        if (auto s = ledger.admit_message(1000, kPerHour, at(std::chrono::seconds(i)))) {
          if ((i + k) % 2 == 0) {
            s->commit();
            ++committed;
          }
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_GE(most_open.load(), 1);
  EXPECT_LE(most_open.load(), static_cast<int>(kConnections));
  EXPECT_EQ(ledger.connections(33), 0u);
  EXPECT_EQ(committed.load(), static_cast<int>(kPerHour));
  EXPECT_EQ(ledger.messages(1000, at(std::chrono::seconds(kRounds))), kPerHour);
  EXPECT_EQ(ledger.uids(), 1u) << "uid 33 is forgotten, 1000 has its messages";
}

}  // namespace
}  // namespace rm
