// SENDMAIL.md §2 and behaviours 2–16, 22, 25: the option parser as a table.
#include "cli/sendmail_args.h"

#include <gtest/gtest.h>

namespace rm::cli {
namespace {

struct ArgCase {
  const char* name;
  std::vector<std::string> args;
  Mode mode = Mode::deliver;
  bool extract = false;
  bool ignore_dots = false;
  std::optional<std::string> sender = std::nullopt;
  std::string full_name = "";
  std::vector<std::string> rcpts = {};
  bool usage_error = false;
  size_t warnings = 0;
  DeliveryOverride delivery = DeliveryOverride::none;
};

const ArgCase kCases[] = {
    {.name = "php -t -i", .args = {"-t", "-i"}, .extract = true, .ignore_dots = true},
    {.name = "b2 -oi", .args = {"-oi", "a@x"}, .ignore_dots = true, .rcpts = {"a@x"}},
    {.name = "b2 -O IgnoreDots=true",
     .args = {"-O", "IgnoreDots=true", "a@x"},
     .ignore_dots = true,
     .rcpts = {"a@x"}},
    {.name = "b3 cluster -ti", .args = {"-ti"}, .extract = true, .ignore_dots = true},
    {.name = "b4 -B8BITMIME", .args = {"-B8BITMIME", "a@x"}, .rcpts = {"a@x"}},
    {.name = "b4 -B 8BITMIME", .args = {"-B", "8BITMIME", "a@x"}, .rcpts = {"a@x"}},
    {.name = "b5 -fattached", .args = {"-fuser@x", "a@x"}, .sender = "user@x", .rcpts = {"a@x"}},
    {.name = "b5 -f separate",
     .args = {"-f", "user@x", "a@x"},
     .sender = "user@x",
     .rcpts = {"a@x"}},
    {.name = "b5 -r", .args = {"-r", "user@x", "a@x"}, .sender = "user@x", .rcpts = {"a@x"}},
    {.name = "b6 last -f wins",
     .args = {"-fa@x", "-f", "b@x", "c@x"},
     .sender = "b@x",
     .rcpts = {"c@x"}},
    {.name = "b7 -f ''", .args = {"-f", "", "a@x"}, .sender = "", .rcpts = {"a@x"}},
    {.name = "b7 -f <>", .args = {"-f", "<>", "a@x"}, .sender = "", .rcpts = {"a@x"}},
    {.name = "b8 -F",
     .args = {"-FCronDaemon", "root"},
     .full_name = "CronDaemon",
     .rcpts = {"root"}},
    {.name = "b9 -- ends options",
     .args = {"-i", "--", "-foo@x"},
     .ignore_dots = true,
     .rcpts = {"-foo@x"}},
    {.name = "b10 stop at first non-option", .args = {"a@x", "-t"}, .rcpts = {"a@x", "-t"}},
    {.name = "b13 debian cron",
     .args = {"-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"},
     .ignore_dots = true,
     .full_name = "CronDaemon",
     .rcpts = {"root"}},
    {.name = "b13 cronie",
     .args = {"-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "root"},
     .extract = true,
     .ignore_dots = true,
     .sender = "root",
     .full_name = "CronDaemon",
     .delivery = DeliveryOverride::foreground},
    {.name = "b13 mutt",
     .args = {"-oem", "-oi", "-B8BITMIME", "-f", "a@x", "-N", "failure,delay", "-R", "hdrs", "--",
              "b@y"},
     .ignore_dots = true,
     .sender = "a@x",
     .rcpts = {"b@y"}},
    {.name = "b14 ignored flags",
     .args = {"-odb", "-oep",     "-om", "-U", "-Am", "-Ac", "-G", "-h", "5",  "-L", "tag",
              "-X",   "/tmp/log", "-V",  "id", "-n",  "-c",  "-s", "-x", "-m", "-v", "a@x"},
     .rcpts = {"a@x"},
     .delivery = DeliveryOverride::background},
    {.name = "b15 unknown letter", .args = {"-Z", "a@x"}, .usage_error = true},
    {.name = "b16 bad -N", .args = {"-N", "sometimes", "a@x"}, .rcpts = {"a@x"}, .warnings = 1},
    {.name = "b16 bad -R", .args = {"-R", "most", "a@x"}, .rcpts = {"a@x"}, .warnings = 1},
    {.name = "b16 bad -B", .args = {"-B", "9BIT", "a@x"}, .rcpts = {"a@x"}, .warnings = 1},
    {.name = "b16 bad -h", .args = {"-h", "many", "a@x"}, .rcpts = {"a@x"}, .warnings = 1},
    {.name = "-V of 100 characters",
     .args = {"-V", std::string(100, 'v'), "a@x"},
     .rcpts = {"a@x"}},
    {.name = "-V over 100 once encoded (RFC 3461 4.4)",
     .args = {"-V", std::string(34, '+'), "a@x"},
     .rcpts = {"a@x"},
     .warnings = 1},
    {.name = "b20 -bp", .args = {"-bp"}, .mode = Mode::list_queue},
    {.name = "b21 -bi", .args = {"-bi"}, .mode = Mode::init_aliases},
    {.name = "b21 -I", .args = {"-I"}, .mode = Mode::init_aliases},
    {.name = "b22 -q", .args = {"-q"}, .mode = Mode::run_queue},
    {.name = "b22 -q30m", .args = {"-q30m"}, .mode = Mode::run_queue},
    {.name = "b22 -qIid", .args = {"-qIABC"}, .mode = Mode::run_queue},
    {.name = "b23 -bs", .args = {"-bs"}, .mode = Mode::smtp},
    {.name = "b24 -bv", .args = {"-bv", "root"}, .mode = Mode::verify, .rcpts = {"root"}},
    {.name = "b25 -bd", .args = {"-bd"}, .usage_error = true},
    {.name = "b25 -bt", .args = {"-bt"}, .usage_error = true},
    {.name = "b25 -ba", .args = {"-ba"}, .usage_error = true},
    {.name = "b25 -Q", .args = {"-Q"}, .usage_error = true},
    {.name = "-odq",
     .args = {"-odq", "a@x"},
     .rcpts = {"a@x"},
     .delivery = DeliveryOverride::queue},
    {.name = "-O DeliveryMode=b",
     .args = {"-O", "DeliveryMode=b", "a@x"},
     .rcpts = {"a@x"},
     .delivery = DeliveryOverride::background},
    {.name = "-tif cluster with arg",
     .args = {"-tifsender@x"},
     .extract = true,
     .ignore_dots = true,
     .sender = "sender@x"},
};

TEST(SendmailArgs, Table) {
  for (const ArgCase& c : kCases) {
    SCOPED_TRACE(c.name);
    SendmailArgs a = parse_sendmail_args(c.args, Personality::sendmail);
    EXPECT_EQ(!a.usage_error.empty(), c.usage_error) << a.usage_error;
    if (c.usage_error) {
      continue;
    }
    EXPECT_EQ(a.mode, c.mode);
    EXPECT_EQ(a.extract, c.extract);
    EXPECT_EQ(a.ignore_dots, c.ignore_dots);
    EXPECT_EQ(a.sender, c.sender);
    EXPECT_EQ(a.full_name, c.full_name);
    EXPECT_EQ(a.rcpt_words, c.rcpts);
    EXPECT_EQ(a.warnings.size(), c.warnings);
    EXPECT_EQ(a.delivery, c.delivery);
  }
}

TEST(SendmailArgs, DsnAndBodyValuesAreNormalised) {
  SendmailArgs a = parse_sendmail_args(
      {"-B", "8bitmime", "-N", "Failure,Delay", "-R", "hdrs", "-V", "env-1", "a@x"},
      Personality::sendmail);
  EXPECT_EQ(a.body_type, "8BITMIME");
  EXPECT_EQ(a.dsn_notify, "failure,delay");
  EXPECT_EQ(a.dsn_ret, "HDRS");
  EXPECT_EQ(a.dsn_envid, "env-1");
}

TEST(SendmailArgs, PersonalityFromArgv0) {
  struct {
    const char* argv0;
    Personality who;
    Mode mode;
  } const kCases[] = {
      {"/usr/sbin/sendmail", Personality::sendmail, Mode::deliver},
      {"sendmail", Personality::sendmail, Mode::deliver},
      {"/usr/bin/send-mail", Personality::sendmail, Mode::deliver},
      {"/usr/bin/mailq", Personality::mailq, Mode::list_queue},
      {"newaliases", Personality::newaliases, Mode::init_aliases},
      {"hoststat", Personality::hoststat, Mode::noop},
      {"purgestat", Personality::purgestat, Mode::noop},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.argv0);
    Personality who = personality_from_argv0(c.argv0);
    EXPECT_EQ(who, c.who);
    EXPECT_EQ(parse_sendmail_args({}, who).mode, c.mode);
  }
}

}  // namespace
}  // namespace rm::cli
