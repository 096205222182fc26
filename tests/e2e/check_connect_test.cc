// End-to-end checks of `relaymail check --connect` (issue 4): a real login to each account,
// reporting TLS, certificate and AUTH, or the exact failure; nothing queued or sent.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "e2e/harness.h"

namespace rm::e2e {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(CheckConnect, ReportsTlsCertificateAndLogin) {
  World w;
  Smtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  RunResult r = w.relaymail({"check", "--connect"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("account test: localhost port"), HasSubstr("tls: TLSv1."),
                           HasSubstr("certificate: CN=localhost"), HasSubstr("issuer: "),
                           HasSubstr("expires: "), HasSubstr("auth offered: PLAIN LOGIN"),
                           HasSubstr("login: PLAIN as demo"), HasSubstr("  OK\n")));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("s3cret-pass")));
  EXPECT_EQ(srv.received(), 0u);
  EXPECT_EQ(w.queued(), 0u);
}

struct FailCase {
  const char* name;
  SmtpdOptions smtpd;
  bool stop_first = false;
  const char* why;
};

TEST(CheckConnect, ReportsTheExactFailure) {
  const FailCase cases[] = {
      {.name = "wrong password", .smtpd = {.password = "not-the-configured-one"}, .why = "535"},
      {.name = "certificate for another host",
       .smtpd = {.cert = "wrong_host"},
       .why = "certificate"},
      {.name = "expired certificate", .smtpd = {.cert = "expired"}, .why = "expired"},
      {.name = "nobody listening", .smtpd = {}, .stop_first = true, .why = "refused"},
  };
  for (const FailCase& c : cases) {
    SCOPED_TRACE(c.name);
    World w;
    Smtpd srv(w.dir(), c.smtpd);
    ASSERT_TRUE(srv.start());
    w.write_config(srv, "queue");
    if (c.stop_first) {
      srv.stop();
    }
    RunResult r = w.relaymail({"check", "--connect"});
    EXPECT_EQ(r.exit_code, 69) << r.out << r.err;
    EXPECT_THAT(r.out, HasSubstr("  FAILED: "));
    EXPECT_THAT(r.out, HasSubstr(c.why));
    EXPECT_THAT(r.out, Not(HasSubstr("  OK\n")));
    EXPECT_THAT(r.out + r.err, Not(HasSubstr("s3cret-pass")));
  }
}

// A password source that fails names the account once, in the report and in the log line.
TEST(CheckConnect, APasswordSourceFailureNamesTheAccountOnce) {
  World w;
  Smtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  std::string config = read_file(w.config_path());
  const size_t at = config.find("  password = { file = ");
  ASSERT_NE(at, std::string::npos);
  config.replace(at, config.find('\n', at) - at, "  password = { env = \"RM_UNSET_PASSWORD\"; };");
  ASSERT_TRUE(write_file(w.config_path(), config));
  RunResult r = w.relaymail({"check", "--connect"});
  EXPECT_EQ(r.exit_code, 69) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("  FAILED: account test: variable RM_UNSET_PASSWORD is not set\n"));
  EXPECT_THAT(r.err, HasSubstr("check: account test: variable RM_UNSET_PASSWORD is not set\n"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("account test: account test")));
}

TEST(CheckConnect, UnknownArgumentIsAUsageError) {
  World w;
  Smtpd srv(w.dir(), {});
  ASSERT_TRUE(srv.start());
  w.write_config(srv, "queue");
  RunResult r = w.relaymail({"check", "--conect"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_THAT(r.err, HasSubstr("--conect"));
}

}  // namespace
}  // namespace rm::e2e
