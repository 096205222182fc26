// context/delivery_command.h: every choice relaymail makes is on relaymaild's command line, and
// what relaymaild reads back is what relaymail meant; a bad command line is one usage error.
#include "context/delivery_command.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rm {
namespace {

using Argv = std::vector<std::string>;

TEST(DeliveryCommand, SaysEveryChoiceOnTheCommandLineAndReadsItBack) {
  struct Case {
    const char* name;
    DeliveryCommand run;
    Argv argv;
  };
  const Case kCases[] = {
      {"bare flush", {}, {"relaymaild", "flush"}},
      {"relaymail flush",
       {.config_path = "/etc/relaymail.conf", .name = "relaymail", .print = true},
       {"relaymaild", "flush", "-C", "/etc/relaymail.conf", "--name", "relaymail", "--print"}},
      {"background after a submission",
       {.config_path = "c", .name = "sendmail", .due_only = true},
       {"relaymaild", "flush", "-C", "c", "--name", "sendmail", "--due"}},
      {"foreground, quiet, one id",
       {.name = "sendmail", .quiet_success = true, .log_to_stderr = false, .ids = {"ABC"}},
       {"relaymaild", "flush", "--name", "sendmail", "--quiet-success", "--no-stderr", "--",
        "ABC"}},
      {"password set",
       {.command = "password-set", .config_path = "c", .name = "relaymail", .ids = {"gmail"}},
       {"relaymaild", "password-set", "-C", "c", "--name", "relaymail", "--", "gmail"}},
      {"oauth2 authorize",
       {.command = "oauth2-authorize", .config_path = "c", .name = "relaymail", .ids = {"m365"}},
       {"relaymaild", "oauth2-authorize", "-C", "c", "--name", "relaymail", "--", "m365"}},
      {"check --connect",
       {.command = "check-connect", .config_path = "c"},
       {"relaymaild", "check-connect", "-C", "c"}},
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(encode(c.run), c.argv) << c.name;
    auto back = decode(c.argv);
    ASSERT_TRUE(back) << c.name << ": " << back.error().what;
    EXPECT_EQ(*back, c.run) << c.name;
  }
}

TEST(DeliveryCommand, ABadCommandLineIsOneUsageError) {
  struct Case {
    Argv argv;
    const char* error;
  };
  const Case kCases[] = {
      {{"relaymaild"}, "no command"},
      {{"relaymaild", "serve-forever"}, "unknown command 'serve-forever'"},
      {{"relaymaild", "flush", "--bogus"}, "unknown option '--bogus'"},
      {{"relaymaild", "flush", "-C"}, "unknown option '-C'"},
      {{"relaymaild", "check-connect", "ABC"}, "check-connect takes no ids or delivery options"},
      {{"relaymaild", "check-connect", "--due"}, "check-connect takes no ids or delivery options"},
      {{"relaymaild", "password-set"},
       "password-set takes one account name and no delivery options"},
      {{"relaymaild", "password-clear", "a", "b"},
       "password-clear takes one account name and no delivery options"},
      {{"relaymaild", "oauth2-authorize"},
       "oauth2-authorize takes one account name and no delivery options"},
      {{"relaymaild", "oauth2-authorize", "a", "--print"},
       "oauth2-authorize takes one account name and no delivery options"},
  };
  for (const Case& c : kCases) {
    auto r = decode(c.argv);
    ASSERT_FALSE(r) << c.error;
    EXPECT_EQ(r.error().code, Errc::usage);
    EXPECT_EQ(r.error().what, c.error);
  }
  // After "--" everything is an id, even what looks like an option.
  auto ids = decode({"relaymaild", "flush", "--", "-x", "ABC"});
  ASSERT_TRUE(ids);
  EXPECT_EQ(ids->ids, (Argv{"-x", "ABC"}));
}

}  // namespace
}  // namespace rm
