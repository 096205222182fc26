// Tests for daemon/scheduler.h: due order, one time per id (the earlier wins), a new entry due
// now wakes a waiting worker at once, take_all() empties it, stop() releases every waiter.
#include "daemon/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace rm {
namespace {

using namespace std::chrono_literals;

MonoTime now() {
  return std::chrono::steady_clock::now();
}

TEST(Scheduler, DueOrderAndOneTimePerId) {
  Scheduler s;
  const MonoTime t = now();
  s.add("c", t - 1s);
  s.add("a", t - 3s);
  s.add("b", t - 2s);
  s.add("a", t - 1s);   // later than its time: ignored
  s.add("c", t - 10s);  // earlier: wins
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s.next(), "c");
  EXPECT_EQ(s.next(), "a");
  EXPECT_EQ(s.next(), "b");
  EXPECT_EQ(s.size(), 0u);
  s.add("later", t + 1h);
  s.add("soon", t - 1s);
  EXPECT_EQ(s.take_all(), (std::vector<std::string>{"soon", "later"}));
  EXPECT_EQ(s.size(), 0u);
}

TEST(Scheduler, ANewEntryWakesAWaitingWorkerAndStopReleasesEveryone) {
  Scheduler s;
  s.add("far", now() + 1h);
  std::atomic<int> got = 0;
  std::vector<std::thread> workers;
  std::vector<std::string> seen(3);
  for (int k = 0; k < 3; ++k) {
    workers.emplace_back([&, k] {
      if (auto id = s.next()) {
        seen[k] = *id;
        ++got;
      }
    });
  }
  s.add("now", now());
  auto deadline = now() + 10s;
  while (got.load() < 1 && now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(got.load(), 1) << "only the due entry is taken; 'far' waits";
  s.stop();
  for (std::thread& w : workers) {
    w.join();
  }
  EXPECT_EQ(got.load(), 1);
  EXPECT_EQ(s.next(), std::nullopt);
}

}  // namespace
}  // namespace rm
