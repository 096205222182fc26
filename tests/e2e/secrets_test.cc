// End-to-end check of RELIABILITY.md §6 case 38: the smarthost password never appears in what
// relaymail writes (stdout, stderr, a debug log file with the SMTP trace, the spool) nor in the
// command line or environment it runs with. Cores: sys/hardening.h (unit-tested in sys).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "e2e/harness.h"

namespace rm::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

namespace fs = std::filesystem;

constexpr char kPassword[] = "s3cret-pass";

TEST(Secrets, PasswordNeverWrittenAnywhere) {
  for (const char* mechs : {"PLAIN", "LOGIN"}) {
    SCOPED_TRACE(mechs);
    World w;
    Smtpd srv(w.dir(), {.flags = {"--auth-mechs", mechs}});
    ASSERT_TRUE(srv.start());
    w.write_config(srv, "queue");
    std::string conf = read_file(w.config_path());
    std::string log = w.dir() + "/relaymail.log";
    std::string plain_auth = std::string("auth = \"") + (mechs[0] == 'P' ? "plain" : "login");
    size_t at = conf.find("auth = \"plain");
    ASSERT_NE(at, std::string::npos);
    conf.replace(at, std::string("auth = \"plain").size(), plain_auth);
    at = conf.find("log = { syslog = false; };");
    ASSERT_NE(at, std::string::npos);
    conf.replace(at, std::string("log = { syslog = false; };").size(),
                 "log = { syslog = false; level = \"debug\"; file = \"" + log + "\"; };");
    ASSERT_TRUE(write_file(w.config_path(), conf));
    RunResult s = w.sendmail({"-i", "bob@example.org"}, "Subject: s\n\nbody\n");
    ASSERT_EQ(s.exit_code, 0) << s.err;
    RunResult f = w.relaymail({"flush"});
    EXPECT_EQ(f.exit_code, 0) << f.err;
    ASSERT_TRUE(srv.wait_for(1, std::chrono::seconds(10)));
    EXPECT_THAT(f.out + f.err + s.out + s.err, Not(HasSubstr(kPassword)));
    std::string logged = read_file(log);
    EXPECT_THAT(logged, HasSubstr("AUTH")) << "the debug trace is on";
    EXPECT_THAT(logged, Not(HasSubstr(kPassword)));
    for (const auto& entry : fs::recursive_directory_iterator(w.spool())) {
      if (entry.is_regular_file()) {
        EXPECT_THAT(read_file(entry.path()), Not(HasSubstr(kPassword))) << entry.path();
      }
    }
    // What relaymail is given to run with: argv and the environment name the config, never
    // the password (a file source: read at delivery time only).
    for (const std::string& e : w.env()) {
      EXPECT_THAT(e, Not(HasSubstr(kPassword)));
    }
    EXPECT_THAT(conf, Not(HasSubstr(kPassword)));
  }
}

}  // namespace
}  // namespace rm::e2e
