// Tests for daemon.limits in config/config.h: each form of `for`, every key and its bad values
// with the exact error line, duplicates, print_config's rows and their round trip, and the
// `for` and sender pattern syntax on their own.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace rm {
namespace {

Config must_parse(const std::string& text) {
  auto r = parse_config(text, "t.conf");
  EXPECT_TRUE(r) << r.error().what;
  return r ? *r : Config{};
}

std::string must_fail(const std::string& text) {
  auto r = parse_config(text, "t.conf");
  EXPECT_FALSE(r) << text;
  if (r) {
    return "";
  }
  EXPECT_EQ(r.error().code, Errc::config);
  return r.error().what;
}

// `rows` as the daemon.limits list: the first row is on line 3.
std::string in_limits(const std::string& rows) {
  return "daemon = {\n  limits = (\n" + rows + "\n  );\n};\n";
}

struct LimitsCase {
  const char* name;
  std::string text;
  std::vector<LimitRule> want;
};

// daemon.limits: each form of `for`, every key, unset keys left unset, 0 kept as set (it means
// unlimited, and overrides a less specific row), and the round trip through print_config.
TEST(Config, DaemonLimitsValid) {
  using Strings = std::vector<std::string>;
  const LimitsCase kCases[] = {
      {.name = "absent", .text = "daemon = { user = \"mailer\"; };", .want = {}},
      {.name = "empty list", .text = "daemon = { limits = ( ); };", .want = {}},
      {.name = "empty array", .text = "daemon = { limits = [ ]; };", .want = {}},
      {.name = "the default row alone, nothing set",
       .text = in_limits("{ for = \"*\"; }"),
       .want = {{.target = "*"}}},
      {.name = "each form of for",
       .text = in_limits("{ for = \"user:www-data\"; }, { for = \"uid:33\"; },\n"
                         "{ for = \"group:webapps\"; }, { for = \"gid:0\"; }, { for = \"*\"; }"),
       .want = {{.target = "user:www-data"},
                {.target = "uid:33"},
                {.target = "group:webapps"},
                {.target = "gid:0"},
                {.target = "*"}}},
      {.name = "a user and its uid are two rows; names need not exist yet",
       .text = in_limits("{ for = \"user:root\"; }, { for = \"uid:0\"; },\n"
                         "{ for = \"user:no-such-user-yet\"; }, { for = \"uid:4294967294\"; }"),
       .want = {{.target = "user:root"},
                {.target = "uid:0"},
                {.target = "user:no-such-user-yet"},
                {.target = "uid:4294967294"}}},
      {.name = "every key",
       .text = in_limits("{ for = \"user:www-data\"; messages_per_hour = 100;\n"
                         "  recipients_per_message = 20; max_message_size = \"5M\";\n"
                         "  connections = 4; senders = [ \"*@example.com\", \"<>\" ]; }"),
       .want = {{.target = "user:www-data",
                 .max_message_size = 5u << 20,
                 .messages_per_hour = 100,
                 .recipients_per_message = 20,
                 .connections = 4,
                 .senders = Strings{"*@example.com", "<>"}}}},
      {.name = "zero is unlimited, and set",
       .text = in_limits("{ for = \"gid:100\"; max_message_size = 0; messages_per_hour = 0;\n"
                         "  recipients_per_message = 0; connections = 0; senders = [ ]; }"),
       .want = {{.target = "gid:100",
                 .max_message_size = 0,
                 .messages_per_hour = 0,
                 .recipients_per_message = 0,
                 .connections = 0,
                 .senders = Strings{}}}},
      {.name = "sizes and the largest counts",
       .text = in_limits("{ for = \"uid:1\"; max_message_size = 1048577; },\n"
                         "{ for = \"uid:2\"; max_message_size = \"512k\"; },\n"
                         "{ for = \"uid:3\"; max_message_size = 10000000000L; },\n"
                         "{ for = \"uid:4\"; messages_per_hour = 1000000;\n"
                         "  recipients_per_message = 1000000; connections = 1000000; }"),
       .want = {{.target = "uid:1", .max_message_size = 1048577},
                {.target = "uid:2", .max_message_size = 512u << 10},
                {.target = "uid:3", .max_message_size = 10000000000ULL},
                {.target = "uid:4",
                 .messages_per_hour = 1000000,
                 .recipients_per_message = 1000000,
                 .connections = 1000000}}},
      {.name = "patterns, as written",
       .text = in_limits("{ for = \"*\"; senders = [ \"*\", \"alerts-*@example.org\",\n"
                         "  \"?@x.org\", \"WordPress@Example.ORG\", \"<>\" ]; }"),
       .want = {{.target = "*",
                 .senders = Strings{"*", "alerts-*@example.org", "?@x.org", "WordPress@Example.ORG",
                                    "<>"}}}},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    Config cfg = must_parse(c.text);
    EXPECT_EQ(cfg.daemon.limits, c.want);
    std::string printed = print_config(cfg);
    auto back = parse_config(printed, "t.conf");
    ASSERT_TRUE(back) << back.error().what << "\n" << printed;
    EXPECT_EQ(*back, cfg) << printed;
  }
}

// print_config shows a row with only the keys it sets (an absent key is inherited).
TEST(Config, DaemonLimitsPrinted) {
  Config cfg = must_parse(in_limits(
      "{ for = \"user:www-data\"; messages_per_hour = 100; max_message_size = 5242880;\n"
      "  senders = [ \"*@example.com\" ]; },\n{ for = \"*\"; connections = 0; senders = []; }"));
  std::string printed = print_config(cfg);
  EXPECT_NE(printed.find("  stop_timeout = \"10s\";\n"
                         "  limits = (\n"
                         "    { for = \"user:www-data\"; max_message_size = \"5M\"; "
                         "messages_per_hour = 100; senders = [ \"*@example.com\" ]; },\n"
                         "    { for = \"*\"; connections = 0; senders = []; }\n"
                         "  );\n"
                         "};\n"),
            std::string::npos)
      << printed;
  EXPECT_NE(print_config(Config{}).find("  limits = (\n  );\n};\n"), std::string::npos);
}

struct LimitErrCase {
  const char* name;
  std::string text;
  std::string want;  // the whole Error::what
};

TEST(Config, DaemonLimitsBadValues) {
  const std::string kBadFor = ": expected user:NAME, uid:N, group:NAME, gid:N or *, not \"";
  const LimitErrCase kCases[] = {
      {.name = "unknown key",
       .text = in_limits("{ for = \"*\";\n  messages_per_day = 5; }"),
       .want = "t.conf:4: unknown setting 'daemon.limits[0].messages_per_day'"},
      {.name = "limits not a list",
       .text = "daemon = {\n  limits = { for = \"*\"; };\n};",
       .want = "t.conf:2: daemon.limits: expected a list of groups: limits = ( { for = \"*\"; "
               "... } );"},
      {.name = "limits an array of strings",
       .text = "daemon = { limits = [ \"*\" ]; };",
       .want = "t.conf:1: daemon.limits: expected a list of groups: limits = ( { for = \"*\"; "
               "... } );"},
      {.name = "row not a group",
       .text = "daemon = { limits = ( \"user:bob\" ); };",
       .want = "t.conf:1: daemon.limits[0]: expected a group { for = \"...\"; ... }"},
      {.name = "for missing",
       .text = in_limits("{ messages_per_hour = 5; }"),
       .want = "t.conf:3: daemon.limits[0]: for is missing; give for = \"user:NAME\", "
               "\"uid:N\", \"group:NAME\", \"gid:N\" or \"*\""},
      {.name = "for not a string",
       .text = in_limits("{ for = 33; }"),
       .want = "t.conf:3: daemon.limits[0].for: expected a string"},
      {.name = "for a bare name",
       .text = in_limits("{ for = \"bob\"; }"),
       .want = "t.conf:3: daemon.limits[0].for" + kBadFor + "bob\""},
      {.name = "for empty",
       .text = in_limits("{ for = \"\"; }"),
       .want = "t.conf:3: daemon.limits[0].for" + kBadFor + "\""},
      {.name = "for a user without a name",
       .text = in_limits("{ for = \"user:\"; }"),
       .want = "t.conf:3: daemon.limits[0].for" + kBadFor + "user:\""},
      {.name = "for a negative uid",
       .text = in_limits("{ for = \"uid:-1\"; }"),
       .want = "t.conf:3: daemon.limits[0].for" + kBadFor + "uid:-1\""},
      {.name = "for a uid that is no one",
       .text = in_limits("{ for = \"uid:4294967295\"; }"),
       .want = "t.conf:3: daemon.limits[0].for" + kBadFor + "uid:4294967295\""},
      {.name = "for a gid by name",
       .text = in_limits("{ for = \"gid:staff\"; }"),
       .want = "t.conf:3: daemon.limits[0].for" + kBadFor + "gid:staff\""},
      {.name = "for upper case",
       .text = in_limits("{ for = \"User:bob\"; }"),
       .want = "t.conf:3: daemon.limits[0].for" + kBadFor + "User:bob\""},
      {.name = "the same user twice",
       .text = in_limits("{ for = \"user:www-data\"; },\n{ for = \"*\"; },\n"
                         "{ for = \"user:www-data\"; messages_per_hour = 1; }"),
       .want = "t.conf:5: daemon.limits[2].for: \"user:www-data\" is already used by "
               "daemon.limits[0]"},
      {.name = "the same uid written two ways",
       .text = in_limits("{ for = \"uid:33\"; },\n{ for = \"uid:033\"; }"),
       .want = "t.conf:4: daemon.limits[1].for: \"uid:033\" is already used by daemon.limits[0]"},
      {.name = "two default rows",
       .text = in_limits("{ for = \"*\"; },\n{ for = \"group:a\"; },\n{ for = \"*\"; }"),
       .want = "t.conf:5: daemon.limits[2].for: \"*\" is already used by daemon.limits[0]"},
      {.name = "negative count",
       .text = in_limits("{ for = \"*\"; messages_per_hour = -1; }"),
       .want = "t.conf:3: daemon.limits[0].messages_per_hour: expected an integer from 0 (no "
               "limit) to 1000000"},
      {.name = "count too large",
       .text = in_limits("{ for = \"*\"; recipients_per_message = 1000001; }"),
       .want = "t.conf:3: daemon.limits[0].recipients_per_message: expected an integer from 0 "
               "(no limit) to 1000000"},
      {.name = "count as a string",
       .text = in_limits("{ for = \"*\"; connections = \"4\"; }"),
       .want = "t.conf:3: daemon.limits[0].connections: expected an integer from 0 (no limit) "
               "to 1000000"},
      {.name = "count as a float",
       .text = in_limits("{ for = \"*\"; connections = 1.5; }"),
       .want = "t.conf:3: daemon.limits[0].connections: expected an integer from 0 (no limit) "
               "to 1000000"},
      {.name = "size suffix",
       .text = in_limits("{ for = \"*\"; max_message_size = \"5MB\"; }"),
       .want = "t.conf:3: daemon.limits[0].max_message_size: bad size \"5MB\": expected a "
               "number of bytes with an optional suffix k, M or G, such as \"25M\""},
      {.name = "negative size",
       .text = in_limits("{ for = \"*\"; max_message_size = -5; }"),
       .want = "t.conf:3: daemon.limits[0].max_message_size: must not be negative"},
      {.name = "size as a boolean",
       .text = in_limits("{ for = \"*\"; max_message_size = true; }"),
       .want = "t.conf:3: daemon.limits[0].max_message_size: expected a size such as \"25M\", "
               "\"512k\" or a number of bytes"},
      {.name = "senders not a list",
       .text = in_limits("{ for = \"*\"; senders = \"*@example.com\"; }"),
       .want = "t.conf:3: daemon.limits[0].senders: expected a list of strings like [ "
               "\"a@x.org\" ]"},
      {.name = "empty sender pattern",
       .text = in_limits("{ for = \"*\"; senders = [ \"a@x.org\", \"\" ]; }"),
       .want = "t.conf:3: daemon.limits[0].senders[1]: expected a non-empty string"},
      {.name = "sender pattern with a space",
       .text = in_limits("{ for = \"*\"; senders = [ \"a b@x.org\" ]; }"),
       .want = "t.conf:3: daemon.limits[0].senders[0]: \"a b@x.org\" is not a sender pattern "
               "(printable ASCII without spaces, * and ?; \"<>\" for the null sender)"},
      {.name = "sender pattern in angle brackets",
       .text = in_limits("{ for = \"*\"; senders = [ \"<a@x.org>\" ]; }"),
       .want = "t.conf:3: daemon.limits[0].senders[0]: \"<a@x.org>\" is not a sender pattern "
               "(printable ASCII without spaces, * and ?; \"<>\" for the null sender)"},
      {.name = "sender pattern not ASCII",
       .text = in_limits("{ for = \"*\"; senders = [ \"j\xC3\xB6rg@x.org\" ]; }"),
       .want = "t.conf:3: daemon.limits[0].senders[0]: \"j\xC3\xB6rg@x.org\" is not a sender "
               "pattern (printable ASCII without spaces, * and ?; \"<>\" for the null sender)"},
      {.name = "every problem of two rows, in line order",
       .text = in_limits("{ for = \"user:a b\";\n  connections = -1; },\n"
                         "{ senders = [ \"x y\" ];\n  max_message_size = \"1T\"; }"),
       .want = "t.conf:3: daemon.limits[0].for" + kBadFor + "user:a b\"\n" +
               "t.conf:4: daemon.limits[0].connections: expected an integer from 0 (no limit) "
               "to 1000000\n" +
               "t.conf:5: daemon.limits[1]: for is missing; give for = \"user:NAME\", "
               "\"uid:N\", \"group:NAME\", \"gid:N\" or \"*\"\n" +
               "t.conf:5: daemon.limits[1].senders[0]: \"x y\" is not a sender pattern "
               "(printable ASCII without spaces, * and ?; \"<>\" for the null sender)\n" +
               "t.conf:6: daemon.limits[1].max_message_size: bad size \"1T\": expected a "
               "number of bytes with an optional suffix k, M or G, such as \"25M\""},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(must_fail(c.text), c.want);
  }
}

struct TargetCase {
  const char* in;
  std::optional<LimitTarget> want;
};

TEST(ParseLimitTarget, Table) {
  using K = LimitTarget::Kind;
  const TargetCase kCases[] = {
      {.in = "*", .want = LimitTarget{}},
      {.in = "user:www-data", .want = LimitTarget{K::user, "www-data", 0}},
      {.in = "user:Débora", .want = std::nullopt},
      {.in = "group:webapps", .want = LimitTarget{K::group, "webapps", 0}},
      {.in = "user:a.b_c-d$", .want = LimitTarget{K::user, "a.b_c-d$", 0}},
      {.in = "uid:0", .want = LimitTarget{K::uid, "", 0}},
      {.in = "uid:033", .want = LimitTarget{K::uid, "", 33}},
      {.in = "gid:4294967294", .want = LimitTarget{K::gid, "", 4294967294u}},
      {.in = "gid:4294967295", .want = std::nullopt},
      {.in = "uid:99999999999", .want = std::nullopt},
      {.in = "uid:", .want = std::nullopt},
      {.in = "uid:+1", .want = std::nullopt},
      {.in = "uid:1 ", .want = std::nullopt},
      {.in = "uid:0x10", .want = std::nullopt},
      {.in = "user:", .want = std::nullopt},
      {.in = "group:", .want = std::nullopt},
      {.in = "user:a b", .want = std::nullopt},
      {.in = "user:a:b", .want = std::nullopt},
      {.in = "user:a\tb", .want = std::nullopt},
      {.in = "user: bob", .want = std::nullopt},
      {.in = "", .want = std::nullopt},
      {.in = "**", .want = std::nullopt},
      {.in = " *", .want = std::nullopt},
      {.in = "bob", .want = std::nullopt},
      {.in = "USER:bob", .want = std::nullopt},
      {.in = "login:bob", .want = std::nullopt},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(parse_limit_target(c.in), c.want);
  }
}

struct SenderPatternCase {
  const char* in;
  bool ok;
};

TEST(IsSenderPattern, Table) {
  const SenderPatternCase kCases[] = {
      {.in = "<>", .ok = true},
      {.in = "*", .ok = true},
      {.in = "*@example.com", .ok = true},
      {.in = "alerts-*@example.org", .ok = true},
      {.in = "?@x.org", .ok = true},
      {.in = "\"quoted\"@x.org", .ok = true},
      {.in = "", .ok = false},
      {.in = "<", .ok = false},
      {.in = "<<>>", .ok = false},
      {.in = "<a@x.org>", .ok = false},
      {.in = "a@x.org>", .ok = false},
      {.in = "a b@x.org", .ok = false},
      {.in = " a@x.org", .ok = false},
      {.in = "a@x.org\n", .ok = false},
      {.in = "a\x7f@x.org", .ok = false},
      {.in = "j\xC3\xB6rg@x.org", .ok = false},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(is_sender_pattern(c.in), c.ok);
  }
}

}  // namespace
}  // namespace rm
