// Delay warnings in whole queue runs (relay/queue_runner.h) against the in-process fake
// smarthost, which answers 451 for the recipients that must wait; time moves on a test clock:
// no warning before retry.warn, exactly one after it, whatever the runs that follow, and none
// for a bounce or against NOTIFY. The warning is a DSN from <> that the same run delivers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "relay/queue_runner.h"
#include "unit/relay/runner_fixture.h"

namespace rm {
namespace {

using test::FakeSmtpServer;
using test::Fault;
using test::ManualClock;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kHour = 3600;

class DelayWarningRunTest : public test::RunnerFixture {
 protected:
  // Every RCPT to a recipient containing "later@" gets 451; the rest is accepted.
  FakeSmtpServer& start_deferring_server() {
    return start_server(
        "good", {Fault{.verb = "RCPT", .reply = "451 4.3.0 try later", .arg_contains = "later@"}});
  }

  // One forced run (every entry tried) at the test clock's time; the outcomes of this run.
  std::vector<EntryOutcome> run_at(ManualClock& clock) {
    outcomes_.clear();
    test::SlowConnector connector(nullptr, 0);
    run_with(clock, connector, /*force=*/true);
    return outcomes_;
  }

  // The messages the smarthost received from the null sender (DSNs).
  std::vector<test::ReceivedMessage> dsns() const {
    std::vector<test::ReceivedMessage> out;
    for (const test::ReceivedMessage& m : server_->messages()) {
      if (m.mail_from.empty()) {
        out.push_back(m);
      }
    }
    return out;
  }

  const EntryOutcome* outcome_of(const std::vector<EntryOutcome>& outs, const std::string& id) {
    for (const EntryOutcome& o : outs) {
      if (o.id == id) {
        return &o;
      }
    }
    ADD_FAILURE() << "no outcome for " << id;
    return nullptr;
  }
};

TEST_F(DelayWarningRunTest, OneWarningOnceTheEntryIsOlderThanWarn) {
  start_deferring_server();
  config_.retry.warn = std::chrono::seconds(4 * kHour);
  ManualClock clock(clock_.wall());
  const std::string id = enqueue({"later@example.org"}, "Subject: slow\r\n\r\nbody\r\n");

  // Young: deferred, no warning.
  std::vector<EntryOutcome> first = run_at(clock);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].result, EntryResult::deferred);
  EXPECT_TRUE(first[0].warning.empty());
  EXPECT_THAT(outcome_line(first[0]), Not(HasSubstr("warning=")));
  EXPECT_EQ(store_->load(id)->warned, 0);
  EXPECT_TRUE(dsns().empty());

  // Past retry.warn: one warning, queued and delivered in the same run, the entry marked.
  clock.advance(4 * kHour);
  std::vector<EntryOutcome> second = run_at(clock);
  ASSERT_EQ(second.size(), 2u) << "the entry, then its warning";
  const EntryOutcome* entry = outcome_of(second, id);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->result, EntryResult::deferred);
  ASSERT_FALSE(entry->warning.empty());
  EXPECT_THAT(outcome_line(*entry), HasSubstr(" warning=" + entry->warning));
  const EntryOutcome* warning = outcome_of(second, entry->warning);
  ASSERT_NE(warning, nullptr);
  EXPECT_EQ(warning->result, EntryResult::delivered);
  EXPECT_EQ(warning->sender, "");
  EXPECT_EQ(store_->load(id)->warned, clock.now);
  ASSERT_EQ(dsns().size(), 1u);
  const test::ReceivedMessage dsn = dsns()[0];
  EXPECT_THAT(dsn.rcpt_tos, ElementsAre("alice@example.com"));
  EXPECT_THAT(dsn.data, HasSubstr("Subject: Delayed Mail (still being retried"));
  EXPECT_THAT(dsn.data, HasSubstr("Final-Recipient: rfc822; later@example.org\r\nAction: delayed"
                                  "\r\nStatus: 4.3.0\r\n"));
  EXPECT_THAT(dsn.data, HasSubstr("Diagnostic-Code: smtp; 451 4.3.0 try later\r\n"));
  EXPECT_THAT(dsn.data, HasSubstr("Will-Retry-Until: "));
  EXPECT_THAT(dsn.data, HasSubstr("Content-Type: text/rfc822-headers"));
  EXPECT_THAT(dsn.data, Not(HasSubstr("\r\nbody\r\n"))) << "headers only";

  // Later runs, still deferred: nothing more.
  for (int i = 0; i < 2; ++i) {
    clock.advance(kHour);
    std::vector<EntryOutcome> later = run_at(clock);
    ASSERT_EQ(later.size(), 1u);
    EXPECT_EQ(later[0].id, id);
    EXPECT_TRUE(later[0].warning.empty());
  }
  EXPECT_EQ(dsns().size(), 1u) << "exactly one warning per entry";
  EXPECT_EQ(store_->list()->entries.size(), 1u) << "the entry alone is left";
}

// A smarthost that cannot be reached: the warning waits in the queue like any message, and
// later runs queue no second one.
TEST_F(DelayWarningRunTest, WarningQueuedWhileTheSmarthostIsDownIsQueuedOnce) {
  start_server();
  server_->stop();
  ManualClock clock(clock_.wall());
  const std::string id = enqueue({"bob@example.org"}, "Subject: outage\r\n\r\nx\r\n");
  run_at(clock);
  EXPECT_EQ(store_->list()->entries.size(), 1u) << "no warning yet";
  for (int i = 0; i < 3; ++i) {
    clock.advance(3 * kHour);  // 3 h, 6 h, 9 h old
    run_at(clock);
    std::vector<const QueueEntry*> warnings;
    auto listed = store_->list();
    ASSERT_TRUE(listed);
    for (const QueueEntry& e : listed->entries) {
      if (e.id != id) {
        warnings.push_back(&e);
      }
    }
    SCOPED_TRACE(i);
    if (i == 0) {
      EXPECT_TRUE(warnings.empty()) << "3 h: younger than warn";
      continue;
    }
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings[0]->sender, "") << "from <>";
    ASSERT_EQ(warnings[0]->rcpts.size(), 1u);
    EXPECT_EQ(warnings[0]->rcpts[0].addr, "alice@example.com");
    EXPECT_EQ(warnings[0]->warned, 0) << "a warning is never warned about";
  }
}

// Only the recipients still deferred are listed: not the one delivered, nor the one that
// failed (it has its bounce, in the same run).
TEST_F(DelayWarningRunTest, WarningListsOnlyTheRecipientsStillDeferred) {
  start_server("good",
               {Fault{.verb = "RCPT", .reply = "451 4.7.1 greylisted", .arg_contains = "later@"},
                Fault{.verb = "RCPT", .reply = "550 5.1.1 no such user", .arg_contains = "bad@"}});
  ManualClock clock(clock_.wall());
  const std::string id = enqueue({"good@example.org", "bad@example.org", "later@example.org"},
                                 "Subject: x\r\n\r\nx\r\n");
  age_entry(id, 5 * kHour);
  std::vector<EntryOutcome> outs = run_at(clock);
  const EntryOutcome* entry = outcome_of(outs, id);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->result, EntryResult::partial);
  EXPECT_FALSE(entry->bounce.empty());
  ASSERT_FALSE(entry->warning.empty());
  ASSERT_EQ(dsns().size(), 2u) << "the bounce and the warning";
  for (const test::ReceivedMessage& dsn : dsns()) {
    if (dsn.data.find("Action: delayed") == std::string::npos) {
      EXPECT_THAT(dsn.data, HasSubstr("Final-Recipient: rfc822; bad@example.org"));
      continue;
    }
    EXPECT_THAT(dsn.data, HasSubstr("Final-Recipient: rfc822; later@example.org"));
    EXPECT_THAT(dsn.data, HasSubstr("Status: 4.7.1"));
    EXPECT_THAT(dsn.data, Not(HasSubstr("Final-Recipient: rfc822; good@")));
    EXPECT_THAT(dsn.data, Not(HasSubstr("Final-Recipient: rfc822; bad@")));
    EXPECT_THAT(dsn.data, Not(HasSubstr("Action: failed")));
  }
}

// Who gets a warning, and when the entry is marked warned although none is sent.
TEST_F(DelayWarningRunTest, WarningRules) {
  start_deferring_server();
  config_.admin = "ops@example.net";
  struct Case {
    const char* name;
    std::string sender;
    std::string notify;
    std::chrono::seconds warn;
    const char* warn_to;  // nullptr: no warning
    bool marked;          // the entry records that its warning is done
    const char* no_warning;
  };
  const Case kCases[] = {
      {"null sender", "", "", std::chrono::seconds(4 * kHour), nullptr, false, ""},
      {"warn 0", "alice@example.com", "", std::chrono::seconds(0), nullptr, false, ""},
      {"NOTIFY=NEVER", "alice@example.com", "NEVER", std::chrono::seconds(4 * kHour), nullptr, true,
       "NOTIFY"},
      {"NOTIFY=FAILURE", "alice@example.com", "FAILURE", std::chrono::seconds(4 * kHour), nullptr,
       true, "NOTIFY"},
      {"NOTIFY=SUCCESS", "alice@example.com", "SUCCESS", std::chrono::seconds(4 * kHour), nullptr,
       true, "NOTIFY"},
      {"NOTIFY=FAILURE,DELAY", "alice@example.com", "FAILURE,DELAY",
       std::chrono::seconds(4 * kHour), "alice@example.com", true, ""},
      {"NOTIFY absent", "alice@example.com", "", std::chrono::seconds(4 * kHour),
       "alice@example.com", true, ""},
      {"local sender", "www-data@localhost", "", std::chrono::seconds(4 * kHour), "ops@example.net",
       true, ""},
  };
  size_t expected = 0;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    config_.retry.warn = c.warn;
    ManualClock clock(clock_.wall());
    const std::string id =
        enqueue({"later@example.org"}, "Subject: x\r\n\r\nbody\r\n", c.sender, c.notify);
    age_entry(id, 5 * kHour);
    std::vector<EntryOutcome> outs = run_at(clock);
    const EntryOutcome* entry = outcome_of(outs, id);
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->result, EntryResult::deferred);
    EXPECT_EQ(entry->no_warning, c.no_warning);
    auto stored = store_->load(id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->warned != 0, c.marked);
    if (c.warn_to == nullptr) {
      EXPECT_TRUE(entry->warning.empty());
      EXPECT_EQ(outs.size(), 1u);
    } else {
      ASSERT_FALSE(entry->warning.empty());
      ++expected;
    }
    ASSERT_EQ(dsns().size(), expected);
    if (c.warn_to != nullptr) {
      EXPECT_THAT(dsns().back().rcpt_tos, ElementsAre(c.warn_to));
    }
    ASSERT_TRUE(store_->remove(id));
  }
}

}  // namespace
}  // namespace rm
