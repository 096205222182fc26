// Tests for mail/address.h: address lists as real callers write them, envelope hygiene,
// qualification of bare names in envelopes and in header values.
#include "mail/address.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rm {
namespace {

using List = std::vector<std::string>;

struct ListCase {
  const char* in;
  List want;
};

TEST(ParseAddressList, GoodLists) {
  const ListCase kCases[] = {
      {.in = "a@x.org", .want = {"a@x.org"}},
      {.in = "a@x.org, b@y.org", .want = {"a@x.org", "b@y.org"}},
      {.in = "a@x.org,", .want = {"a@x.org"}},
      {.in = ",,a@x.org,,", .want = {"a@x.org"}},
      {.in = "", .want = {}},
      {.in = "   ", .want = {}},
      {.in = "Name <a@x.org>", .want = {"a@x.org"}},
      {.in = "<a@x.org>", .want = {"a@x.org"}},
      {.in = "\"Doe, J\" <j@x.org>", .want = {"j@x.org"}},
      {.in = "\"Doe, J\" <j@x.org>, k@x.org", .want = {"j@x.org", "k@x.org"}},
      {.in = "root (Cron Daemon)", .want = {"root"}},
      {.in = "(Cron Daemon) root", .want = {"root"}},
      {.in = "root (nested (comment) here)", .want = {"root"}},
      {.in = "undisclosed-recipients:;", .want = {}},
      {.in = "undisclosed-recipients: ;", .want = {}},
      {.in = "team: a@x.org, B <b@y.org>;, c@z.org", .want = {"a@x.org", "b@y.org", "c@z.org"}},
      {.in = "undisclosed-recipients:", .want = {}},
      {.in = "<a@b>,<c@d>", .want = {"a@b", "c@d"}},
      {.in = "Fail2Ban <fail2ban>", .want = {"fail2ban"}},
      {.in = "root", .want = {"root"}},
      {.in = "root, alice", .want = {"root", "alice"}},
      {.in = "mdadm monitoring <root@host>", .want = {"root@host"}},
      {.in = "\"(Cron Daemon)\" <user>", .want = {"user"}},
      {.in = "WordPress <wordpress@site.example>", .want = {"wordpress@site.example"}},
      {.in = "John Q. Public <jqp@x.org>", .want = {"jqp@x.org"}},
      {.in = "\"john smith\"@x.org", .want = {"\"john smith\"@x.org"}},
      {.in = "a.b.c@x.y.z", .want = {"a.b.c@x.y.z"}},
      {.in = "a . b @ x . org", .want = {"a.b@x.org"}},
      {.in = "user@[192.0.2.1]", .want = {"user@[192.0.2.1]"}},
      {.in = "<@relay.example:a@x.org>", .want = {"a@x.org"}},
      {.in = "a@x.org,\r\n b@y.org", .want = {"a@x.org", "b@y.org"}},
      {.in = "a@x.org (comment, with comma), b@y.org", .want = {"a@x.org", "b@y.org"}},
      {.in = "Jos\xc3\xa9 <jose@x.org>", .want = {"jose@x.org"}},
      {.in = "o'neil+tag@x.org", .want = {"o'neil+tag@x.org"}},
      {.in = "a@x.org; b@y.org;", .want = {"a@x.org", "b@y.org"}},
      {.in = "a@x.org <b@y.org>", .want = {"b@y.org"}},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.in);
    auto r = parse_address_list(c.in);
    ASSERT_TRUE(r) << r.error().what;
    EXPECT_EQ(*r, c.want);
  }
}

TEST(ParseAddressList, BadLists) {
  const char* kCases[] = {
      "a@@b",
      "a@",
      "@b",
      "<a@b",
      "Name <a@b",
      "<>",
      "John Doe",
      "a@x.org b",
      "\"unterminated <a@b>",
      "a@b (unterminated comment",
      "a@b>",
      "a@[1.2.3.4",
      "a\\b@x",
      "a@x.\x01org",
      "name: a@b, c; d",
      "<a@b> trailing",
      "a <b@c> <d@e>",
      "<@relay a@b>",
      "a@b.",
      "a@.b",
  };
  for (const char* in : kCases) {
    SCOPED_TRACE(in);
    auto r = parse_address_list(in);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::parse);
    EXPECT_FALSE(r.error().what.empty());
  }
  // An embedded NUL (the literal above stops at it).
  auto r = parse_address_list(std::string_view("a@x\0.org", 8));
  EXPECT_FALSE(r);
}

struct EnvCase {
  std::string in;
  bool ok;
  const char* reason = "";  // a substring of the error
};

TEST(CheckEnvelopeAddress, Table) {
  const EnvCase kCases[] = {
      {.in = "a@x.org", .ok = true},
      {.in = "root", .ok = true},
      {.in = "\"john smith\"@x.org", .ok = true},
      {.in = "user@[IPv6:2001:db8::1]", .ok = true},
      {.in = "a+b@x.org", .ok = true},
      {.in = "j\xc3\xb6rg@x.org", .ok = true},
      {.in = std::string(242, 'a') + "@example.com", .ok = true},  // 254 octets
      {.in = std::string(243, 'a') + "@example.com", .ok = false, .reason = "254"},
      {.in = "", .ok = false, .reason = "empty"},
      {.in = "a@x.org\r\nRCPT TO:<evil@x>", .ok = false, .reason = "CR"},
      {.in = "a@x.org\nx", .ok = false, .reason = "LF"},
      {.in = std::string("a@x\0org", 7), .ok = false, .reason = "NUL"},
      {.in = "a@x\x01org", .ok = false, .reason = "control"},
      {.in = "a@x\x7forg", .ok = false, .reason = "control"},
      {.in = "a\t@x.org", .ok = false, .reason = "tab"},
      {.in = "-X/tmp/log", .ok = false, .reason = "'-'"},
      {.in = "-oQ/tmp@x.org", .ok = false, .reason = "'-'"},
      {.in = "a b@x.org", .ok = false, .reason = "space"},
      {.in = "a@x.org SIZE=1", .ok = false, .reason = "space"},
      {.in = "a@x.org>", .ok = false, .reason = "'>'"},
      {.in = "<a@x.org>", .ok = false, .reason = "'<'"},
      {.in = "a,b@x.org", .ok = false, .reason = "','"},
      {.in = "\"open@x.org", .ok = false, .reason = "quote"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.in);
    auto r = check_envelope_address(c.in);
    EXPECT_EQ(r.has_value(), c.ok);
    if (!c.ok && !r) {
      EXPECT_EQ(r.error().code, Errc::usage);
      EXPECT_NE(r.error().what.find(c.reason), std::string::npos) << r.error().what;
    }
  }
}

struct QualifyCase {
  const char* in;
  const char* domain;
  const char* want;
};

TEST(Qualify, Table) {
  const QualifyCase kCases[] = {
      {.in = "root", .domain = "example.com", .want = "root@example.com"},
      {.in = "a@x.org", .domain = "example.com", .want = "a@x.org"},
      {.in = "root@localhost", .domain = "example.com", .want = "root@localhost"},
      {.in = "\"a@b\"", .domain = "example.com", .want = "\"a@b\"@example.com"},
      {.in = "\"a@b\"@x.org", .domain = "example.com", .want = "\"a@b\"@x.org"},
      {.in = "", .domain = "example.com", .want = ""},
      {.in = "root", .domain = "", .want = "root"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(qualify(c.in, c.domain), c.want);
  }
}

TEST(QualifyAddressHeader, KeepsEverythingButAddsDomains) {
  const QualifyCase kCases[] = {
      {.in = " Logwatch", .domain = "example.com", .want = " Logwatch@example.com"},
      {.in = " root", .domain = "example.com", .want = " root@example.com"},
      {.in = " Fail2Ban <fail2ban>", .domain = "d.org", .want = " Fail2Ban <fail2ban@d.org>"},
      {.in = " root (Cron Daemon)", .domain = "d.org", .want = " root@d.org (Cron Daemon)"},
      {.in = " \"(Cron Daemon)\" <user>",
       .domain = "d.org",
       .want = " \"(Cron Daemon)\" <user@d.org>"},
      {.in = " a@x.org, root,\r\n\tB <b@y.org>",
       .domain = "d.org",
       .want = " a@x.org, root@d.org,\r\n\tB <b@y.org>"},
      {.in = " mdadm monitoring <root@host>",
       .domain = "d.org",
       .want = " mdadm monitoring <root@host>"},
      {.in = " undisclosed-recipients:;", .domain = "d.org", .want = " undisclosed-recipients:;"},
      {.in = "  root ,  alice  ", .domain = "d.org", .want = "  root@d.org ,  alice@d.org  "},
      {.in = " a.b", .domain = "d.org", .want = " a.b@d.org"},
      {.in = " John Doe", .domain = "d.org", .want = " John Doe"},  // unparsable: unchanged
      {.in = " root", .domain = "", .want = " root"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(qualify_address_header(c.in, c.domain), c.want);
  }
}

}  // namespace
}  // namespace rm
