// Behaviours 11, 28–32, 58–61: recipients from argv and headers, qualified, local names through
// the aliases and to the admin, duplicates removed, hostile ones refused.
#include "submit/recipients.h"

#include <gtest/gtest.h>

#include "sys/sysexits.h"

namespace rm::cli {
namespace {

constexpr char kAliases[] =
    "postmaster: root\n"
    "root: ops@example.net, archive\n"
    "www-data: webmaster\n"
    "webmaster: alice@example.org\n"
    "loop1: loop2\n"
    "loop2: loop1\n";

struct RcptCase {
  const char* name;
  std::vector<std::string> argv;
  std::vector<std::string> headers = {};
  bool extract = false;
  RecipientsWithT with_t = RecipientsWithT::add;
  std::string admin = "";
  bool use_aliases = false;
  bool catch_all = false;
  UnknownLocal unknown = UnknownLocal::qualify;
  std::vector<std::string> want = {};
  const char* error = nullptr;
  int exit_code = 0;
};

const RcptCase kCases[] = {
    {.name = "b11 one word two addresses",
     .argv = {"a@x.org, b@y.org"},
     .want = {"a@x.org", "b@y.org"}},
    {.name = "b11 cron trailing comma",
     .argv = {"a@x.org,", "b@y.org"},
     .want = {"a@x.org", "b@y.org"}},
    {.name = "b61 bare name qualified", .argv = {"alice"}, .want = {"alice@example.com"}},
    {.name = "b59 root to admin",
     .argv = {"root"},
     .admin = "ops@example.net",
     .want = {"ops@example.net"}},
    {.name = "b59 root@localhost to admin",
     .argv = {"root@localhost"},
     .admin = "ops@example.net",
     .want = {"ops@example.net"}},
    {.name = "b59 root@hostname to admin",
     .argv = {"root@web1.example.com"},
     .admin = "ops@example.net",
     .want = {"ops@example.net"}},
    {.name = "b59 root@mailname to admin",
     .argv = {"root@mail.example.com"},
     .admin = "ops@example.net",
     .want = {"ops@example.net"}},
    {.name = "root without admin is qualified", .argv = {"root"}, .want = {"root@example.com"}},
    {.name = "default domain is not local (DESIGN §9)",
     .argv = {"root@example.com"},
     .admin = "ops@example.net",
     .want = {"root@example.com"}},
    {.name = "user@localhost qualified", .argv = {"bob@localhost"}, .want = {"bob@example.com"}},
    {.name = "b59 aliases before admin",
     .argv = {"postmaster"},
     .admin = "admin@example.net",
     .use_aliases = true,
     .want = {"ops@example.net", "archive@example.com"}},
    {.name = "b60 recursive",
     .argv = {"www-data@localhost"},
     .use_aliases = true,
     .want = {"alice@example.org"}},
    {.name = "b60 loop-safe",
     .argv = {"loop1"},
     .use_aliases = true,
     .want = {"loop1@example.com"}},
    {.name = "b60 catch-all",
     .argv = {"nobody-known"},
     .use_aliases = true,
     .catch_all = true,
     .want = {"catch@example.org"}},
    {.name = "b61 reject unknown local",
     .argv = {"nosuchuser"},
     .use_aliases = true,
     .unknown = UnknownLocal::reject,
     .error = "nosuchuser: user unknown",
     .exit_code = kExNoUser},
    {.name = "b61 reject still takes aliased and remote names",
     .argv = {"www-data", "x@remote.org"},
     .use_aliases = true,
     .unknown = UnknownLocal::reject,
     .want = {"alice@example.org", "x@remote.org"}},
    {.name = "b28 union with headers",
     .argv = {"a@x.org"},
     .headers = {"b@y.org"},
     .extract = true,
     .want = {"a@x.org", "b@y.org"}},
    {.name = "b28 exclude argv (Sendmail 8)",
     .argv = {"a@x.org"},
     .headers = {"a@x.org", "b@y.org"},
     .extract = true,
     .with_t = RecipientsWithT::exclude,
     .want = {"b@y.org"}},
    {.name = "b28 exclude leaving nobody",
     .argv = {"a@x.org"},
     .headers = {"a@x.org"},
     .extract = true,
     .with_t = RecipientsWithT::exclude,
     .error = "No recipient addresses found",
     .exit_code = kExUsage},
    {.name = "b30 duplicates once", .argv = {"a@x.org", "A@X.ORG", "a@x.org"}, .want = {"a@x.org"}},
    {.name = "headers ignored without -t",
     .argv = {"a@x.org"},
     .headers = {"b@y.org"},
     .want = {"a@x.org"}},
    {.name = "b31 none",
     .argv = {},
     .error = "Recipient addresses must be specified",
     .exit_code = kExUsage},
    {.name = "b32 none in headers",
     .argv = {},
     .extract = true,
     .error = "No recipient addresses found in message header",
     .exit_code = kExUsage},
    {.name = "leading dash", .argv = {"-X/tmp/x"}, .error = "bad recipient", .exit_code = 64},
    {.name = "newline",
     .argv = {"a@x.org\nRCPT TO:<evil@x>"},
     .error = "bad recipient",
     .exit_code = 64},
    {.name = "too long",
     .argv = {std::string(250, 'a') + "@x.org"},
     .error = "bad recipient",
     .exit_code = 64},
    {.name = "quoted space",
     .argv = {"\"john doe\"@x.org"},
     .error = "bad recipient",
     .exit_code = 64},
    {.name = "non-ascii", .argv = {"j\xc3\xb6rg@x.org"}, .error = "bad recipient", .exit_code = 64},
};

TEST(CollectRecipients, Table) {
  auto aliases = Aliases::parse(kAliases, "aliases");
  ASSERT_TRUE(aliases) << aliases.error().what;
  auto with_catch_all = Aliases::parse(std::string(kAliases) + "*: catch@example.org\n", "aliases");
  ASSERT_TRUE(with_catch_all);
  for (const RcptCase& c : kCases) {
    SCOPED_TRACE(c.name);
    RecipientPolicy p;
    p.domain = "example.com";
    p.hostname = "web1.example.com";
    p.mailname = "mail.example.com";
    p.admin = c.admin;
    p.unknown_local = c.unknown;
    if (c.use_aliases) {
      p.aliases = c.catch_all ? &*with_catch_all : &*aliases;
    }
    RecipientInput in{c.argv, c.headers, c.extract, c.with_t};
    auto r = collect_recipients(in, p);
    if (c.error != nullptr) {
      ASSERT_FALSE(r);
      EXPECT_NE(r.error().what.find(c.error), std::string::npos) << r.error().what;
      EXPECT_EQ(recipient_exit_code(r.error()), c.exit_code);
      continue;
    }
    ASSERT_TRUE(r) << r.error().what;
    EXPECT_EQ(*r, c.want);
  }
}

TEST(CollectRecipients, CapOnCount) {
  std::vector<std::string> many;
  for (int i = 0; i < 1500; ++i) {
    many.push_back("u" + std::to_string(i) + "@x.org");
  }
  const std::vector<std::string> none;
  RecipientPolicy p;
  p.domain = "example.com";
  auto r = collect_recipients(RecipientInput{many, none, false}, p);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what.find("too many recipients"), std::string::npos);
}

}  // namespace
}  // namespace rm::cli
