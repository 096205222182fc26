// Tests for daemon/uid_policy.h: the merge of daemon.limits by user, group and "*", field by
// field; root and admin_group; names resolved through a fake lookup; the sender check and its
// patterns; the system lookup for names every system has.
#include "daemon/uid_policy.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace rm {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

DaemonConfig daemon_config(const std::string& text) {
  auto r = parse_config(text, "t.conf");
  EXPECT_TRUE(r) << r.error().what;
  return r ? r->daemon : DaemonConfig{};
}

// The task's example, plus a gid row, a uid row and senders on the default row.
const char* kShared = R"(daemon = {
  admin_group = "mailadm";
  limits = (
    { for = "user:www-data"; messages_per_hour = 100; recipients_per_message = 20;
      max_message_size = "5M"; connections = 4;
      senders = [ "*@example.com", "wordpress@example.org" ]; },
    { for = "group:webapps"; messages_per_hour = 500; connections = 8; },
    { for = "gid:2000"; messages_per_hour = 50; recipients_per_message = 5; senders = [ "<>" ]; },
    { for = "uid:1001"; connections = 0; },
    { for = "user:ghost"; messages_per_hour = 1; },
    { for = "user:nis-only"; messages_per_hour = 7; },
    { for = "*"; messages_per_hour = 1000; recipients_per_message = 100; max_message_size = "10M";
      connections = 2; senders = [ "*@shared.example" ]; }
  );
};)";

// Config order does not make a row more specific: "*" first, groups before users.
const char* kReversed = R"(daemon = {
  limits = (
    { for = "*"; messages_per_hour = 1; connections = 1; senders = [ "*" ]; },
    { for = "gid:10"; messages_per_hour = 2; connections = 2; recipients_per_message = 2; },
    { for = "group:staff"; connections = 3; max_message_size = 3; },
    { for = "user:alice"; messages_per_hour = 3; },
    { for = "uid:1001"; messages_per_hour = 4; max_message_size = 4; }
  );
};)";

NameLookup fake_lookup() {
  static const std::map<std::string, uid_t> kUsers = {
      {"root", 0}, {"www-data", 33}, {"alice", 1001}, {"bob", 1002}};
  static const std::map<std::string, gid_t> kGroups = {
      {"root", 0}, {"staff", 50}, {"webapps", 3000}, {"mailadm", 4000}};
  return NameLookup{
      [](const std::string& n) -> std::optional<uid_t> {
        auto it = kUsers.find(n);
        return it != kUsers.end() ? std::optional(it->second) : std::nullopt;
      },
      [](const std::string& n) -> std::optional<gid_t> {
        auto it = kGroups.find(n);
        return it != kGroups.end() ? std::optional(it->second) : std::nullopt;
      },
  };
}

struct LimitsCase {
  const char* name;
  const char* config;
  Caller caller;
  Limits want;
  bool no_lookup = false;  // an empty NameLookup: names resolve to nothing
};

TEST(LimitsFor, MergesFieldByFieldUserThenGroupThenDefault) {
  using Strings = std::vector<std::string>;
  const Strings kShared_ = {"*@shared.example"};
  const LimitsCase kCases[] = {
      {.name = "user row sets everything",
       .config = kShared,
       .caller = {.uid = 33, .gid = 33, .groups = {3000}, .user = "www-data"},
       .want = {.max_message_size = 5 * kMiB,
                .messages_per_hour = 100,
                .recipients_per_message = 20,
                .connections = 4,
                .senders = {"*@example.com", "wordpress@example.org"}}},
      {.name = "user row found by uid when the caller has no passwd name",
       .config = kShared,
       .caller = {.uid = 33, .gid = 33, .groups = {}, .user = ""},
       .want = {.max_message_size = 5 * kMiB,
                .messages_per_hour = 100,
                .recipients_per_message = 20,
                .connections = 4,
                .senders = {"*@example.com", "wordpress@example.org"}}},
      {.name = "uid row's 0 wins over the group's 8; the rest from group and default",
       .config = kShared,
       .caller = {.uid = 1001, .gid = 1001, .groups = {3000}, .user = "alice"},
       .want = {.max_message_size = 10 * kMiB,
                .messages_per_hour = 500,
                .recipients_per_message = 100,
                .connections = 0,
                .senders = kShared_}},
      {.name = "two groups: the first in config order, then the next, then the default",
       .config = kShared,
       .caller = {.uid = 1002, .gid = 2000, .groups = {3000}, .user = "bob"},
       .want = {.max_message_size = 10 * kMiB,
                .messages_per_hour = 500,
                .recipients_per_message = 5,
                .connections = 8,
                .senders = {"<>"}}},
      {.name = "group by primary gid",
       .config = kShared,
       .caller = {.uid = 1005, .gid = 3000, .groups = {}, .user = "erin"},
       .want = {.max_message_size = 10 * kMiB,
                .messages_per_hour = 500,
                .recipients_per_message = 100,
                .connections = 8,
                .senders = kShared_}},
      {.name = "nobody's row: the default",
       .config = kShared,
       .caller = {.uid = 1003, .gid = 1003, .groups = {100}, .user = "carol"},
       .want = {.max_message_size = 10 * kMiB,
                .messages_per_hour = 1000,
                .recipients_per_message = 100,
                .connections = 2,
                .senders = kShared_}},
      {.name = "a name the lookup does not know matches its passwd name alone",
       .config = kShared,
       .caller = {.uid = 1006, .gid = 1006, .groups = {}, .user = "nis-only"},
       .want = {.max_message_size = 10 * kMiB,
                .messages_per_hour = 7,
                .recipients_per_message = 100,
                .connections = 2,
                .senders = kShared_}},
      {.name = "admin_group in the supplementary groups: admin, still limited",
       .config = kShared,
       .caller = {.uid = 1004, .gid = 1004, .groups = {4000}, .user = "dave"},
       .want = {.max_message_size = 10 * kMiB,
                .messages_per_hour = 1000,
                .recipients_per_message = 100,
                .connections = 2,
                .senders = kShared_,
                .admin = true}},
      {.name = "admin_group as the primary gid",
       .config = kShared,
       .caller = {.uid = 1007, .gid = 4000, .groups = {}, .user = "frank"},
       .want = {.max_message_size = 10 * kMiB,
                .messages_per_hour = 1000,
                .recipients_per_message = 100,
                .connections = 2,
                .senders = kShared_,
                .admin = true}},
      {.name = "root is never limited",
       .config = kShared,
       .caller = {.uid = 0, .gid = 0, .groups = {}, .user = "root"},
       .want = {.admin = true}},
      {.name = "root, whatever its groups",
       .config = kShared,
       .caller = {.uid = 0, .gid = 3000, .groups = {2000}, .user = ""},
       .want = {.admin = true}},
      {.name = "no lookup: names match nothing, ids still do; no admin group",
       .config = kShared,
       .caller = {.uid = 1001, .gid = 2000, .groups = {3000, 4000}, .user = "alice"},
       .want = {.max_message_size = 10 * kMiB,
                .messages_per_hour = 50,
                .recipients_per_message = 5,
                .connections = 0,
                .senders = {"<>"}},
       .no_lookup = true},
      {.name = "specificity, not config order",
       .config = kReversed,
       .caller = {.uid = 1001, .gid = 10, .groups = {50}, .user = "alice"},
       .want = {.max_message_size = 4,
                .messages_per_hour = 3,
                .recipients_per_message = 2,
                .connections = 2,
                .senders = {"*"}}},
      {.name = "no limits at all: unlimited, no patterns",
       .config = "",
       .caller = {.uid = 1001, .gid = 1001, .groups = {}, .user = "alice"},
       .want = {}},
      {.name = "no default row: unset fields are unlimited",
       .config = "daemon = { limits = ( { for = \"uid:1001\"; connections = 3; } ); };",
       .caller = {.uid = 1002, .gid = 1002, .groups = {}, .user = "bob"},
       .want = {}},
      {.name = "admin_group unknown to the lookup: no admin",
       .config = "daemon = { admin_group = \"nosuchgroup\"; };",
       .caller = {.uid = 1001, .gid = 1001, .groups = {}, .user = "alice"},
       .want = {}},
      {.name = "admin_group empty: root only",
       .config = "daemon = { admin_group = \"\"; };",
       .caller = {.uid = 1001, .gid = 0, .groups = {0}, .user = "alice"},
       .want = {}},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    const DaemonConfig cfg = daemon_config(c.config);
    EXPECT_EQ(limits_for(cfg, c.caller, c.no_lookup ? NameLookup{} : fake_lookup()), c.want);
  }
}

// A row the loader would refuse (a hand-built config) is skipped, not misread.
TEST(LimitsFor, SkipsARowWithABadTarget) {
  DaemonConfig cfg;
  cfg.limits = {LimitRule{.target = "bob", .connections = 1},
                LimitRule{.target = "*", .messages_per_hour = 9}};
  const Caller bob{.uid = 1002, .gid = 1002, .groups = {}, .user = "bob"};
  EXPECT_EQ(limits_for(cfg, bob, fake_lookup()), (Limits{.messages_per_hour = 9}));
}

struct PatternCase {
  const char* pattern;
  const char* sender;
  bool want;
};

TEST(SenderPatternMatches, Table) {
  const PatternCase kCases[] = {
      {.pattern = "*@example.com", .sender = "wp@example.com", .want = true},
      {.pattern = "*@example.com", .sender = "WP@EXAMPLE.COM", .want = true},
      {.pattern = "*@Example.Com", .sender = "wp@example.com", .want = true},
      {.pattern = "*@example.com", .sender = "@example.com", .want = true},
      {.pattern = "*@example.com", .sender = "wp@example.com.evil.test", .want = false},
      {.pattern = "*@example.com", .sender = "wp@sub.example.com", .want = false},
      {.pattern = "*@example.com", .sender = "wp@example.co", .want = false},
      {.pattern = "*@example.com", .sender = "", .want = false},
      {.pattern = "alerts-*@example.org", .sender = "alerts-db@example.org", .want = true},
      {.pattern = "alerts-*@example.org", .sender = "alerts-@example.org", .want = true},
      {.pattern = "alerts-*@example.org", .sender = "alert@example.org", .want = false},
      {.pattern = "alerts-*@example.org", .sender = "x-alerts-db@example.org", .want = false},
      {.pattern = "?@x.org", .sender = "a@x.org", .want = true},
      {.pattern = "?@x.org", .sender = "ab@x.org", .want = false},
      {.pattern = "?@x.org", .sender = "@x.org", .want = false},
      {.pattern = "wordpress@example.org", .sender = "WordPress@Example.org", .want = true},
      {.pattern = "wordpress@example.org", .sender = "wordpress@example.org.", .want = false},
      {.pattern = "*", .sender = "anyone@anywhere.test", .want = true},
      {.pattern = "*", .sender = "", .want = true},
      {.pattern = "**a", .sender = "bba", .want = true},
      {.pattern = "*a*b", .sender = "xaxxb", .want = true},
      {.pattern = "*a*b", .sender = "xaxxbx", .want = false},
      {.pattern = "*a?c*", .sender = "aabcabc", .want = true},
      {.pattern = "<>", .sender = "", .want = true},
      {.pattern = "<>", .sender = "<>", .want = false},
      {.pattern = "<>", .sender = "a@b.test", .want = false},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(std::string(c.pattern) + " ~ " + c.sender);
    EXPECT_EQ(sender_pattern_matches(c.pattern, c.sender), c.want);
  }
}

struct SenderCase {
  const char* name;
  Limits limits;
  const char* sender;
  const char* own;
  bool want;
};

TEST(SenderAllowed, Table) {
  const Limits kNone{};
  const Limits kWp{.senders = {"*@example.com", "<>"}};
  const Limits kAdmin{.admin = true};
  const SenderCase kCases[] = {
      {.name = "own address",
       .limits = kNone,
       .sender = "www-data@host.example",
       .own = "www-data@host.example",
       .want = true},
      {.name = "own address, other case",
       .limits = kNone,
       .sender = "WWW-Data@Host.Example",
       .own = "www-data@host.example",
       .want = true},
      {.name = "null sender",
       .limits = kNone,
       .sender = "",
       .own = "www-data@host.example",
       .want = true},
      {.name = "another address without patterns",
       .limits = kNone,
       .sender = "ceo@host.example",
       .own = "www-data@host.example",
       .want = false},
      {.name = "own address unknown",
       .limits = kNone,
       .sender = "www-data@host.example",
       .own = "",
       .want = false},
      {.name = "own address unknown, null sender",
       .limits = kNone,
       .sender = "",
       .own = "",
       .want = true},
      {.name = "a prefix of one's own address is not it",
       .limits = kNone,
       .sender = "www-data@host.exampl",
       .own = "www-data@host.example",
       .want = false},
      {.name = "a pattern",
       .limits = kWp,
       .sender = "shop@example.com",
       .own = "www-data@host.example",
       .want = true},
      {.name = "no pattern matches",
       .limits = kWp,
       .sender = "shop@example.org",
       .own = "www-data@host.example",
       .want = false},
      {.name = "admin, any sender",
       .limits = kAdmin,
       .sender = "ceo@elsewhere.test",
       .own = "dave@host.example",
       .want = true},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(sender_allowed(c.limits, c.sender, c.own), c.want);
  }
}

// Root and its group exist on every system; the name below on none.
TEST(SystemNameLookup, ResolvesRootAndNothingForUnknownNames) {
  const NameLookup names = system_name_lookup();
  EXPECT_EQ(names.user_id("root"), std::optional<uid_t>(0));
  EXPECT_EQ(names.group_id("root"), std::optional<gid_t>(0));
  EXPECT_EQ(names.user_id("rm-no-such-user-x7q"), std::nullopt);
  EXPECT_EQ(names.group_id("rm-no-such-group-x7q"), std::nullopt);
  EXPECT_EQ(names.user_id(""), std::nullopt);
}

}  // namespace
}  // namespace rm
