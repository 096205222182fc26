// Tests for relay/connection_pool.h against the in-process fake smarthost (real TCP, STARTTLS,
// AUTH): reuse, the per-account cap, messages_per_connection, broken sessions, idle close, and
// an unreachable smarthost costing one connection attempt however many ask, until down_for.
#include "relay/connection_pool.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "unit/relay/runner_fixture.h"

namespace rm {
namespace {

using After = DeliveryAttempt::SessionAfter;
using namespace std::chrono_literals;

class ConnectionPoolTest : public test::RunnerFixture {
 protected:
  const Account& account() const { return config_.accounts.at(0); }
  test::SlowConnector connector_{nullptr, 0};
};

TEST_F(ConnectionPoolTest, AReleasedSessionIsReused) {
  start_server();
  ConnectionPool pool(connector_, clock_);
  auto first = pool.acquire(account());
  ASSERT_TRUE(first && *first) << (first ? "" : first.error().what);
  SmtpClient* client = &first->client();
  pool.release(std::move(*first));
  auto again = pool.acquire(account());
  ASSERT_TRUE(again && *again);
  EXPECT_EQ(&again->client(), client);
  EXPECT_EQ(connector_.connects.load(), 1);
  EXPECT_TRUE(pool.reached("test"));
  EXPECT_FALSE(pool.reached("other"));
}

TEST_F(ConnectionPoolTest, NoMoreThanConnectionsPerAccount) {
  start_server();
  config_.accounts[0].connections = 2;
  ConnectionPool pool(connector_, clock_);
  auto a = pool.acquire(account());
  auto b = pool.acquire(account());
  auto c = pool.acquire(account());
  ASSERT_TRUE(a && *a && b && *b);
  ASSERT_TRUE(c);
  EXPECT_FALSE(*c) << "a third session while two are leased";
  EXPECT_EQ(connector_.connects.load(), 2);
  pool.release(std::move(*a));
  auto d = pool.acquire(account());
  ASSERT_TRUE(d && *d);
  EXPECT_EQ(connector_.connects.load(), 2) << "the idle one, not a new one";
  // A closed session makes room: dropping a lease closes it.
  { ConnectionPool::Lease gone = std::move(*b); }
  auto e = pool.acquire(account());
  ASSERT_TRUE(e && *e);
  EXPECT_EQ(connector_.connects.load(), 3);
}

TEST_F(ConnectionPoolTest, SessionsCloseWhenSpentOrBroken) {
  struct Case {
    const char* name;
    uint32_t per_connection;
    std::vector<After> sends;
    bool open_after;
  };
  const Case kCases[] = {
      {"no limit", 0, {After::reusable, After::reusable, After::reusable}, true},
      {"spent after two", 2, {After::reusable, After::reusable}, false},
      {"one of two", 2, {After::reusable}, true},
      {"untouched counts nothing", 1, {After::untouched, After::untouched}, true},
      {"broken", 0, {After::broken}, false},
  };
  start_server();
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    config_.accounts[0].messages_per_connection = c.per_connection;
    ConnectionPool pool(connector_, clock_);
    auto lease = pool.acquire(account());
    ASSERT_TRUE(lease && *lease);
    for (After a : c.sends) {
      pool.after_send(*lease, a);
    }
    EXPECT_EQ(static_cast<bool>(*lease), c.open_after);
    if (!c.open_after) {  // its place is free again
      config_.accounts[0].connections = 1;
      auto next = pool.acquire(account());
      ASSERT_TRUE(next && *next);
      config_.accounts[0].connections = 3;
    }
  }
}

TEST_F(ConnectionPoolTest, IdleSessionsAreClosed) {
  start_server();
  ConnectionPool pool(connector_, clock_);
  auto lease = pool.acquire(account());
  ASSERT_TRUE(lease && *lease);
  pool.release(std::move(*lease));
  pool.close_idle(1h);  // not idle that long: kept
  auto kept = pool.acquire(account());
  ASSERT_TRUE(kept && *kept);
  EXPECT_EQ(connector_.connects.load(), 1);
  pool.release(std::move(*kept));
  pool.close_idle(0ms);
  auto fresh = pool.acquire(account());
  ASSERT_TRUE(fresh && *fresh);
  EXPECT_EQ(connector_.connects.load(), 2);
  EXPECT_EQ(server_->transcript_text(0).find("QUIT") != std::string::npos, true)
      << server_->transcript_text(0);
}

TEST_F(ConnectionPoolTest, AnUnreachableSmarthostCostsOneAttemptUntilDownForHasPassed) {
  start_server();
  server_->stop();  // nobody listens on that port any more
  for (bool forever : {true, false}) {
    SCOPED_TRACE(forever ? "down for the pool's life" : "down for no time");
    connector_.connects = 0;
    ConnectionPool::Options opts;
    if (!forever) {
      opts.down_for = 0ms;
    }
    ConnectionPool pool(connector_, clock_, opts);
    constexpr int kAskers = 6;
    std::vector<std::thread> threads;
    std::atomic<int> failed = 0;
    for (int k = 0; k < kAskers; ++k) {
      threads.emplace_back([&] {
        auto l = pool.acquire(account());
        failed += l ? 0 : 1;
      });
    }
    for (std::thread& t : threads) {
      t.join();
    }
    EXPECT_EQ(failed.load(), kAskers);
    if (forever) {
      EXPECT_EQ(connector_.connects.load(), 1) << "the others waited for the first one's result";
      auto again = pool.acquire(account());
      ASSERT_FALSE(again);
      EXPECT_EQ(connector_.connects.load(), 1);
    } else {
      int before = connector_.connects.load();
      EXPECT_FALSE(pool.acquire(account()));
      EXPECT_EQ(connector_.connects.load(), before + 1) << "down_for passed: tried again";
    }
    EXPECT_FALSE(pool.reached("test"));
  }
}

// An account that was reached once and then lost (the laptop went offline): the first failed
// connect with nothing open marks it down, so a daemon's many due entries cost one attempt.
TEST_F(ConnectionPoolTest, AnAccountLostAfterItWasReachedIsDownToo) {
  start_server();
  ConnectionPool pool(connector_, clock_);
  {
    auto lease = pool.acquire(account());
    ASSERT_TRUE(lease && *lease);
  }  // dropped: closed, nothing of the account is open
  server_->stop();
  EXPECT_FALSE(pool.acquire(account()));
  EXPECT_FALSE(pool.acquire(account()));
  EXPECT_EQ(connector_.connects.load(), 2) << "one for the session, one for the failure";
  EXPECT_TRUE(pool.reached("test"));
}

}  // namespace
}  // namespace rm
