// Behaviours 11, 28–32, 58–59 (the parts the foundation implements): recipients from argv and
// headers, qualified, local names to the admin, duplicates removed, hostile ones refused.
#include <gtest/gtest.h>

#include "cli/submit.h"

namespace rm::cli {
namespace {

struct RcptCase {
  const char* name;
  std::vector<std::string> argv;
  std::vector<std::string> headers = {};
  bool extract = false;
  std::string admin = "";
  std::vector<std::string> want = {};
  const char* error = nullptr;
};

const RcptCase kCases[] = {
    {.name = "b11 one word two addresses",
     .argv = {"a@x.org, b@y.org"},
     .want = {"a@x.org", "b@y.org"}},
    {.name = "b11 cron trailing comma",
     .argv = {"a@x.org,", "b@y.org"},
     .want = {"a@x.org", "b@y.org"}},
    {.name = "bare name qualified", .argv = {"alice"}, .want = {"alice@example.com"}},
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
    {.name = "user@localhost qualified", .argv = {"bob@localhost"}, .want = {"bob@example.com"}},
    {.name = "b28 union with headers",
     .argv = {"a@x.org"},
     .headers = {"b@y.org"},
     .extract = true,
     .want = {"a@x.org", "b@y.org"}},
    {.name = "b30 duplicates once", .argv = {"a@x.org", "A@X.ORG", "a@x.org"}, .want = {"a@x.org"}},
    {.name = "headers ignored without -t",
     .argv = {"a@x.org"},
     .headers = {"b@y.org"},
     .want = {"a@x.org"}},
    {.name = "b31 none", .argv = {}, .error = "Recipient addresses must be specified"},
    {.name = "b32 none in headers",
     .argv = {},
     .extract = true,
     .error = "No recipient addresses found in message header"},
    {.name = "leading dash", .argv = {"-X/tmp/x"}, .error = "bad recipient"},
    {.name = "newline", .argv = {"a@x.org\nRCPT TO:<evil@x>"}, .error = "bad recipient"},
    {.name = "quoted space", .argv = {"\"john doe\"@x.org"}, .error = "bad recipient"},
    {.name = "non-ascii", .argv = {"j\xc3\xb6rg@x.org"}, .error = "bad recipient"},
    {.name = "too long", .argv = {std::string(250, 'a') + "@x.org"}, .error = "bad recipient"},
};

TEST(CollectRecipients, Table) {
  for (const RcptCase& c : kCases) {
    SCOPED_TRACE(c.name);
    RecipientInput in{c.argv, c.headers, c.extract, "example.com", "web1.example.com", c.admin};
    auto r = collect_recipients(in);
    if (c.error != nullptr) {
      ASSERT_FALSE(r);
      EXPECT_NE(r.error().what.find(c.error), std::string::npos) << r.error().what;
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
  RecipientInput in{many, {}, false, "example.com", "h", ""};
  auto r = collect_recipients(in);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what.find("too many recipients"), std::string::npos);
}

}  // namespace
}  // namespace rm::cli
