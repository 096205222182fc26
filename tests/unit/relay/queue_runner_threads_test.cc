// QueueRunner with several connections per account (Account::connections) and without RSET after
// a completed transaction, against the in-process fake smarthost (real TCP, real TLS): which
// commands reach the wire, every entry delivered exactly once, the outcome callback never entered
// twice at a time, a lost or refused connection costing no other entry, one connect attempt for
// an unreachable smarthost, bounces queued once, entries locked elsewhere skipped.
#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/relay/runner_fixture.h"

namespace rm {
namespace {

using test::FakeSmtpOptions;
using test::FakeSmtpServer;
using test::Fault;
using test::SlowConnector;
using test::TranscriptEntry;
using ::testing::HasSubstr;
using ::testing::Not;

class RunnerThreadsTest : public test::RunnerFixture {
 protected:
  // n entries to bob@, entry k with "Subject: <tag> k", so the server's copy names its entry.
  std::vector<std::string> enqueue_many(int n, const std::string& tag = "m") {
    std::vector<std::string> ids;
    for (int k = 0; k < n; ++k) {
      ids.push_back(enqueue({"bob@example.org"},
                            "Subject: " + tag + " " + std::to_string(k) + "\r\n\r\nx\r\n"));
    }
    return ids;
  }

  // How often the server accepted each subject line.
  std::map<std::string, int> subjects() const {
    std::map<std::string, int> out;
    for (const test::ReceivedMessage& m : server_->messages()) {
      ++out[m.data.substr(0, m.data.find("\r\n"))];
    }
    return out;
  }

  // The transaction commands connection `conn` sent, by verb: MAIL, RCPT, DATA, RSET, QUIT,
  // and "." for a lone dot sent as a command.
  std::vector<std::string> commands(int conn) const {
    std::vector<std::string> out;
    for (const TranscriptEntry& t : server_->transcript()) {
      if (t.connection != conn || t.dir != TranscriptEntry::Dir::client) {
        continue;
      }
      std::string verb = t.text.substr(0, t.text.find_first_of(" :"));
      if (verb == "MAIL" || verb == "RCPT" || verb == "DATA" || verb == "RSET" || verb == "QUIT" ||
          verb == ".") {
        out.push_back(verb);
      }
    }
    return out;
  }

  // Counts how many outcome callbacks run at once; the runner promises never more than one.
  void watch_outcomes() {
    inside_ = 0;
    most_inside_ = 0;
    on_outcome_ = [this](const EntryOutcome&) {
      int now = ++inside_;
      int seen = most_inside_.load();
      while (now > seen && !most_inside_.compare_exchange_weak(seen, now)) {
      }
      for (int i = 0; i < 200; ++i) {  // stay a while, so an overlap would be caught
        std::this_thread::yield();
      }
      --inside_;
    };
  }

  std::atomic<int> inside_ = 0;
  std::atomic<int> most_inside_ = 0;
};

struct RsetCase {
  const char* name;
  std::vector<Fault> faults;
  std::vector<std::string> first;  // recipients of the first entry; the second goes to bob@
  std::vector<std::string> want;   // connection 1's commands
  size_t delivered = 1;            // entries done (the second always is)
  bool first_sent = false;         // the server took the first message (for some recipient)
};

// RFC 5321 §4.1.1.4: the reply to the final dot ends the transaction, whatever it says, so the
// next MAIL follows at once; RSET only where a transaction stopped half way with the server
// still holding its MAIL. One connection, so the entries go in spool order. Recipient refusals
// are 4xx here: a bounce would add a transaction of its own.
TEST_F(RunnerThreadsTest, RsetOnlyWhereATransactionStoppedHalfWay) {
  const std::vector<std::string> kNext = {"MAIL", "RCPT", "DATA", "QUIT"};
  auto then_next = [&](std::vector<std::string> first) {
    first.insert(first.end(), kNext.begin(), kNext.end());
    return first;
  };
  const Fault busy_rcpt{.verb = "RCPT", .reply = "450 4.2.0 busy", .arg_contains = "nobody@"};
  const RsetCase cases[] = {
      {.name = "both delivered",
       .faults = {},
       .first = {"carol@example.org"},
       .want = then_next({"MAIL", "RCPT", "DATA"}),
       .delivered = 2,
       .first_sent = true},
      {.name = "one recipient of two refused",
       .faults = {busy_rcpt},
       .first = {"nobody@example.org", "carol@example.org"},
       .want = then_next({"MAIL", "RCPT", "RCPT", "DATA"}),
       .first_sent = true},
      {.name = "final dot refused",
       .faults = {Fault{.verb = "DOT", .reply = "451 4.3.0 later", .nth = 1}},
       .first = {"carol@example.org"},
       .want = then_next({"MAIL", "RCPT", "DATA"})},
      {.name = "MAIL refused",
       .faults = {Fault{.verb = "MAIL", .reply = "451 4.3.0 later", .nth = 1}},
       .first = {"carol@example.org"},
       .want = then_next({"MAIL", "RCPT", "DATA"})},
      {.name = "every recipient refused",
       .faults = {busy_rcpt},
       .first = {"nobody@example.org"},
       .want = then_next({"MAIL", "RCPT", "DATA", "RSET"})},
      {.name = "DATA refused",
       .faults = {Fault{.verb = "DATA", .reply = "451 4.3.0 later", .nth = 1}},
       .first = {"carol@example.org"},
       .want = then_next({"MAIL", "RCPT", "DATA", "RSET"})},
      // RFC 2920 §3.1: 354 to the pipelined DATA although no RCPT was accepted.
      {.name = "354 with no recipient accepted: a lone dot, then RSET",
       .faults = {busy_rcpt, Fault{.verb = "DATA", .reply = "354 go ahead", .nth = 1}},
       .first = {"nobody@example.org"},
       .want = then_next({"MAIL", "RCPT", "DATA", ".", "RSET"})},
  };
  for (const RsetCase& c : cases) {
    SCOPED_TRACE(c.name);
    FakeSmtpServer& srv = start_server("good", c.faults);
    config_.accounts[0].connections = 1;
    std::string first = enqueue(c.first, "Subject: first\r\n\r\nx\r\n");
    // Spool order is id order; an id taken just as the second turns may sort before the one
    // taken just ahead of it, so the second entry is queued again until it sorts after.
    while (enqueue({"bob@example.org"}, "Subject: second\r\n\r\ny\r\n") < first) {
      ASSERT_EQ(store_->list()->entries.size(), 2u);
      ASSERT_TRUE(store_->remove(store_->list()->entries[0].id));
    }
    RunSummary s = run();
    EXPECT_EQ(s.delivered, c.delivered);
    EXPECT_EQ(s.deferred, 2 - c.delivered);
    EXPECT_TRUE(s.errors.empty());
    EXPECT_EQ(srv.connection_count(), 1);
    EXPECT_EQ(commands(1), c.want) << srv.transcript_text(1);
    EXPECT_EQ(subjects()["Subject: second"], 1);
    EXPECT_EQ(subjects()["Subject: first"], c.first_sent ? 1 : 0);
    auto left = store_->list();
    ASSERT_TRUE(left);
    for (const QueueEntry& e : left->entries) {  // the next case starts afresh
      EXPECT_EQ(e.id, first);
      ASSERT_TRUE(store_->remove(e.id));
    }
  }
}

struct ParallelCase {
  const char* name;
  uint32_t connections;
  int entries;
  uint32_t per_connection;  // messages_per_connection
  int want_connections;     // 0: only the per-connection bound is checked
};

// Every entry exactly once, whatever the number of connections; never more connections than
// entries; messages_per_connection holds on each; the outcome callback one call at a time.
TEST_F(RunnerThreadsTest, EveryEntryExactlyOnceOverSeveralConnections) {
  const ParallelCase cases[] = {
      {"3 connections, 50 entries", 3, 50, 100, 3},
      {"16 connections, 5 entries: one connection per entry at most", 16, 5, 100, 5},
      {"3 connections, 30 entries, 4 messages per connection", 3, 30, 4, 0},
      {"one connection", 1, 10, 100, 1},
  };
  for (const ParallelCase& c : cases) {
    SCOPED_TRACE(c.name);
    FakeSmtpServer& srv = start_server();
    config_.accounts[0].connections = c.connections;
    config_.accounts[0].messages_per_connection = c.per_connection;
    std::vector<std::string> ids = enqueue_many(c.entries);
    outcomes_.clear();
    watch_outcomes();
    RunSummary s = run();
    EXPECT_EQ(s.delivered, static_cast<size_t>(c.entries));
    EXPECT_EQ(s.deferred + s.failed + s.busy, 0u);
    EXPECT_TRUE(s.errors.empty());
    EXPECT_EQ(most_inside_.load(), 1) << "outcome callbacks overlapped";
    ASSERT_EQ(outcomes_.size(), ids.size());
    std::set<std::string> reported;
    for (const EntryOutcome& o : outcomes_) {
      EXPECT_EQ(o.result, EntryResult::delivered) << o.id << ": " << o.reason;
      reported.insert(o.id);
    }
    EXPECT_EQ(reported, std::set<std::string>(ids.begin(), ids.end()));
    ASSERT_TRUE(srv.wait_for_messages(ids.size(), Millis(10000)));
    std::map<std::string, int> got = subjects();
    EXPECT_EQ(got.size(), ids.size());
    for (const auto& [subject, n] : got) {
      EXPECT_EQ(n, 1) << subject;
    }
    std::map<int, uint32_t> per_conn;
    for (const test::ReceivedMessage& m : srv.messages()) {
      ++per_conn[m.connection];
    }
    for (const auto& [conn, n] : per_conn) {
      EXPECT_LE(n, c.per_connection) << "connection " << conn;
    }
    if (c.want_connections > 0) {
      EXPECT_EQ(srv.connection_count(), c.want_connections);
      EXPECT_EQ(per_conn.size(), static_cast<size_t>(c.want_connections)) << "an idle connection";
    }
    EXPECT_LE(srv.connection_count(), c.entries);
    EXPECT_THAT(srv.transcript_text(), Not(HasSubstr("RSET")));
    EXPECT_TRUE(store_->list()->entries.empty());
  }
}

// A connection dropped in the middle of one transaction defers that entry only; the worker
// opens a new connection for its next entry and the others never notice.
TEST_F(RunnerThreadsTest, LostConnectionDefersOnlyItsEntry) {
  FakeSmtpServer& srv = start_server(
      "good",
      {Fault{.verb = "RCPT", .action = Fault::Action::disconnect, .arg_contains = "doomed@"}});
  config_.accounts[0].connections = 3;
  enqueue_many(12, "before");
  std::string doomed = enqueue({"doomed@example.org"}, "Subject: doomed\r\n\r\nx\r\n");
  enqueue_many(12, "after");
  RunSummary s = run();
  EXPECT_EQ(s.delivered, 24u);
  EXPECT_EQ(s.deferred, 1u);
  EXPECT_TRUE(s.account_failures.empty());
  auto left = store_->list();
  ASSERT_TRUE(left);
  ASSERT_EQ(left->entries.size(), 1u);
  EXPECT_EQ(left->entries[0].id, doomed);
  EXPECT_EQ(left->entries[0].rcpts[0].state, RcptState::deferred);
  ASSERT_TRUE(srv.wait_for_messages(24, Millis(10000)));
  std::map<std::string, int> got = subjects();
  EXPECT_EQ(got.size(), 24u);
  EXPECT_EQ(got.count("Subject: doomed"), 0u);
  for (const auto& [subject, n] : got) {
    EXPECT_EQ(n, 1) << subject;
  }
}

// A smarthost that takes fewer connections than configured refuses the extra one (421 at the
// greeting); that worker hands its entry back and stops, and the others deliver everything.
TEST_F(RunnerThreadsTest, RefusedExtraConnectionLeavesItsEntryToTheOthers) {
  FakeSmtpServer& srv = start_server("good", {}, [](FakeSmtpOptions& o) { o.max_connections = 2; });
  config_.accounts[0].connections = 3;
  enqueue_many(40);
  RunSummary s = run();
  EXPECT_EQ(s.delivered, 40u);
  EXPECT_EQ(s.deferred, 0u);
  EXPECT_TRUE(s.errors.empty());
  EXPECT_TRUE(s.account_failures.empty()) << "the account was reached";
  EXPECT_THAT(srv.transcript_text(), HasSubstr("too many connections"));
  ASSERT_TRUE(srv.wait_for_messages(40, Millis(10000)));
  std::map<std::string, int> got = subjects();
  EXPECT_EQ(got.size(), 40u);
  for (const auto& [subject, n] : got) {
    EXPECT_EQ(n, 1) << subject;
  }
  EXPECT_TRUE(store_->list()->entries.empty());
}

// An unreachable smarthost costs one connect attempt per run, however many connections the
// account may use: the first is tried alone, and its failure defers every entry.
TEST_F(RunnerThreadsTest, UnreachableSmarthostIsTriedOnce) {
  start_server();
  server_->stop();
  config_.accounts[0].connections = 3;
  enqueue_many(20);
  SlowConnector connector(nullptr, 0);
  RunSummary s = run_with(clock_, connector, /*force=*/true);
  EXPECT_EQ(s.deferred, 20u);
  EXPECT_EQ(connector.connects.load(), 1);
  ASSERT_EQ(s.account_failures.size(), 1u);
  EXPECT_EQ(s.account_failures[0].first, "test");
  EXPECT_EQ(outcomes_.size(), 20u);
}

// Permanent failures found by different workers each queue exactly one bounce, and the run
// delivers them all.
TEST_F(RunnerThreadsTest, BouncesAreQueuedOnceEach) {
  FakeSmtpServer& srv = start_server(
      "good", {Fault{.verb = "RCPT", .reply = "550 5.1.1 gone", .arg_contains = "gone@"}});
  config_.accounts[0].connections = 3;
  std::set<std::string> doomed;
  for (int k = 0; k < 24; ++k) {
    std::string rcpt = k % 4 == 0 ? "gone@example.org" : "bob@example.org";
    std::string id = enqueue({rcpt}, "Subject: b " + std::to_string(k) + "\r\n\r\nx\r\n");
    if (k % 4 == 0) {
      doomed.insert(id);
    }
  }
  RunSummary s = run();
  EXPECT_EQ(s.failed, 6u);
  EXPECT_EQ(s.delivered, 18u + 6u) << "the originals, then the six bounces";
  EXPECT_TRUE(s.errors.empty());
  std::set<std::string> bounces;
  std::set<std::string> delivered;
  for (const EntryOutcome& o : outcomes_) {
    if (o.result == EntryResult::failed) {
      EXPECT_EQ(doomed.count(o.id), 1u) << o.id;
      EXPECT_FALSE(o.bounce.empty());
      EXPECT_TRUE(bounces.insert(o.bounce).second) << "one bounce per failed entry";
      EXPECT_TRUE(in_failed(o.id));
    } else {
      EXPECT_EQ(o.result, EntryResult::delivered);
      delivered.insert(o.id);
    }
  }
  EXPECT_EQ(bounces.size(), 6u);
  for (const std::string& b : bounces) {
    EXPECT_EQ(delivered.count(b), 1u) << "bounce " << b << " delivered in the same run";
  }
  ASSERT_TRUE(srv.wait_for_messages(24, Millis(10000)));
  int dsns = 0;
  for (const test::ReceivedMessage& m : srv.messages()) {
    dsns += m.mail_from.empty() ? 1 : 0;
  }
  EXPECT_EQ(dsns, 6);
  EXPECT_TRUE(store_->list()->entries.empty());
}

// Entries another runner holds are skipped (busy, no outcome) and left for it.
TEST_F(RunnerThreadsTest, EntriesLockedElsewhereAreSkipped) {
  FakeSmtpServer& srv = start_server();
  config_.accounts[0].connections = 3;
  std::vector<std::string> ids = enqueue_many(12);
  FsQueueStore other(dir_->file("spool"), clock_);
  std::vector<std::unique_ptr<EntryLock>> held;
  for (size_t k : {2u, 5u, 8u}) {
    auto lock = other.try_lock(ids[k]);
    ASSERT_TRUE(lock && lock->has_value());
    held.push_back(std::move(**lock));
  }
  RunSummary s = run();
  EXPECT_EQ(s.delivered, 9u);
  EXPECT_EQ(s.busy, 3u);
  EXPECT_EQ(outcomes_.size(), 9u) << "a busy entry has no outcome";
  EXPECT_EQ(store_->list()->entries.size(), 3u);
  held.clear();
  outcomes_.clear();
  EXPECT_EQ(run().delivered, 3u);
  ASSERT_TRUE(srv.wait_for_messages(12, Millis(10000)));
  EXPECT_EQ(subjects().size(), 12u);
  EXPECT_TRUE(store_->list()->entries.empty());
}

}  // namespace
}  // namespace rm
