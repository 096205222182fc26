// QueueRunner against the in-process fake smarthost (real TCP, real TLS): what reaches the
// wire, what the spool records, and how many connections a run opens.
#include "relay/queue_runner.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <functional>
#include <iostream>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "unit/relay/runner_fixture.h"
#include "unit/sys/fault_ops.h"

namespace rm {
namespace {

using test::FakeSmtpOptions;
using test::FakeSmtpServer;
using test::FakeTls;
using test::Fault;
using test::kPassword;
using test::ManualClock;
using test::NoSyncOps;
using test::TranscriptEntry;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class QueueRunnerTest : public test::RunnerFixture {};

TEST_F(QueueRunnerTest, DeliversSeveralEntriesOverOneVerifiedConnection) {
  FakeSmtpServer& srv = start_server();
  config_.accounts[0].connections = 1;
  enqueue({"bob@example.org"}, "Subject: 1\r\n\r\none\r\n");
  enqueue({"bob@example.org"}, "Subject: 2\r\n\r\n.two\r\n");
  enqueue({"carol@example.org"}, "Subject: 3\r\n\r\nthree\r\n");
  RunSummary s = run();
  EXPECT_EQ(s.delivered, 3u);
  EXPECT_TRUE(s.errors.empty());
  ASSERT_TRUE(srv.wait_for_messages(3, Millis(5000)));
  EXPECT_EQ(srv.connection_count(), 1);
  auto msgs = srv.messages();
  EXPECT_EQ(msgs[1].data, "Subject: 2\r\n\r\n.two\r\n");
  EXPECT_TRUE(msgs[0].tls);
  EXPECT_EQ(msgs[0].auth_user, "demo");
  // A completed transaction needs no RSET before the next MAIL (RFC 5321 §4.1.1.4).
  EXPECT_THAT(srv.transcript_text(), Not(HasSubstr("RSET")));
  EXPECT_TRUE(store_->list()->entries.empty());
  ASSERT_EQ(outcomes_.size(), 3u);
  EXPECT_EQ(outcomes_[0].tls.substr(0, 5), "TLSv1");
}

TEST_F(QueueRunnerTest, WrongHostCertificateSendsNothingAfterTheHandshake) {
  FakeSmtpServer& srv = start_server("wrong_host");
  std::string id = enqueue({"bob@example.org"}, "Subject: x\r\n\r\nbody\r\n");
  RunSummary s = run();
  EXPECT_EQ(s.deferred, 1u);
  for (const TranscriptEntry& t : srv.transcript()) {
    EXPECT_FALSE(t.dir == TranscriptEntry::Dir::client && t.tls) << "sent inside TLS: " << t.text;
  }
  EXPECT_THAT(client_lines(), ElementsAre(HasSubstr("EHLO client.test"), "STARTTLS"));
  auto e = store_->load(id);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->rcpts[0].state, RcptState::deferred);
  EXPECT_EQ(e->attempts, 1u);
  EXPECT_THAT(e->last_error, HasSubstr("certificate"));
  EXPECT_GT(e->next_try, clock_.wall());
}

TEST_F(QueueRunnerTest, StarttlsRefusedMeansNoAuthAndNoMail) {  // RELIABILITY.md §6 case 32
  start_server("good", {Fault{.verb = "STARTTLS", .reply = "454 4.7.0 TLS not available"}});
  enqueue({"bob@example.org"}, "x\r\n");
  EXPECT_EQ(run().deferred, 1u);
  for (const std::string& line : client_lines()) {
    EXPECT_THAT(line, Not(HasSubstr("AUTH")));
    EXPECT_THAT(line, Not(HasSubstr("MAIL")));
  }
}

TEST_F(QueueRunnerTest, AuthRefusedDefersNeverBounces) {  // RELIABILITY.md §6 case 19
  start_server("good", {Fault{.verb = "AUTH", .reply = "535 5.7.8 bad credentials"}});
  std::string id = enqueue({"bob@example.org"}, "x\r\n");
  RunSummary s = run();
  EXPECT_EQ(s.deferred, 1u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(store_->load(id)->rcpts[0].state, RcptState::deferred);
}

TEST_F(QueueRunnerTest, PerRecipientOutcomesAndNoResendToTheAccepted) {  // case 15
  FakeSmtpServer& srv = start_server(
      "good", {Fault{.verb = "RCPT", .reply = "550 5.1.1 no such user", .arg_contains = "bad@"},
               Fault{.verb = "RCPT",
                     .reply = "450 4.2.0 mailbox busy",
                     .arg_contains = "later@",
                     .connections = 1}});
  std::string id = enqueue({"good@example.org", "bad@example.org", "later@example.org"},
                           "Subject: x\r\n\r\nbody\r\n");
  run();
  ASSERT_TRUE(srv.wait_for_messages(1, Millis(5000)));
  EXPECT_THAT(srv.messages()[0].rcpt_tos, ElementsAre("good@example.org"));
  auto e = store_->load(id);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->rcpts[0].state, RcptState::sent);
  EXPECT_EQ(e->rcpts[1].state, RcptState::failed);
  EXPECT_THAT(e->rcpts[1].last_reply, HasSubstr("550"));
  EXPECT_EQ(e->rcpts[2].state, RcptState::deferred);
  ASSERT_EQ(outcomes_.size(), 2u) << "the entry, then its bounce in the same run";
  EXPECT_EQ(outcomes_[0].result, EntryResult::partial);
  EXPECT_FALSE(outcomes_[0].bounce.empty());
  EXPECT_EQ(outcomes_[1].id, outcomes_[0].bounce);
  EXPECT_EQ(outcomes_[1].result, EntryResult::delivered);

  // Behaviour 68 / RELIABILITY.md §6 case 14: exactly one DSN, from <>, quoting the reply, for
  // the failed recipient only.
  ASSERT_TRUE(srv.wait_for_messages(2, Millis(5000)));
  test::ReceivedMessage dsn = srv.messages()[1];
  EXPECT_EQ(dsn.mail_from, "");
  EXPECT_THAT(dsn.rcpt_tos, ElementsAre("alice@example.com"));
  EXPECT_THAT(dsn.data, HasSubstr("report-type=delivery-status"));
  EXPECT_THAT(dsn.data, HasSubstr("Final-Recipient: rfc822; bad@example.org"));
  EXPECT_THAT(dsn.data, HasSubstr("Status: 5.1.1"));
  EXPECT_THAT(dsn.data, HasSubstr("550 5.1.1 no such user"));
  EXPECT_THAT(dsn.data, Not(HasSubstr("Final-Recipient: rfc822; later@")));
  EXPECT_THAT(dsn.data, Not(HasSubstr("Final-Recipient: rfc822; good@")));

  run();  // the second connection accepts later@
  ASSERT_TRUE(srv.wait_for_messages(3, Millis(5000)));
  EXPECT_THAT(srv.messages()[2].rcpt_tos, ElementsAre("later@example.org"));
  EXPECT_TRUE(store_->list()->entries.empty()) << "done: the failed part is kept in failed/";
  EXPECT_EQ(srv.messages().size(), 3u) << "no second bounce for the same recipient";
}

// RELIABILITY.md §6 case 44 and behaviour 68: a bounce never bounces; NOTIFY without FAILURE
// suppresses the DSN; a sender without a real domain gets it at the admin address.
TEST_F(QueueRunnerTest, BounceRules) {
  FakeSmtpServer& srv = start_server(
      "good", {Fault{.verb = "RCPT", .reply = "550 5.1.1 gone", .arg_contains = "bad@"}});
  config_.admin = "ops@example.net";
  const struct {
    const char* name;
    std::string sender;
    std::string notify;
    const char* bounce_to;  // nullptr: no bounce
  } kCases[] = {
      {"null sender", "", "", nullptr},
      {"NOTIFY=NEVER", "alice@example.com", "never", nullptr},
      {"NOTIFY=SUCCESS", "alice@example.com", "success", nullptr},
      {"NOTIFY=FAILURE", "alice@example.com", "failure", "alice@example.com"},
      {"local sender", "www-data@localhost", "", "ops@example.net"},
      {"bare host sender", "cron@web1", "", "ops@example.net"},
  };
  size_t expected = 0;
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    outcomes_.clear();
    enqueue({"bad@example.org"}, "Subject: x\r\n\r\nbody\r\n", c.sender, c.notify);
    run();
    ASSERT_FALSE(outcomes_.empty());
    EXPECT_EQ(outcomes_[0].result, EntryResult::failed);
    if (c.bounce_to == nullptr) {
      EXPECT_TRUE(outcomes_[0].bounce.empty());
      EXPECT_FALSE(outcomes_[0].no_bounce.empty());
      EXPECT_EQ(outcomes_.size(), 1u);
      continue;
    }
    ++expected;
    ASSERT_TRUE(srv.wait_for_messages(expected, Millis(5000)));
    test::ReceivedMessage dsn = srv.messages().back();
    EXPECT_EQ(dsn.mail_from, "");
    EXPECT_THAT(dsn.rcpt_tos, ElementsAre(c.bounce_to));
  }
  EXPECT_EQ(srv.messages().size(), expected);
  EXPECT_TRUE(store_->list()->entries.empty());
}

TEST_F(QueueRunnerTest, BackoffIsRespectedUnlessForced) {
  start_server("good", {Fault{.verb = "MAIL", .reply = "451 4.3.0 later", .connections = 1}});
  std::string id = enqueue({"bob@example.org"}, "x\r\n");
  EXPECT_EQ(run(false).deferred, 1u);
  EXPECT_EQ(run(false).deferred + run(false).delivered, 0u) << "not due yet";
  EXPECT_EQ(run(true).delivered, 1u);
}

// Issue 4: a run of many entries reuses one connection up to the account's limit, then opens a
// new one (no RSET in between, QUIT at the limit).
TEST_F(QueueRunnerTest, ConnectionReuseStopsAtTheAccountsLimit) {
  FakeSmtpServer& srv = start_server();
  config_.accounts[0].connections = 1;
  config_.accounts[0].messages_per_connection = 2;
  for (int i = 0; i < 5; ++i) {
    enqueue({"bob@example.org"}, "Subject: " + std::to_string(i) + "\r\n\r\nx\r\n");
  }
  RunSummary s = run();
  EXPECT_EQ(s.delivered, 5u);
  ASSERT_TRUE(srv.wait_for_messages(5, Millis(5000)));
  EXPECT_EQ(srv.connection_count(), 3);
  std::string t = srv.transcript_text(1);
  EXPECT_THAT(t, Not(HasSubstr("RSET")));
  EXPECT_THAT(t, HasSubstr("C~ QUIT"));

  config_.accounts[0].messages_per_connection = 0;  // no limit
  for (int i = 0; i < 5; ++i) {
    enqueue({"bob@example.org"}, "x\r\n");
  }
  EXPECT_EQ(run().delivered, 5u);
  EXPECT_EQ(srv.connection_count(), 4);
}

// Issue 4: `host = "a, b"`: b takes over when a fails temporarily, whatever the way; the error
// that ends an attempt without a fallback names both.
TEST_F(QueueRunnerTest, FallbackHostTakesOverOnTemporaryFailures) {
  struct Case {
    const char* name;
    const char* first_leaf;  // nullptr: nothing listens on the first host
    std::vector<Fault> first_faults;
  };
  const Case cases[] = {
      {"connection refused", nullptr, {}},
      {"421 greeting", "good", {Fault{.verb = "GREETING", .reply = "421 4.3.2 busy"}}},
      {"certificate for another host", "wrong_host", {}},
      {"STARTTLS refused", "good", {Fault{.verb = "STARTTLS", .reply = "454 4.7.0 no TLS"}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    outcomes_.clear();
    FakeSmtpServer& second = start_server();  // 127.0.0.1, certificate with IP:127.0.0.1
    std::unique_ptr<FakeSmtpServer> first;
    if (c.first_leaf != nullptr) {
      FakeSmtpOptions o;
      o.tls = FakeTls::starttls;
      o.listen_host = "127.0.0.2";
      o.port = second.port();
      o.cert_file = pki_.leaf(c.first_leaf)->cert;
      o.key_file = pki_.leaf(c.first_leaf)->key;
      o.user = "demo";
      o.password = kPassword;
      o.faults = c.first_faults;
      first = std::make_unique<FakeSmtpServer>(o);
      ASSERT_TRUE(first->start());
    }
    config_.accounts[0].host = "127.0.0.2";
    config_.accounts[0].fallback_hosts = {"127.0.0.1"};
    enqueue({"bob@example.org"}, "Subject: x\r\n\r\nbody\r\n");
    RunSummary s = run();
    EXPECT_EQ(s.delivered, 1u);
    ASSERT_EQ(outcomes_.size(), 1u);
    EXPECT_THAT(outcomes_[0].relay, HasSubstr("127.0.0.1"));
    EXPECT_EQ(second.messages().size(), 1u);
    if (first) {
      EXPECT_TRUE(first->messages().empty());
      for (const TranscriptEntry& t : first->transcript()) {
        EXPECT_FALSE(t.dir == TranscriptEntry::Dir::client && t.text.starts_with("AUTH"));
      }
    }
  }
  // Both down: deferred, the reason names both hosts.
  outcomes_.clear();
  server_->stop();
  std::string id = enqueue({"bob@example.org"}, "x\r\n");
  EXPECT_EQ(run().deferred, 1u);
  EXPECT_THAT(store_->load(id)->last_error, HasSubstr("127.0.0.2: "));
  EXPECT_THAT(store_->load(id)->last_error, HasSubstr("; 127.0.0.1: "));
}

// A refused login is the account's problem, not the server's: no fallback (it would only
// lock the account faster).
TEST_F(QueueRunnerTest, RefusedLoginDoesNotTryTheFallback) {
  FakeSmtpServer& first =
      start_server("good", {Fault{.verb = "AUTH", .reply = "535 5.7.8 bad credentials"}});
  FakeSmtpOptions o;
  o.tls = FakeTls::starttls;
  o.listen_host = "127.0.0.2";
  o.cert_file = pki_.leaf("good")->cert;
  o.key_file = pki_.leaf("good")->key;
  FakeSmtpServer second(o);
  ASSERT_TRUE(second.start());
  config_.accounts[0].host = "127.0.0.1";
  config_.accounts[0].port = first.port();
  config_.accounts[0].fallback_hosts = {"127.0.0.2"};
  // The fallback listens on another port: were it tried, the connection would be refused and
  // the reason would say so; it must not be tried at all.
  enqueue({"bob@example.org"}, "x\r\n");
  EXPECT_EQ(run().deferred, 1u);
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_THAT(outcomes_[0].reason, HasSubstr("535"));
  EXPECT_THAT(outcomes_[0].reason, Not(HasSubstr("127.0.0.2")));
}

// DESIGN.md §5 and issue 4's from_rewrite: a local sender goes out as the account's `from`;
// with from_rewrite = "always" every sender does; a bounce stays <>.
TEST_F(QueueRunnerTest, WireSenderFollowsTheAccountsFrom) {
  FakeSmtpServer& srv = start_server();
  config_.accounts[0].from = "relay@example.com";
  struct Case {
    const char* sender;
    FromRewrite rewrite;
    const char* wire;
  };
  const Case cases[] = {
      {"alice@example.org", FromRewrite::never, "alice@example.org"},
      {"www-data@localhost", FromRewrite::never, "relay@example.com"},
      {"cron@web1", FromRewrite::never, "relay@example.com"},
      {"alice@example.org", FromRewrite::always, "relay@example.com"},
      {"", FromRewrite::always, ""},
  };
  size_t n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.sender);
    config_.from_rewrite = c.rewrite;
    enqueue({"bob@example.org"}, "x\r\n", c.sender);
    EXPECT_EQ(run().delivered, 1u);
    ASSERT_TRUE(srv.wait_for_messages(++n, Millis(5000)));
    EXPECT_EQ(srv.messages().back().mail_from, c.wire);
  }
}

// Issue 4: a long run opens a new connection every messages_per_connection messages, and every
// TLS handshake after the first resumes the account's cached session.
TEST_F(QueueRunnerTest, LaterConnectionsResumeTheTlsSession) {
  FakeSmtpServer& srv = start_server();
  config_.accounts[0].connections = 1;  // one after the other: each resumes its predecessor
  config_.accounts[0].messages_per_connection = 10;
  for (int i = 0; i < 25; ++i) {
    enqueue({"bob@example.org"}, "Subject: " + std::to_string(i) + "\r\n\r\nx\r\n");
  }
  EXPECT_EQ(run().delivered, 25u);
  ASSERT_TRUE(srv.wait_for_messages(25, Millis(5000)));
  EXPECT_EQ(srv.connection_count(), 3);
  for (const test::ReceivedMessage& m : srv.messages()) {
    SCOPED_TRACE(m.connection);
    EXPECT_TRUE(m.tls);
    EXPECT_EQ(m.tls_resumed, m.connection > 1);
  }
}

// RELIABILITY.md §6 cases 12, 13, 14, 17, 20 and 29 through the whole runner: what the spool
// records, whether exactly one DSN goes out, and that a deferred message arrives exactly once
// on the next run.
TEST_F(QueueRunnerTest, ServerFaultsAreDeferredOrBouncedExactlyOnce) {
  struct Case {
    const char* name;
    std::vector<Fault> faults;  // in the first connection only
    size_t size_limit = 0;
    RcptState want;
    const char* dsn_quotes = nullptr;  // failed: the text the one DSN must quote
  };
  auto once = [](Fault f) {
    f.connections = 1;
    return std::vector<Fault>{f};
  };
  const Case cases[] = {
      {"12 disconnect after the final dot",
       once({.verb = "DOT", .action = Fault::Action::disconnect}), 0, RcptState::deferred},
      {"13 421 at greeting", once({.verb = "GREETING", .reply = "421 4.3.2 busy"}), 0,
       RcptState::deferred},
      {"13 421 at EHLO", once({.verb = "EHLO", .reply = "421 4.3.2 busy"}), 0, RcptState::deferred},
      {"13 421 at MAIL", once({.verb = "MAIL", .reply = "421 4.3.2 busy"}), 0, RcptState::deferred},
      {"13 421 at RCPT", once({.verb = "RCPT", .reply = "421 4.3.2 busy"}), 0, RcptState::deferred},
      {"13 421 at DATA", once({.verb = "DATA", .reply = "421 4.3.2 busy"}), 0, RcptState::deferred},
      {"14 451 after the dot", once({.verb = "DOT", .reply = "451 4.3.0 try later"}), 0,
       RcptState::deferred},
      {"14 554 after the dot",
       once({.verb = "DOT", .reply = "554 5.6.0 content rejected", .nth = 1}), 0, RcptState::failed,
       "554 5.6.0 content rejected"},
      {"17 unsolicited extra reply while pipelining",
       once({.verb = "RCPT", .action = Fault::Action::inject, .reply = "250 2.0.0 extra"}), 0,
       RcptState::deferred},
      {"17 garbage line", once({.verb = "MAIL", .reply = "garbage"}), 0, RcptState::deferred},
      // RET=HDRS: the DSN carries the headers only, so it fits where the message did not.
      {"20 SIZE below the message", {}, 3000, RcptState::failed, "5.3.4"},
      {"29 reply text with a line break and a header",
       once({.verb = "RCPT",
             .reply = "550-5.1.1 no such user\r\n550 5.1.1 Recipient: evil@x.test",
             .arg_contains = "bob@"}),
       0, RcptState::failed, "550 5.1.1 no such user"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    outcomes_.clear();
    FakeSmtpServer& srv =
        start_server("good", c.faults, [&](FakeSmtpOptions& o) { o.size_limit = c.size_limit; });
    std::string id =
        enqueue({"bob@example.org"},
                "Subject: fault\r\n\r\nbody line\r\n" + std::string(4000, 'x') + "\r\n",
                "alice@example.com", "", "HDRS");
    run();
    auto e = store_->load(id);
    if (c.want == RcptState::deferred) {
      ASSERT_TRUE(e) << "a deferred entry stays queued";
      EXPECT_EQ(e->rcpts[0].state, RcptState::deferred);
      EXPECT_TRUE(srv.messages().empty());
      ASSERT_EQ(outcomes_.size(), 1u) << "no bounce for a temporary failure";
      EXPECT_EQ(run().delivered, 1u) << "the next run delivers it";
      ASSERT_TRUE(srv.wait_for_messages(1, Millis(5000)));
      EXPECT_EQ(srv.messages().size(), 1u) << "exactly once";
      continue;
    }
    EXPECT_FALSE(e) << "a failed entry leaves the queue for failed/";
    ASSERT_EQ(outcomes_.size(), 2u) << "the entry, then exactly one DSN";
    EXPECT_EQ(outcomes_[0].result, EntryResult::failed);
    EXPECT_EQ(outcomes_[1].result, EntryResult::delivered) << outcomes_[1].reason;
    ASSERT_TRUE(srv.wait_for_messages(1, Millis(5000)));
    std::vector<test::ReceivedMessage> got = srv.messages();
    ASSERT_EQ(got.size(), 1u) << "only the DSN arrives";
    EXPECT_EQ(got[0].mail_from, "");
    EXPECT_THAT(got[0].rcpt_tos, ElementsAre("alice@example.com")) << "no injected recipient";
    EXPECT_THAT(got[0].data, HasSubstr(c.dsn_quotes));
    EXPECT_THAT(got[0].data, Not(HasSubstr("\r\nRecipient: evil"))) << "no injected header line";
    if (c.size_limit != 0) {
      EXPECT_THAT(srv.transcript_text(1), Not(HasSubstr("C~ MAIL FROM:<alice@")))
          << "nothing of a message that is too big goes out";
    }
  }
}

using test::SlowConnector;

constexpr int64_t kDay = 86400;

// RELIABILITY.md §2: past retry.lifetime the pending recipients fail with 4.4.7 and one DSN
// quotes the last error; the entry is not sent, costs no connection, and is picked up even
// though its next_try is still ahead.
TEST_F(QueueRunnerTest, ExpiredEntryBouncesOnceAndIsNotSent) {
  FakeSmtpServer& srv = start_server();
  config_.retry.lifetime = std::chrono::seconds(5 * kDay);
  std::string id = enqueue({"done@example.org", "bob@example.org"}, "Subject: old\r\n\r\nx\r\n");
  {
    auto e = store_->load(id);
    ASSERT_TRUE(e);
    e->rcpts[0].state = RcptState::sent;  // delivered on an earlier attempt
    ASSERT_TRUE(store_->update(*e));
  }
  age_entry(id, 5 * kDay + 60, 3, "451 4.3.0 try later");
  SlowConnector connector(nullptr, 0);
  RunSummary s = run_with(clock_, connector, /*force=*/false);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(connector.connects, 1) << "one connection, for the DSN only";
  ASSERT_EQ(outcomes_.size(), 2u) << "the entry, then its one DSN";
  EXPECT_EQ(outcomes_[0].result, EntryResult::partial);
  EXPECT_EQ(outcomes_[0].dsn, "4.4.7");
  EXPECT_EQ(outcomes_[0].attempts, 3u) << "giving up is not an attempt";
  EXPECT_FALSE(outcomes_[0].bounce.empty());
  EXPECT_EQ(outcomes_[1].id, outcomes_[0].bounce);
  EXPECT_EQ(outcomes_[1].result, EntryResult::delivered);
  EXPECT_FALSE(store_->load(id)) << "out of the queue";
  EXPECT_TRUE(in_failed(id)) << "kept in failed/";
  ASSERT_EQ(outcomes_[0].rcpts.size(), 2u);
  EXPECT_EQ(outcomes_[0].rcpts[0].state, RcptState::sent);
  EXPECT_EQ(outcomes_[0].rcpts[1].state, RcptState::failed);
  EXPECT_THAT(outcomes_[0].rcpts[1].last_reply, HasSubstr("message expired after 3 attempts"));

  ASSERT_TRUE(srv.wait_for_messages(1, Millis(5000)));
  std::vector<test::ReceivedMessage> got = srv.messages();
  ASSERT_EQ(got.size(), 1u) << "only the DSN: the expired message itself is not sent";
  EXPECT_EQ(got[0].mail_from, "");
  EXPECT_THAT(got[0].rcpt_tos, ElementsAre("alice@example.com"));
  EXPECT_THAT(got[0].data, HasSubstr("Final-Recipient: rfc822; bob@example.org"));
  EXPECT_THAT(got[0].data, Not(HasSubstr("Final-Recipient: rfc822; done@")));
  EXPECT_THAT(got[0].data, HasSubstr("Action: failed"));
  EXPECT_THAT(got[0].data, HasSubstr("Status: 4.4.7"));
  EXPECT_THAT(got[0].data, HasSubstr("message expired after 3 attempts; last error: 451 4.3.0"));

  run();
  run(false);
  EXPECT_EQ(srv.messages().size(), 1u) << "no second bounce";
}

TEST_F(QueueRunnerTest, DeferredEntryWithinItsLifetimeIsRetried) {
  FakeSmtpServer& srv = start_server();
  config_.retry.lifetime = std::chrono::seconds(kDay);
  const struct {
    const char* name;
    int64_t age;
  } kCases[] = {{"young", 60}, {"a minute left", kDay - 60}};
  size_t n = 0;
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    outcomes_.clear();
    std::string id = enqueue({"bob@example.org"}, "Subject: retry\r\n\r\nx\r\n");
    age_entry(id, c.age, 2, "451 4.3.0 try later");
    auto e = store_->load(id);
    e->next_try = clock_.wall() - 1;  // due
    ASSERT_TRUE(store_->update(*e));
    EXPECT_EQ(run(false).delivered, 1u);
    ASSERT_EQ(outcomes_.size(), 1u) << "no DSN";
    ASSERT_TRUE(srv.wait_for_messages(++n, Millis(5000)));
    EXPECT_EQ(srv.messages().back().mail_from, "alice@example.com");
  }
}

// RELIABILITY.md §6 case 18: an outage that outlasts the lifetime bounces once. The lifetime
// runs out while the connection attempt times out; the DSN waits in the queue for the
// smarthost like any message, and later runs add nothing.
TEST_F(QueueRunnerTest, OutageOutlastingTheLifetimeBouncesOnce) {
  start_server();
  server_->stop();  // nothing listens on the account's port
  config_.retry.lifetime = std::chrono::seconds(kDay);
  std::string id = enqueue({"bob@example.org"}, "Subject: outage\r\n\r\nx\r\n");
  age_entry(id, kDay - 10);
  ManualClock clock(clock_.wall());
  SlowConnector connector(&clock, 30);  // the lifetime ends during the connect
  run_with(clock, connector, /*force=*/false);
  EXPECT_EQ(connector.connects, 1) << "the bounce reuses the run's failed session";
  ASSERT_EQ(outcomes_.size(), 2u);
  EXPECT_EQ(outcomes_[0].result, EntryResult::failed);
  EXPECT_EQ(outcomes_[0].dsn, "4.4.7");
  EXPECT_EQ(outcomes_[1].id, outcomes_[0].bounce);
  EXPECT_EQ(outcomes_[1].result, EntryResult::deferred) << "the DSN waits for the smarthost";
  EXPECT_FALSE(store_->load(id));
  EXPECT_TRUE(in_failed(id));

  // Still down: the DSN is retried, nothing new is generated.
  outcomes_.clear();
  clock.advance(kDay / 2);
  run_with(clock, connector, /*force=*/true);
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].result, EntryResult::deferred);

  // Back up: exactly one DSN arrives, quoting the connection failure; then nothing more.
  FakeSmtpServer& srv = start_server();
  outcomes_.clear();
  run();
  ASSERT_TRUE(srv.wait_for_messages(1, Millis(5000)));
  run();
  std::vector<test::ReceivedMessage> got = srv.messages();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].mail_from, "");
  EXPECT_THAT(got[0].data, HasSubstr("Status: 4.4.7"));
  EXPECT_THAT(got[0].data, HasSubstr("Action: failed"));
  EXPECT_THAT(got[0].data, HasSubstr("message expired after 1 attempt; last error: "));
  EXPECT_TRUE(store_->list()->entries.empty());
}

// The bounce rules hold for expiry as for any permanent failure; with no DSN to send the
// expired entry costs no connection at all.
TEST_F(QueueRunnerTest, ExpiryFollowsTheBounceRules) {
  FakeSmtpServer& srv = start_server();
  config_.admin = "ops@example.net";
  config_.retry.lifetime = std::chrono::seconds(kDay);
  const struct {
    const char* name;
    std::string sender;
    std::string notify;
    const char* bounce_to;  // nullptr: no bounce
  } kCases[] = {
      {"null sender", "", "", nullptr},
      {"NOTIFY=NEVER", "alice@example.com", "never", nullptr},
      {"NOTIFY=DELAY", "alice@example.com", "delay", nullptr},
      {"NOTIFY=FAILURE", "alice@example.com", "failure", "alice@example.com"},
      {"local sender", "www-data@localhost", "", "ops@example.net"},
  };
  size_t expected = 0;
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    outcomes_.clear();
    std::string id = enqueue({"bob@example.org"}, "Subject: x\r\n\r\nbody\r\n", c.sender, c.notify);
    age_entry(id, 2 * kDay, 4, "421 4.3.2 busy");
    SlowConnector connector(nullptr, 0);
    run_with(clock_, connector, /*force=*/false);
    ASSERT_FALSE(outcomes_.empty());
    EXPECT_EQ(outcomes_[0].result, EntryResult::failed);
    EXPECT_EQ(outcomes_[0].dsn, "4.4.7");
    EXPECT_FALSE(store_->load(id));
    EXPECT_TRUE(in_failed(id));
    if (c.bounce_to == nullptr) {
      EXPECT_TRUE(outcomes_[0].bounce.empty());
      EXPECT_FALSE(outcomes_[0].no_bounce.empty());
      EXPECT_EQ(outcomes_.size(), 1u);
      EXPECT_EQ(connector.connects, 0);
      continue;
    }
    EXPECT_EQ(connector.connects, 1);
    ASSERT_TRUE(srv.wait_for_messages(++expected, Millis(5000)));
    test::ReceivedMessage dsn = srv.messages().back();
    EXPECT_EQ(dsn.mail_from, "");
    EXPECT_THAT(dsn.rcpt_tos, ElementsAre(c.bounce_to));
    EXPECT_THAT(dsn.data, HasSubstr("Status: 4.4.7"));
  }
  EXPECT_EQ(srv.messages().size(), expected);
  EXPECT_TRUE(store_->list()->entries.empty());
}

// DESIGN.md §6: a run removes what a crashed writer left in tmp/ an hour ago or more, never a
// file that may belong to a submission in progress.
TEST_F(QueueRunnerTest, RunRemovesOldLeftoversFromTmp) {
  start_server();
  enqueue({"bob@example.org"}, "x\r\n");  // creates the spool and its tmp/
  std::string tmp = dir_->file("spool") + "/tmp";
  std::string old_file = tmp + "/crashed-writer";
  std::string fresh_file = tmp + "/in-progress";
  for (const std::string& f : {old_file, fresh_file}) {
    int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0) << f;
    ::close(fd);
  }
  const timeval two_hours_ago[2] = {{clock_.wall() - 7200, 0}, {clock_.wall() - 7200, 0}};
  ASSERT_EQ(::utimes(old_file.c_str(), two_hours_ago), 0);
  RunSummary s = run();
  EXPECT_TRUE(s.errors.empty());
  EXPECT_EQ(s.delivered, 1u);
  EXPECT_NE(::access(old_file.c_str(), F_OK), 0) << "an hour-old leftover is removed";
  EXPECT_EQ(::access(fresh_file.c_str(), F_OK), 0) << "a fresh file may be a submission";
}

// RELIABILITY.md §6 case 6: with the disk full (every write fails with ENOSPC) the queue still
// drains, because finishing a delivered entry only unlinks. What needs new bytes on disk (the
// bounce for a refused recipient, the record of a partial delivery) fails loudly and keeps the
// entry queued, never drops it; once there is room again the next run finishes the job.
TEST_F(QueueRunnerTest, DiskFullStillDrainsAndLosesNothing) {
  start_server("good", {Fault{.verb = "RCPT", .reply = "550 5.1.1 gone", .arg_contains = "bad@"}});
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(enqueue({"bob@example.org"}, "Subject: " + std::to_string(i) + "\r\n\r\nx\r\n"));
  }
  std::string mixed = enqueue({"carol@example.org", "bad@example.org"}, "Subject: m\r\n\r\ny\r\n");
  test::FaultOps full;
  full.fail_write_from = 1;
  full.write_errno = ENOSPC;
  test::LockedOps locked(full);  // the run's threads share it
  store_ = std::make_unique<FsQueueStore>(dir_->file("spool"), clock_, locked);
  RunSummary s = run();
  EXPECT_EQ(s.delivered, 3u);
  EXPECT_FALSE(s.errors.empty()) << "the bounce could not be written: said so";
  auto left = store_->list();
  ASSERT_TRUE(left);
  ASSERT_EQ(left->entries.size(), 1u) << "only the entry that needed a write is still queued";
  EXPECT_EQ(left->entries[0].id, mixed);
  EXPECT_EQ(server_->messages().size(), 4u);
  EXPECT_GT(full.writes, 0);

  store_ = std::make_unique<FsQueueStore>(dir_->file("spool"), clock_);  // room again
  RunSummary again = run();
  EXPECT_TRUE(again.errors.empty());
  EXPECT_TRUE(store_->list()->entries.empty());
  EXPECT_TRUE(in_failed(mixed));
  size_t dsns = 0;
  for (const auto& m : server_->messages()) {
    dsns += m.mail_from.empty() ? 1 : 0;
  }
  EXPECT_EQ(dsns, 1u) << "exactly one bounce for bad@, once there was room for it";
}

// A bounce that cannot be queued (the disk fills just then) must not let the failure be recorded
// without it: the entry stays queued, the refused recipient is tried again, and the sender gets
// exactly one DSN once the spool takes it.
TEST_F(QueueRunnerTest, BounceThatCannotBeWrittenIsNotForgotten) {
  start_server("good", {Fault{.verb = "RCPT", .reply = "550 5.1.1 gone", .arg_contains = "bad@"}});
  std::string id = enqueue({"bad@example.org"}, "Subject: b\r\n\r\nz\r\n");
  test::FaultOps flaky;
  flaky.fail_write_at = 1;  // the bounce's first bytes; everything after succeeds
  flaky.write_errno = ENOSPC;
  test::LockedOps locked(flaky);
  store_ = std::make_unique<FsQueueStore>(dir_->file("spool"), clock_, locked);
  RunSummary s = run();
  EXPECT_FALSE(s.errors.empty());
  EXPECT_FALSE(in_failed(id)) << "failed/ without a bounce: the sender would never know";
  ASSERT_EQ(store_->list()->entries.size(), 1u);

  store_ = std::make_unique<FsQueueStore>(dir_->file("spool"), clock_);
  RunSummary again = run();
  EXPECT_TRUE(again.errors.empty());
  EXPECT_TRUE(in_failed(id));
  size_t dsns = 0;
  for (const auto& m : server_->messages()) {
    dsns += m.mail_from.empty() ? 1 : 0;
  }
  EXPECT_EQ(dsns, 1u);
  EXPECT_TRUE(store_->list()->entries.empty());
}

// RELIABILITY.md §6 case 48: a smarthost that keeps answering "rate limited" (421 at the
// greeting, or 451 to MAIL) gets exponential backoff, not a tight loop. Runs every minute for six
// hours of manual time; the attempts thin out as retry.first doubles to retry.max (±10 %).
TEST_F(QueueRunnerTest, RateLimitedSmarthostGetsExponentialBackoff) {
  const std::vector<Fault> kLimits[] = {
      {Fault{.verb = "GREETING", .reply = "421 4.7.0 rate limited, slow down"}},
      {Fault{.verb = "MAIL", .reply = "451 4.7.1 rate limited, slow down"}}};
  // The connections counted are the entry's own: no delay warning (due after 4 h) adds its own.
  config_.retry.warn = std::chrono::seconds(0);
  for (const auto& faults : kLimits) {
    SCOPED_TRACE(faults[0].reply);
    start_server("good", faults);
    std::string id = enqueue({"bob@example.org"}, "Subject: limited\r\n\r\nx\r\n");
    ManualClock clock(clock_.wall());
    SlowConnector connector(nullptr, 0);
    std::vector<int64_t> attempts;
    for (int minute = 0; minute < 6 * 60; ++minute) {
      int before = connector.connects;
      run_with(clock, connector, /*force=*/false);
      if (connector.connects != before) {
        attempts.push_back(clock.wall());
      }
      clock.advance(60);
    }
    // first = 60 s, max = 3600 s: nominal gaps 60, 120, 240, 480, 960, 1920, 3600, 3600, ...
    ASSERT_GE(attempts.size(), 8u);
    EXPECT_LE(attempts.size(), 12u) << "six hours of a tight loop would be 360";
    int64_t nominal = config_.retry.first.count();
    for (size_t k = 1; k < attempts.size(); ++k) {
      int64_t gap = attempts[k] - attempts[k - 1];
      EXPECT_GE(gap, nominal * 9 / 10) << "attempt " << k;
      EXPECT_LE(gap, nominal * 11 / 10 + 60) << "attempt " << k;  // + the one-minute run step
      nominal = std::min<int64_t>(nominal * 2, config_.retry.max.count());
    }
    EXPECT_EQ(store_->load(id)->attempts, attempts.size());
    ASSERT_TRUE(store_->remove(id));
  }
}

// RELIABILITY.md §6 case 46 and issue 5's "immediate retry when a run finds the network back":
// 10,000 messages queued while the smarthost is unreachable cost one connection attempt per run,
// not one per message. When a run reaches the smarthost again (here: for a new message) the
// whole backlog goes at once, whatever its backoff says, within messages_per_connection, each
// message exactly once. fsync is skipped: this is about scale, the fault tests cover durability.
TEST_F(QueueRunnerTest, OfflineBacklogDrainsWhenTheNetworkIsBack) {
  constexpr int kBacklog = 10000;
  FakeSmtpServer& probe = start_server();
  const uint16_t port = probe.port();
  server_.reset();  // the smarthost goes away; its port stays ours to reuse
  NoSyncOps nosync;
  store_ = std::make_unique<FsQueueStore>(dir_->file("spool"), clock_, nosync);
  for (int i = 0; i < kBacklog; ++i) {
    enqueue({"bob@example.org"}, "Subject: backlog " + std::to_string(i) + "\r\n\r\nx\r\n");
  }
  SlowConnector offline(nullptr, 0);
  RunSummary down = run_with(clock_, offline, /*force=*/false);
  EXPECT_EQ(down.deferred, static_cast<size_t>(kBacklog));
  EXPECT_EQ(offline.connects, 1) << "one refused connect, and every entry deferred with it";
  EXPECT_EQ(run_with(clock_, offline, false).deferred, 0u) << "backoff: nothing due yet";

  FakeSmtpServer& srv = start_server("good", {}, [&](FakeSmtpOptions& o) { o.port = port; });
  enqueue({"carol@example.org"}, "Subject: written when back online\r\n\r\ny\r\n");
  SlowConnector online(nullptr, 0);
  rusage before{};
  ::getrusage(RUSAGE_SELF, &before);
  auto t0 = std::chrono::steady_clock::now();
  RunSummary up = run_with(clock_, online, /*force=*/false);
  auto ms = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t0).count();
  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  EXPECT_EQ(up.delivered, static_cast<size_t>(kBacklog + 1));
  EXPECT_TRUE(up.errors.empty());
  // messages_per_connection = 100 on each of the account's connections: at most one connection
  // per worker is cut short by the end of the run.
  const int full = (kBacklog + 1 + 99) / 100;
  EXPECT_GE(online.connects, full);
  EXPECT_LE(online.connects, full + static_cast<int>(config_.accounts[0].connections) - 1);
  EXPECT_TRUE(store_->list()->entries.empty());
  ASSERT_TRUE(srv.wait_for_messages(kBacklog + 1, Millis(30000)));
  std::set<std::string> subjects;
  for (const auto& m : srv.messages()) {
    subjects.insert(m.data.substr(0, m.data.find("\r\n")));
  }
  EXPECT_EQ(subjects.size(), static_cast<size_t>(kBacklog + 1)) << "each exactly once";
  std::cout << "[ backlog  ] " << kBacklog + 1 << " messages in " << ms << " ms, "
            << online.connects << " connections, peak RSS " << before.ru_maxrss / 1024 << " -> "
            << after.ru_maxrss / 1024 << " MB\n";
}

}  // namespace
}  // namespace rm
