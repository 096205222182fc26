// Tests for relay/delivery_attempt.h on its own, without a queue run: an attempt of one entry
// takes its lock or stands back, fails or sends, and concludes with the entry deferred, failed
// (bounced) or done on disk, as a table of the error met.
#include "relay/delivery_attempt.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "relay/connection_pool.h"
#include "unit/relay/runner_fixture.h"

namespace rm {
namespace {

using ::testing::HasSubstr;

class ZeroRandom final : public RandomSource {
 public:
  double uniform() override { return 0.0; }
};

class DeliveryAttemptTest : public test::RunnerFixture {
 protected:
  AttemptEnv env() {
    config_.admin = "ops@example.com";
    return AttemptEnv{std::make_shared<const Config>(config_), hostname_, *store_, clock_};
  }
  std::string hostname_ = "client.test";
  ZeroRandom random_;
};

TEST_F(DeliveryAttemptTest, StandsBackFromAnEntryHeldOrGone) {
  std::string id = enqueue({"bob@example.org"}, "Subject: x\r\n\r\nbody\r\n");
  AttemptEnv e = env();
  auto first = DeliveryAttempt::begin(e, id);
  ASSERT_TRUE(first && first->has_value());
  auto second = DeliveryAttempt::begin(e, id);
  ASSERT_TRUE(second) << second.error().what;
  EXPECT_FALSE(second->has_value()) << "two attempts of one entry at once";
  (*first)->release();
  ASSERT_TRUE(store_->remove(id));
  auto gone = DeliveryAttempt::begin(e, id);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
}

TEST_F(DeliveryAttemptTest, WhatAFailureLeavesOnDisk) {
  struct Case {
    const char* name;
    Error error;
    DeliveryAttempt::Recorded want;
    bool bounced;
  };
  Error perm = make_error(Errc::smtp_perm, "RCPT: 550 5.1.1 no such user");
  perm.reply = SmtpReply{550, "5.1.1", {"no such user"}};
  const Case kCases[] = {
      {"connect refused", make_error(Errc::connect, "connect: refused"),
       DeliveryAttempt::Recorded::deferred, false},
      {"login refused", make_error(Errc::auth, "AUTH: 535"), DeliveryAttempt::Recorded::deferred,
       false},
      {"recipient unknown", perm, DeliveryAttempt::Recorded::failed, true},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    std::string id = enqueue({"bob@example.org"}, "Subject: x\r\n\r\nbody\r\n");
    AttemptEnv e = env();
    auto begun = DeliveryAttempt::begin(e, id);
    ASSERT_TRUE(begun && begun->has_value());
    DeliveryAttempt& a = **begun;
    EXPECT_FALSE(a.expire_unattempted());
    a.fail(c.error, "smtp.example:587");
    EXPECT_EQ(a.conclude(random_), c.want);
    a.release();
    EXPECT_TRUE(a.errors().empty());
    EXPECT_EQ(a.outcome().attempts, 1u);
    EXPECT_EQ(!a.outcome().bounce.empty(), c.bounced);
    EXPECT_EQ(in_failed(id), c.want == DeliveryAttempt::Recorded::failed);
    if (c.want == DeliveryAttempt::Recorded::deferred) {
      auto kept = store_->load(id);
      ASSERT_TRUE(kept);
      EXPECT_EQ(kept->attempts, 1u);
      EXPECT_EQ(kept->rcpts[0].state, RcptState::deferred);
      EXPECT_GT(kept->next_try, clock_.wall());
    }
  }
}

TEST_F(DeliveryAttemptTest, AnExpiredEntryBouncesWithoutAConnection) {
  std::string id = enqueue({"bob@example.org"}, "Subject: x\r\n\r\nbody\r\n");
  age_entry(id, 6 * 86400, 3, "451 4.3.0 try later");
  AttemptEnv e = env();
  auto begun = DeliveryAttempt::begin(e, id);
  ASSERT_TRUE(begun && begun->has_value());
  DeliveryAttempt& a = **begun;
  ASSERT_TRUE(a.expire_unattempted());
  EXPECT_EQ(a.conclude(random_), DeliveryAttempt::Recorded::failed);
  EXPECT_EQ(a.outcome().attempts, 3u) << "no attempt was made";
  EXPECT_EQ(a.outcome().dsn, "4.4.7");
  EXPECT_THAT(a.outcome().reason, HasSubstr("expired after 3 attempts"));
  EXPECT_FALSE(a.outcome().bounce.empty());
}

TEST_F(DeliveryAttemptTest, SentOverAPooledSessionIsDoneAndLeftToTheCallerToRemove) {
  start_server();
  std::string id = enqueue({"bob@example.org", "carol@example.net"}, "Subject: x\r\n\r\nhi\r\n");
  AttemptEnv e = env();
  NetConnector connector("client.test");
  ConnectionPool pool(connector, clock_);
  auto lease = pool.acquire(config_.accounts[0]);
  ASSERT_TRUE(lease && *lease) << (lease ? "" : lease.error().what);
  auto begun = DeliveryAttempt::begin(e, id);
  ASSERT_TRUE(begun && begun->has_value());
  DeliveryAttempt& a = **begun;
  EXPECT_EQ(a.send(lease->client(), config_.accounts[0]), DeliveryAttempt::SessionAfter::reusable);
  EXPECT_EQ(a.conclude(random_), DeliveryAttempt::Recorded::done);
  EXPECT_EQ(a.outcome().result, EntryResult::delivered);
  EXPECT_TRUE(store_->load(id)) << "removing a delivered entry is the caller's";
  ASSERT_TRUE(store_->remove(id));
  a.release();
  EXPECT_EQ(server_->messages().size(), 1u);
}

}  // namespace
}  // namespace rm
