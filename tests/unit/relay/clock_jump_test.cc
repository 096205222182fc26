// RELIABILITY.md §6 case 10: the wall clock set a day forward or back after entries were
// deferred. Within one boot the boot clock decides (relay/retry_policy.h): no early expiry, no
// retry burst, nothing waits a day. After a reboot, or for an entry written before the boot
// times existed, the wall rules apply, and a next_try farther ahead than any backoff is due now.
// First the pure decisions, then whole queue runs over a real spool with the smarthost down.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "queue/env_format.h"
#include "queue/fs_queue_store.h"
#include "relay/queue_runner.h"
#include "relay/retry_policy.h"
#include "support/temp_dir.h"

namespace rm {
namespace {

constexpr char kBootA[] = "11111111-1111-4111-8111-111111111111";
constexpr char kBootB[] = "22222222-2222-4222-8222-222222222222";
constexpr int64_t kDay = 86400;
constexpr int64_t kHour = 3600;
constexpr int64_t kWall = 1'700'000'000;
constexpr int64_t kUptime = 5000;  // boot seconds when the entries were deferred

// first 300 s, max 1 h (the longest backoff with its jitter margin: 3960 s), lifetime 12 h:
// shorter than the day the clock jumps, so the wall clock alone would expire everything.
RetryConfig retry_config() {
  RetryConfig r;
  r.first = std::chrono::seconds(300);
  r.max = std::chrono::seconds(kHour);
  r.lifetime = std::chrono::seconds(12 * kHour);
  return r;
}

// Accepted 10 minutes before kWall / kUptime in boot A, deferred until 30 minutes after.
QueueEntry deferred_entry() {
  QueueEntry e;
  e.id = "0006010A1B2C3DA1B2C3";
  e.rcpts = {{.addr = "bob@example.org", .state = RcptState::deferred, .last_reply = "451 x"}};
  e.created = kWall - 600;
  e.next_try = kWall + 1800;
  e.attempts = 1;
  e.boot_id = kBootA;
  e.created_boot = kUptime - 600;
  e.next_try_boot = kUptime + 1800;
  return e;
}

QueueEntry old_format_entry() {  // as parsed from a version 1 .env
  QueueEntry e = deferred_entry();
  e.boot_id.clear();
  e.created_boot = 0;
  e.next_try_boot = 0;
  return e;
}

ClockReading at(int64_t wall, const char* boot_id, int64_t boot_seconds) {
  return ClockReading{wall, BootTime{boot_id, boot_seconds}};
}

TEST(ClockJump, RetryDecisions) {
  struct Case {
    const char* name;
    QueueEntry entry;
    ClockReading now;
    bool due;
    bool expired;
    int64_t age;
  };
  const Case kCases[] = {
      // Same boot: the boot clock decides, whatever the wall clock says.
      {.name = "wall a day forward, a minute later: no burst, no expiry",
       .entry = deferred_entry(),
       .now = at(kWall + kDay + 60, kBootA, kUptime + 60),
       .due = false,
       .expired = false,
       .age = 660},
      {.name = "wall a day forward, backoff over",
       .entry = deferred_entry(),
       .now = at(kWall + kDay + 1800, kBootA, kUptime + 1800),
       .due = true,
       .expired = false,
       .age = 2400},
      {.name = "wall a day back, a minute later",
       .entry = deferred_entry(),
       .now = at(kWall - kDay + 60, kBootA, kUptime + 60),
       .due = false,
       .expired = false,
       .age = 660},
      {.name = "wall a day back, backoff over: does not wait a day",
       .entry = deferred_entry(),
       .now = at(kWall - kDay + 1800, kBootA, kUptime + 1800),
       .due = true,
       .expired = false,
       .age = 2400},
      {.name = "wall a day back, lifetime over by the boot clock",
       .entry = deferred_entry(),
       .now = at(kWall - kDay, kBootA, kUptime - 600 + 12 * kHour + 1),
       .due = true,
       .expired = true,
       .age = 12 * kHour + 1},
      // Another boot: only the wall clock is left.
      {.name = "reboot, not yet due by the wall clock",
       .entry = deferred_entry(),
       .now = at(kWall + 60, kBootB, 100),
       .due = false,
       .expired = false,
       .age = 660},
      {.name = "reboot, due by the wall clock",
       .entry = deferred_entry(),
       .now = at(kWall + 1800, kBootB, 100),
       .due = true,
       .expired = false,
       .age = 2400},
      {.name = "reboot, wall a day back: next_try too far ahead, due now",
       .entry = deferred_entry(),
       .now = at(kWall - kDay, kBootB, 100),
       .due = true,
       .expired = false,
       .age = 0},
      {.name = "reboot, next_try at the longest backoff: waits",
       .entry = deferred_entry(),
       .now = at(kWall + 1800 - 3960, kBootB, 100),
       .due = false,
       .expired = false,
       .age = 0},
      {.name = "reboot, next_try a second past the longest backoff: due",
       .entry = deferred_entry(),
       .now = at(kWall + 1800 - 3961, kBootB, 100),
       .due = true,
       .expired = false,
       .age = 0},
      {.name = "reboot, wall a day forward: the wall age counts",
       .entry = deferred_entry(),
       .now = at(kWall + kDay, kBootB, 100),
       .due = true,
       .expired = true,
       .age = kDay + 600},
      {.name = "this clock has no boot id: wall rules",
       .entry = deferred_entry(),
       .now = at(kWall + 60, "", 0),
       .due = false,
       .expired = false,
       .age = 660},
      // An entry without boot times: as before them.
      {.name = "old format, not yet due",
       .entry = old_format_entry(),
       .now = at(kWall + 60, kBootA, kUptime + 60),
       .due = false,
       .expired = false,
       .age = 660},
      {.name = "old format, due",
       .entry = old_format_entry(),
       .now = at(kWall + 1800, kBootA, kUptime),
       .due = true,
       .expired = false,
       .age = 2400},
      {.name = "old format, expired by the wall clock",
       .entry = old_format_entry(),
       .now = at(kWall + kDay, kBootA, kUptime),
       .due = true,
       .expired = true,
       .age = kDay + 600},
  };
  const RetryConfig retry = retry_config();
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(retry_due(retry, c.entry, c.now), c.due);
    EXPECT_EQ(entry_expired(retry, c.entry, c.now), c.expired);
    EXPECT_EQ(entry_age(c.entry, c.now), c.age);
  }
}

// Without boot times, every decision within the backoff range is the one made before they
// existed: due when next_try <= now, expired by lifetime_expired(created, now).
TEST(ClockJump, OldFormatEntryDecidesAsBefore) {
  const RetryConfig retry = retry_config();
  const QueueEntry e = old_format_entry();
  for (int64_t now = e.next_try - 3960; now <= e.created + 13 * kHour; now += 97) {
    SCOPED_TRACE(now);
    const ClockReading r = at(now, kBootA, kUptime);
    EXPECT_EQ(retry_due(retry, e, r), e.next_try <= now);
    EXPECT_EQ(entry_expired(retry, e, r), lifetime_expired(retry, e.created, now));
  }
}

TEST(ClockJump, RebaseAndSchedule) {
  struct Case {
    const char* name;
    QueueEntry entry;
    ClockReading now;
    std::string want_boot_id;
    int64_t want_created_boot;
    int64_t want_next_try_boot;
  };
  const Case kCases[] = {
      {.name = "same boot: unchanged",
       .entry = deferred_entry(),
       .now = at(kWall + kDay, kBootA, kUptime + 60),
       .want_boot_id = kBootA,
       .want_created_boot = kUptime - 600,
       .want_next_try_boot = kUptime + 1800},
      {.name = "reboot: created in the earlier boot is negative",
       .entry = deferred_entry(),
       .now = at(kWall + 1000, kBootB, 100),
       .want_boot_id = kBootB,
       .want_created_boot = 100 - 1600,
       .want_next_try_boot = 100 + 800},
      {.name = "reboot: next_try too far ahead becomes due",
       .entry = deferred_entry(),
       .now = at(kWall - kDay, kBootB, 100),
       .want_boot_id = kBootB,
       .want_created_boot = 100,
       .want_next_try_boot = 0},
      {.name = "old format: stamped with this boot",
       .entry = old_format_entry(),
       .now = at(kWall, kBootA, kUptime),
       .want_boot_id = kBootA,
       .want_created_boot = kUptime - 600,
       .want_next_try_boot = kUptime + 1800},
      {.name = "no boot id to read: cleared",
       .entry = deferred_entry(),
       .now = at(kWall, "", 0),
       .want_boot_id = "",
       .want_created_boot = 0,
       .want_next_try_boot = 0},
  };
  const RetryConfig retry = retry_config();
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    QueueEntry e = c.entry;
    rebase_boot(e, retry, c.now);
    EXPECT_EQ(e.boot_id, c.want_boot_id);
    EXPECT_EQ(e.created_boot, c.want_created_boot);
    EXPECT_EQ(e.next_try_boot, c.want_next_try_boot);
    EXPECT_EQ(e.created, c.entry.created) << "wall times are kept";
    EXPECT_EQ(e.next_try, c.entry.next_try);

    // The next attempt is as far ahead on both clocks.
    schedule_retry(e, retry, c.now, 0.5);
    const BackoffWindow w = backoff_window(retry, e.attempts);
    EXPECT_GE(e.next_try - c.now.wall, w.lo);
    EXPECT_LE(e.next_try - c.now.wall, w.hi);
    if (!e.boot_id.empty()) {
      EXPECT_EQ(e.next_try_boot - c.now.boot.seconds, e.next_try - c.now.wall);
    }
  }
}

// Wall and boot time as the test sets them: time passing moves both, setting the clock moves
// the wall clock alone, a reboot starts a new boot.
class JumpClock final : public Clock {
 public:
  MonoTime mono() const override { return std::chrono::steady_clock::now(); }
  int64_t wall() const override { return wall_; }
  BootTime boot() const override { return {boot_id_, boot_}; }
  void elapse(int64_t seconds) {
    wall_ += seconds;
    boot_ += seconds;
  }
  void set_wall_by(int64_t seconds) { wall_ += seconds; }
  void reboot(const char* id, int64_t uptime) {
    boot_id_ = id;
    boot_ = uptime;
  }

 private:
  int64_t wall_ = kWall;
  int64_t boot_ = kUptime;
  std::string boot_id_ = kBootA;
};

// The smarthost is down: every attempt defers.
class DownConnector final : public Connector {
 public:
  Result<std::unique_ptr<SmtpClient>> connect(const Account&) override {
    return make_error(Errc::connect, "connect smarthost.test: Connection refused");
  }
};

class ClockJumpRun : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::create("relaymail-clock");
    ASSERT_TRUE(dir);
    dir_ = std::make_unique<test::TempDir>(std::move(*dir));
    store_ = std::make_unique<FsQueueStore>(dir_->file("spool"), clock_);
    config_.retry = retry_config();
    Account a;
    a.name = "test";
    a.host = "smarthost.test";
    a.port = 25;
    config_.accounts = {a};
  }

  // A new entry from the null sender (so that an expiry would queue no bounce), accepted now;
  // `old_format` leaves its .env in version 1, without the boot times.
  std::string enqueue(bool old_format = false) {
    auto draft = store_->begin();
    EXPECT_TRUE(draft);
    EXPECT_TRUE((*draft)->sink().write("Subject: x\r\n\r\nx\r\n"));
    QueueEntry e;
    e.id = (*draft)->id();
    e.rcpts = {{.addr = "bob@example.org", .state = RcptState::pending, .last_reply = ""}};
    stamp_created(e, clock_.wall(), clock_.boot());
    EXPECT_TRUE(store_->commit(**draft, e));
    if (old_format) {
      e.size = store_->load(e.id)->size;  // as commit() recorded it, in every version
      write_version_1(e);
    }
    return e.id;
  }

  // Overwrites the entry's .env (fs_queue_store.h layout) with `e` in the version 1 format.
  void write_version_1(const QueueEntry& e) {
    std::string text = *serialise_env(e);
    for (std::string key : {"boot-id:", "created-boot:", "next-try-boot:"}) {
      size_t line = text.find("\n" + key) + 1;
      text.erase(line, text.find('\n', line) + 1 - line);
    }
    text = "relaymail-env 1" + text.substr(text.find('\n'), text.rfind("end: ") - text.find('\n'));
    char sum[17];
    std::snprintf(sum, sizeof sum, "%016llx", static_cast<unsigned long long>(fnv1a64(text)));
    std::ofstream(dir_->file("spool") + "/queue/" + e.id + ".env", std::ios::trunc)
        << text << "end: " << sum << "\n";
  }

  std::vector<EntryOutcome> run(bool force) {
    std::vector<EntryOutcome> outcomes;
    DownConnector connector;
    QueueRunner runner(std::make_shared<const Config>(config_), "client.test", *store_, connector,
                       clock_, [&](const EntryOutcome& o) { outcomes.push_back(o); });
    RunOptions opts;
    opts.force = force;
    RunSummary s = runner.run(opts);
    EXPECT_TRUE(s.errors.empty());
    return outcomes;
  }

  JumpClock clock_;
  std::unique_ptr<test::TempDir> dir_;
  std::unique_ptr<FsQueueStore> store_;
  Config config_;
};

// Three entries deferred once (next attempt 300..330 s later on both clocks), then the clock
// is set and time passes: how many are tried, and none may expire.
TEST_F(ClockJumpRun, WallClockSetADayForwardOrBack) {
  struct Case {
    const char* name;
    std::function<void(JumpClock&)> then;
    size_t want_tried;
    size_t want_expired;
  };
  const Case kCases[] = {
      {.name = "a day forward, a minute later: no burst, no expiry",
       .then =
           [](JumpClock& c) {
             c.set_wall_by(kDay);
             c.elapse(60);
           },
       .want_tried = 0,
       .want_expired = 0},
      {.name = "a day forward, backoff over: retried, not expired",
       .then =
           [](JumpClock& c) {
             c.set_wall_by(kDay);
             c.elapse(331);
           },
       .want_tried = 3,
       .want_expired = 0},
      {.name = "a day back, a minute later",
       .then =
           [](JumpClock& c) {
             c.set_wall_by(-kDay);
             c.elapse(60);
           },
       .want_tried = 0,
       .want_expired = 0},
      {.name = "a day back, backoff over: nothing waits a day",
       .then =
           [](JumpClock& c) {
             c.set_wall_by(-kDay);
             c.elapse(331);
           },
       .want_tried = 3,
       .want_expired = 0},
      {.name = "a day back, the real lifetime over: expired",
       .then =
           [](JumpClock& c) {
             c.set_wall_by(-kDay);
             c.elapse(12 * kHour + 1);
           },
       .want_tried = 3,
       .want_expired = 3},
      {.name = "reboot, a minute later: wall rules, not due",
       .then =
           [](JumpClock& c) {
             c.reboot(kBootB, 30);
             c.set_wall_by(60);
           },
       .want_tried = 0,
       .want_expired = 0},
      {.name = "reboot with the wall a day back: too far ahead, due now",
       .then =
           [](JumpClock& c) {
             c.reboot(kBootB, 30);
             c.set_wall_by(-kDay);
           },
       .want_tried = 3,
       .want_expired = 0},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    SetUp();
    clock_ = JumpClock();
    std::vector<std::string> ids = {enqueue(), enqueue(), enqueue()};
    ASSERT_EQ(run(/*force=*/true).size(), 3u) << "all deferred once";
    c.then(clock_);
    size_t tried = 0;
    size_t expired = 0;
    for (const EntryOutcome& o : run(/*force=*/false)) {
      ASSERT_NE(std::find(ids.begin(), ids.end(), o.id), ids.end()) << "no bounce expected";
      ++tried;
      expired += o.dsn == "4.4.7" ? 1 : 0;
      EXPECT_EQ(o.result, o.dsn == "4.4.7" ? EntryResult::failed : EntryResult::deferred);
    }
    EXPECT_EQ(tried, c.want_tried);
    EXPECT_EQ(expired, c.want_expired);
    EXPECT_EQ(store_->list()->entries.size(), 3 - c.want_expired);
  }
}

// After a reboot the runner rewrites what it tries in the new boot's seconds: created-boot
// negative (accepted in the earlier boot), the next attempt as far ahead as on the wall clock.
TEST_F(ClockJumpRun, RewriteAfterARebootCountsInTheNewBoot) {
  std::string id = enqueue();
  ASSERT_EQ(run(/*force=*/true).size(), 1u);
  clock_.reboot(kBootB, 30);
  clock_.set_wall_by(kHour);
  ASSERT_EQ(run(/*force=*/false).size(), 1u) << "due by the wall clock";
  auto e = store_->load(id);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->boot_id, kBootB);
  EXPECT_EQ(e->created_boot, 30 - kHour);
  EXPECT_EQ(e->next_try_boot - 30, e->next_try - clock_.wall());
  EXPECT_EQ(e->attempts, 2u);
}

// An entry from before the boot times (version 1 .env): the wall clock decides, as before.
TEST_F(ClockJumpRun, OldFormatEntryKeepsTheWallRules) {
  struct Case {
    const char* name;
    int64_t later;  // wall and boot seconds after acceptance
    bool tried;
    bool expired;
  };
  const Case kCases[] = {
      {.name = "new: due at once", .later = 0, .tried = true, .expired = false},
      {.name = "past the lifetime: expired",
       .later = 12 * kHour + 1,
       .tried = true,
       .expired = true},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    SetUp();
    clock_ = JumpClock();
    std::string id = enqueue(/*old_format=*/true);
    auto loaded = store_->load(id);
    ASSERT_TRUE(loaded) << loaded.error().what;
    ASSERT_TRUE(loaded->boot_id.empty());
    clock_.elapse(c.later);
    std::vector<EntryOutcome> out = run(/*force=*/false);
    ASSERT_EQ(out.size(), c.tried ? 1u : 0u);
    EXPECT_EQ(out[0].dsn == "4.4.7", c.expired);
  }
  // Deferred, then the wall clock a minute on: not due, as before.
  SetUp();
  clock_ = JumpClock();
  std::string id = enqueue(/*old_format=*/true);
  {
    auto e = store_->load(id);
    ASSERT_TRUE(e);
    e->next_try = clock_.wall() + 300;
    e->attempts = 1;
    write_version_1(*e);
  }
  clock_.set_wall_by(60);
  EXPECT_TRUE(run(/*force=*/false).empty());
  clock_.set_wall_by(240);
  EXPECT_EQ(run(/*force=*/false).size(), 1u);
}

}  // namespace
}  // namespace rm
