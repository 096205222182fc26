// Tests for daemon/delivery_worker.h against the in-process fake smarthost: the daemon's attempt
// of an entry whose message no longer has the size its entry recorded (issue 16) moves it to
// failed/ with one log line and sends nothing; an intact one is sent. A delay warning is logged,
// scheduled and sent once.
#include "daemon/delivery_worker.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "unit/relay/runner_fixture.h"

namespace rm {
namespace {

class DeliveryWorkerTest : public test::RunnerFixture {};

TEST_F(DeliveryWorkerTest, AMessageOfAnotherSizeThanItsEntryIsQuarantinedNotSent) {
  const std::string kMsg = "Subject: x\r\n\r\nthe body\r\n";
  struct Case {
    const char* name;
    off_t size;          // the message's size after commit
    std::string append;  // then added to its end
    bool sent;
  };
  const off_t whole = static_cast<off_t>(kMsg.size());
  const Case kCases[] = {
      {.name = "intact", .size = whole, .append = "", .sent = true},
      {.name = "truncated", .size = 3, .append = "", .sent = false},
      {.name = "grown", .size = whole, .append = "more\r\n", .sent = false},
  };
  start_server();
  NetConnector connector("client.test");
  ConnectionPool pool(connector, clock_);
  ConfigHolder config(std::make_shared<const Config>(config_));
  Scheduler scheduler;
  Logger log("test", LogLevel::info);
  std::mutex mu;
  std::vector<std::string> lines;
  log.set_callback([&](LogLevel, std::string_view m) {
    std::lock_guard lock(mu);
    lines.emplace_back(m);
  });
  const std::string hostname = "client.test";
  DeliveryWorker worker(DeliveryDeps{.config = config,
                                     .hostname = hostname,
                                     .store = *store_,
                                     .clock = clock_,
                                     .scheduler = scheduler,
                                     .pool = pool,
                                     .log = log,
                                     .on_outcome = nullptr,
                                     .waiters = nullptr});
  size_t sent = 0;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const std::string id = enqueue({"bob@example.org"}, kMsg);
    reshape_message(id, c.size, c.append);
    {
      std::lock_guard lock(mu);
      lines.clear();
    }
    DeliveryWorker::Attempted got = worker.attempt(id);
    std::lock_guard lock(mu);
    if (c.sent) {
      EXPECT_EQ(got, DeliveryWorker::Attempted::yes);
      ++sent;
      EXPECT_FALSE(store_->load(id)) << "delivered and removed";
    } else {
      EXPECT_EQ(got, DeliveryWorker::Attempted::skipped);
      EXPECT_TRUE(in_failed(id));
      ASSERT_EQ(lines.size(), 1u);
      const std::string found = std::to_string(c.size + static_cast<off_t>(c.append.size()));
      EXPECT_NE(lines[0].find(id + ": message file size mismatch: expected=" +
                              std::to_string(kMsg.size()) + " found=" + found),
                std::string::npos)
          << lines[0];
    }
    EXPECT_EQ(server_->messages().size(), sent);
  }
  EXPECT_EQ(sent, 1u);
}

// The daemon's attempts warn as the one-shot runs do (relay/delivery_attempt.h): one line with
// warning=ID once the entry is older than retry.warn, the warning scheduled at once, and no
// second one on later attempts.
TEST_F(DeliveryWorkerTest, DelayWarningIsQueuedScheduledAndLoggedOnce) {
  start_server(
      "good",
      {test::Fault{.verb = "RCPT", .reply = "451 4.3.0 try later", .arg_contains = "bob@"}});
  test::ManualClock clock(clock_.wall());
  NetConnector connector("client.test");
  ConnectionPool pool(connector, clock);
  ConfigHolder config(std::make_shared<const Config>(config_));
  Scheduler scheduler;
  Logger log("test", LogLevel::info);
  std::vector<std::string> lines;
  log.set_callback([&](LogLevel, std::string_view m) { lines.emplace_back(m); });
  const std::string hostname = "client.test";
  DeliveryWorker worker(DeliveryDeps{.config = config,
                                     .hostname = hostname,
                                     .store = *store_,
                                     .clock = clock,
                                     .scheduler = scheduler,
                                     .pool = pool,
                                     .log = log,
                                     .on_outcome = nullptr,
                                     .waiters = nullptr});
  const std::string id = enqueue({"bob@example.org"}, "Subject: x\r\n\r\nbody\r\n");
  constexpr int64_t kHour = 3600;
  const struct {
    const char* name;
    int64_t advance;  // before the attempt
    bool warns;
  } kSteps[] = {{"young", 0, false}, {"past warn", 4 * kHour, true}, {"later", kHour, false}};
  std::string warning;
  for (const auto& step : kSteps) {
    SCOPED_TRACE(step.name);
    clock.advance(step.advance);
    lines.clear();
    ASSERT_EQ(worker.attempt(id), DeliveryWorker::Attempted::yes);
    ASSERT_EQ(lines.size(), 1u);
    const size_t at = lines[0].find(" warning=");
    EXPECT_EQ(at != std::string::npos, step.warns) << lines[0];
    EXPECT_NE(lines[0].find("status=deferred"), std::string::npos) << lines[0];
    if (step.warns && at != std::string::npos) {
      warning = lines[0].substr(at + 9, lines[0].find(' ', at + 1) - at - 9);
      EXPECT_TRUE(scheduler.take(warning)) << "scheduled at once: " << warning;
    }
    EXPECT_TRUE(scheduler.take(id)) << "the entry itself waits for its next try";
    EXPECT_EQ(scheduler.size(), 0u);
  }
  ASSERT_FALSE(warning.empty());
  auto stored = store_->load(id);
  ASSERT_TRUE(stored);
  EXPECT_NE(stored->warned, 0);
  lines.clear();
  ASSERT_EQ(worker.attempt(warning), DeliveryWorker::Attempted::yes);
  ASSERT_EQ(server_->messages().size(), 1u);
  EXPECT_EQ(server_->messages()[0].mail_from, "");
  EXPECT_NE(server_->messages()[0].data.find("Action: delayed"), std::string::npos);
}

}  // namespace
}  // namespace rm
