// Tests for relay/delivery_attempt.h on its own, without a queue run: an attempt of one entry
// takes its lock or stands back, fails or sends, and concludes with the entry deferred, failed
// (bounced) or done on disk, as a table of the error met.
#include "relay/delivery_attempt.h"

#include <fcntl.h>
#include <unistd.h>

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

// Issue 16: before anything is sent, the size of the open message is checked against the one
// its entry recorded at commit. A message truncated or grown since is moved to failed/ with an
// error naming the id and both sizes, and never reaches the smarthost; an intact one is sent.
TEST_F(DeliveryAttemptTest, AMessageOfAnotherSizeThanItsEntryIsQuarantinedNotSent) {
  const std::string kMsg = "Subject: x\r\n\r\nsome body\r\n";
  struct Case {
    const char* name;
    off_t size;          // the message's size after commit; kept when equal to kMsg's
    std::string append;  // or these bytes added to its end
    bool sent;
  };
  const off_t whole = static_cast<off_t>(kMsg.size());
  const Case kCases[] = {
      {.name = "intact", .size = whole, .append = "", .sent = true},
      {.name = "truncated", .size = whole - 5, .append = "", .sent = false},
      {.name = "emptied", .size = 0, .append = "", .sent = false},
      {.name = "grown", .size = whole, .append = "X-Added: 1\r\n", .sent = false},
  };
  start_server();
  NetConnector connector("client.test");
  ConnectionPool pool(connector, clock_);
  size_t sent = 0;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    std::string id = enqueue({"bob@example.org"}, kMsg);
    reshape_message(id, c.size, c.append);
    AttemptEnv e = env();
    auto begun = DeliveryAttempt::begin(e, id);
    if (!c.sent) {
      ASSERT_FALSE(begun) << "the attempt must not begin";
      EXPECT_EQ(begun.error().code, Errc::spool_corrupt);
      const std::string found = std::to_string(c.size + static_cast<off_t>(c.append.size()));
      EXPECT_EQ(begun.error().what,
                id + ": message file size mismatch: expected=" + std::to_string(kMsg.size()) +
                    " found=" + found + "; not sent, moved to failed/");
      EXPECT_TRUE(in_failed(id));
      EXPECT_FALSE(store_->load(id)) << "no longer queued";
      EXPECT_EQ(server_->messages().size(), sent);
      continue;
    }
    ASSERT_TRUE(begun && begun->has_value()) << (begun ? "held" : begun.error().what);
    auto lease = pool.acquire(config_.accounts[0]);
    ASSERT_TRUE(lease && *lease);
    DeliveryAttempt& a = **begun;
    EXPECT_EQ(a.send(lease->client(), config_.accounts[0]),
              DeliveryAttempt::SessionAfter::reusable);
    pool.release(std::move(*lease));
    EXPECT_EQ(a.conclude(random_), DeliveryAttempt::Recorded::done);
    ASSERT_TRUE(store_->remove(id));
    a.release();
    ++sent;
    ASSERT_EQ(server_->messages().size(), sent);
    EXPECT_EQ(server_->messages().back().data, kMsg);
  }
}

// The size is checked on the descriptor that is sent: a file put in the message's place after
// the check (same size, other bytes) is not what goes out.
TEST_F(DeliveryAttemptTest, SendsTheMessageItChecked) {
  start_server();
  const std::string kMsg = "Subject: x\r\n\r\nthe original\r\n";
  std::string id = enqueue({"bob@example.org"}, kMsg);
  AttemptEnv e = env();
  auto begun = DeliveryAttempt::begin(e, id);
  ASSERT_TRUE(begun && begun->has_value());
  const std::string msg = dir_->file("spool") + "/queue/" + id + ".mail";
  const std::string other = dir_->file("spool") + "/tmp/other";
  std::string swapped = kMsg;
  swapped.replace(swapped.find("original"), 8, "imposter");
  int fd = ::open(other.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, swapped.data(), swapped.size()), static_cast<ssize_t>(swapped.size()));
  ::close(fd);
  ASSERT_EQ(::rename(other.c_str(), msg.c_str()), 0);
  NetConnector connector("client.test");
  ConnectionPool pool(connector, clock_);
  auto lease = pool.acquire(config_.accounts[0]);
  ASSERT_TRUE(lease && *lease);
  DeliveryAttempt& a = **begun;
  EXPECT_EQ(a.send(lease->client(), config_.accounts[0]), DeliveryAttempt::SessionAfter::reusable);
  pool.release(std::move(*lease));
  ASSERT_EQ(server_->messages().size(), 1u);
  EXPECT_EQ(server_->messages()[0].data, kMsg);
}

}  // namespace
}  // namespace rm
