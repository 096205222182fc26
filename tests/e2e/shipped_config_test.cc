// End-to-end: etc/relaymail.conf as the packages install it. Daemon mode and no account yet:
// `relaymail check` accepts it and says what is missing; and with no account, a message is
// accepted and kept in the queue, the flush line saying why. relaymail takes its -C before or
// after the command.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "e2e/harness.h"

namespace rm::e2e {
namespace {

using ::testing::HasSubstr;

std::string shipped_config() {
  const std::string here = __FILE__;
  return here.substr(0, here.rfind("/tests/")) + "/etc/relaymail.conf";
}

TEST(ShippedConfig, CheckAcceptsItAndSaysNoAccountIsGivenYet) {
  World w;
  RunResult r = run(w.bin("relaymail"), {"-C", shipped_config(), "check"}, "",
                    {"XDG_STATE_HOME=" + w.dir() + "/state"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(": OK (0 accounts, delivery daemon, spool /var/spool/relaymail)\n"));
  EXPECT_THAT(r.out, HasSubstr(": no account yet: mail is accepted and kept in the queue until "
                               "`accounts` names a smarthost (host, user, password); see "
                               "relaymail.conf(5)"));
  EXPECT_EQ(r.err, "");
}

TEST(ShippedConfig, WithNoAccountMailIsKeptInTheQueue) {
  World w;
  ASSERT_TRUE(write_file(w.config_path(), "delivery = \"queue\";\nspool = \"" + w.spool() +
                                              "\";\ndomain = \"example.com\";\n"
                                              "log = { syslog = false; };\n"));
  ASSERT_EQ(w.sendmail({"-i", "bob@example.org"}, "Subject: waits\n\nbody\n").exit_code, 0);
  RunResult f = w.relaymail({"flush"});
  EXPECT_EQ(f.exit_code, 0) << f.err;
  EXPECT_THAT(f.out, HasSubstr("status=deferred"));
  EXPECT_THAT(f.out, HasSubstr("reason=\"no account configured\""));
  EXPECT_EQ(w.queued(), 1u);
  EXPECT_THAT(w.mailq().out, HasSubstr("last error: no account configured"));
}

TEST(ShippedConfig, MinusCIsHonouredBeforeOrAfterTheCommand) {
  World w;
  const std::string missing = w.dir() + "/missing.conf";
  const std::vector<std::vector<std::string>> kArgs = {
      {"-C", missing, "check"},       {"check", "-C", missing},
      {"--config", missing, "queue"}, {"queue", "-C", missing},
      {"flush", "--config", missing}, {"send", "-C", missing, "a@b.example"},
  };
  for (const auto& args : kArgs) {
    SCOPED_TRACE(args[0] + " " + args[1]);
    RunResult r = run(w.bin("relaymail"), args, "Subject: x\n\nbody\n");
    EXPECT_EQ(r.exit_code, 78) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr(missing));
  }
}

}  // namespace
}  // namespace rm::e2e
