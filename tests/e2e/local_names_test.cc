// End-to-end: -bs (behaviour 23), newaliases (21), -bv (24), aliases and the admin address
// (59, 60), unknown local names (61), the size limit (46) — through the built binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "e2e/harness.h"

namespace rm::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

class LocalNames : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(srv_.start());
    w_.write_config(srv_, "queue");
  }
  // Prepends settings to the world's config.
  void configure(const std::string& lines) {
    std::string text = read_file(w_.config_path());
    ASSERT_TRUE(write_file(w_.config_path(), lines + text));
  }
  std::string aliases_path() const { return w_.dir() + "/aliases"; }

  World w_;
  Smtpd srv_{w_.dir(), {}};
};

TEST_F(LocalNames, B23_SmtpOnStdinQueuesEachMessageBeforeIts250) {
  const std::string dialogue =
      "EHLO php.example\n"  // LF-only input is tolerated
      "MAIL FROM:<app@example.org>\r\n"
      "RCPT TO:<bob@example.org>\r\n"
      "DATA\r\n"
      "Subject: one\r\n\r\n..dot-stuffed line\r\n.\r\n"
      "MAIL FROM:<>\r\n"
      "RCPT TO:<root>\r\n"
      "DATA\r\n"
      "Subject: two\r\n\r\nbody\r\n.\r\n"
      "QUIT\r\n";
  RunResult r = w_.sendmail({"-bs", "-i"}, dialogue);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, testing::StartsWith("220 "));
  EXPECT_THAT(r.out, HasSubstr("250-PIPELINING\r\n"));
  EXPECT_THAT(r.out, HasSubstr("354 "));
  EXPECT_THAT(r.out, HasSubstr("queued as "));
  EXPECT_THAT(r.out, HasSubstr("221 "));
  EXPECT_THAT(r.out, Not(HasSubstr("\n\n")));
  EXPECT_EQ(w_.queued(), 2u);
  RunResult f = w_.relaymail({"flush"});
  ASSERT_TRUE(srv_.wait_for(2, 10s)) << f.out << f.err;
  auto msgs = srv_.messages();
  auto envs = srv_.envelopes();
  ASSERT_EQ(msgs.size(), 2u);
  ASSERT_EQ(envs.size(), 2u);
  // The two entries go over parallel connections: the smarthost may take them in either order.
  size_t one = msgs[0].find("Subject: one") != std::string::npos ? 0 : 1;
  EXPECT_THAT(msgs[one], HasSubstr("Subject: one"));
  EXPECT_THAT(msgs[one], HasSubstr("\r\n\r\n.dot-stuffed line\r\n")) << "SMTP un-stuffs once";
  EXPECT_THAT(envs[one], HasSubstr("from: app@example.org"));
  EXPECT_THAT(envs[1 - one], HasSubstr("to: root@example.com"));
}

TEST_F(LocalNames, B23_EofInsideDataQueuesNothing) {
  RunResult r = w_.sendmail({"-bs"},
                            "HELO x\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\n"
                            "DATA\r\nSubject: cut\r\n\r\nhalf a mess");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(w_.queued(), 0u);
}

TEST_F(LocalNames, B59_B60_AliasesThenAdmin) {
  ASSERT_TRUE(write_file(aliases_path(),
                         "# system aliases\n"
                         "postmaster: root\n"
                         "root: sysadmins\n"
                         "sysadmins: ops@example.net, pager\n"
                         "nobody: /dev/null\n"
                         "cmd: |/bin/false\n"));
  configure("aliases = \"" + aliases_path() + "\";\nadmin = \"admin@example.net\";\n");
  RunResult r = w_.sendmail({"-i", "postmaster@localhost", "www-data"}, "Subject: a\n\nx\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "") << "alias warnings are not printed on the submission path";
  w_.relaymail({"flush"});
  ASSERT_TRUE(srv_.wait_for(1, 10s));
  std::string env = srv_.envelopes().at(0);
  EXPECT_THAT(env, HasSubstr("to: ops@example.net"));
  EXPECT_THAT(env, HasSubstr("to: pager@example.com"));
  EXPECT_THAT(env, HasSubstr("to: www-data@example.com"));

  RunResult v = w_.sendmail({"-bv", "root", "alice"}, "");  // behaviour 24
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_THAT(v.out, HasSubstr("ops@example.net"));
  EXPECT_THAT(v.out, HasSubstr("alice@example.com"));

  RunResult n = run(w_.bin("newaliases"), {}, "", w_.env());  // behaviour 21
  EXPECT_EQ(n.exit_code, 0);
  EXPECT_THAT(n.err, HasSubstr("/dev/null"));
  EXPECT_THAT(n.err, HasSubstr("|/bin/false"));
}

TEST_F(LocalNames, B21_UnparsableAliasesExit78) {
  ASSERT_TRUE(write_file(aliases_path(), "root ops@example.net\n"));
  configure("aliases = \"" + aliases_path() + "\";\n");
  for (const char* flag : {"-bi", "-I"}) {
    SCOPED_TRACE(flag);
    RunResult r = w_.sendmail({flag}, "");
    EXPECT_EQ(r.exit_code, 78);
    EXPECT_THAT(r.err, HasSubstr(aliases_path() + ":1:"));
  }
  RunResult s = w_.sendmail({"-i", "root"}, "Subject: x\n\nbody\n");
  EXPECT_EQ(s.exit_code, 78);
  EXPECT_EQ(w_.queued(), 0u);
}

TEST_F(LocalNames, B61_UnknownLocalNamesRejectedWhenConfigured) {
  ASSERT_TRUE(write_file(aliases_path(), "webmaster: alice@example.org\n"));
  configure("aliases = \"" + aliases_path() + "\";\nunknown_local = \"reject\";\n");
  RunResult bad = w_.sendmail({"-i", "nosuchuser"}, "Subject: x\n\nbody\n");
  EXPECT_EQ(bad.exit_code, 67);
  EXPECT_THAT(bad.err, HasSubstr("nosuchuser: user unknown"));
  RunResult good = w_.sendmail({"-i", "webmaster"}, "Subject: x\n\nbody\n");
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_EQ(w_.queued(), 1u);
}

TEST_F(LocalNames, B46_MessagesAboveTheSizeLimitExit69) {
  configure("max_message_size = \"2k\";\n");
  RunResult big = w_.sendmail({"-i", "a@example.org"}, "Subject: x\n\n" + std::string(5000, 'y'));
  EXPECT_EQ(big.exit_code, 69);
  EXPECT_THAT(big.err, HasSubstr("size limit"));
  EXPECT_EQ(w_.queued(), 0u);
  RunResult small = w_.sendmail({"-i", "a@example.org"}, "Subject: x\n\nsmall\n");
  EXPECT_EQ(small.exit_code, 0) << small.err;
  EXPECT_EQ(w_.queued(), 1u);
}

}  // namespace
}  // namespace rm::e2e
