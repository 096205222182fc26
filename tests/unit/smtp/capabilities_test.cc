#include "smtp/capabilities.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rm {
namespace {

SmtpReply ehlo(std::vector<std::string> lines) {
  SmtpReply r;
  r.code = 250;
  r.lines = std::move(lines);
  return r;
}

struct CapCase {
  std::string name{};
  std::vector<std::string> lines{};
  std::vector<std::string> keywords{};
  std::vector<std::string> auth{};
  bool size = false;
  uint64_t size_limit = 0;
  bool pipelining = false;
  bool starttls = false;
  bool eightbitmime = false;
  bool enhanced = false;
  bool smtputf8 = false;
  bool dsn = false;
  bool chunking = false;
};

const CapCase kCases[] = {
    {.name = "gmail before TLS",
     .lines = {"smtp.gmail.com at your service, [192.0.2.1]", "SIZE 35882577", "8BITMIME",
               "STARTTLS", "ENHANCEDSTATUSCODES", "PIPELINING", "CHUNKING", "SMTPUTF8"},
     .keywords = {"SIZE", "8BITMIME", "STARTTLS", "ENHANCEDSTATUSCODES", "PIPELINING", "CHUNKING",
                  "SMTPUTF8"},
     .size = true,
     .size_limit = 35882577,
     .pipelining = true,
     .starttls = true,
     .eightbitmime = true,
     .enhanced = true,
     .smtputf8 = true,
     .chunking = true},
    {.name = "DSN and CHUNKING, any case",
     .lines = {"mx", "dsn", "Chunking"},
     .keywords = {"DSN", "CHUNKING"},
     .dsn = true,
     .chunking = true},
    {.name = "after TLS with AUTH",
     .lines = {"smtp.test", "AUTH LOGIN PLAIN XOAUTH2", "PIPELINING"},
     .keywords = {"AUTH", "PIPELINING"},
     .auth = {"LOGIN", "PLAIN", "XOAUTH2"},
     .pipelining = true},
    {.name = "lower case",
     .lines = {"mx", "auth plain login", "size 1000", "starttls"},
     .keywords = {"AUTH", "SIZE", "STARTTLS"},
     .auth = {"PLAIN", "LOGIN"},
     .size = true,
     .size_limit = 1000,
     .starttls = true},
    {.name = "old AUTH= form merged",
     .lines = {"mx", "AUTH=LOGIN PLAIN", "AUTH LOGIN CRAM-MD5"},
     .keywords = {"AUTH"},
     .auth = {"LOGIN", "PLAIN", "CRAM-MD5"}},
    {.name = "SIZE without limit", .lines = {"mx", "SIZE"}, .keywords = {"SIZE"}, .size = true},
    {.name = "SIZE garbage", .lines = {"mx", "SIZE lots"}, .keywords = {"SIZE"}, .size = true},
    {.name = "SIZE overflow",
     .lines = {"mx", "SIZE 99999999999999999999999"},
     .keywords = {"SIZE"},
     .size = true},
    {.name = "greeting line is not a capability", .lines = {"STARTTLS PIPELINING"}},
    {.name = "junk lines ignored",
     .lines = {"mx", "", "   ", "-BAD", "X_Y", "?", "  8BITMIME  "},
     .keywords = {"8BITMIME"},
     .eightbitmime = true},
    {.name = "duplicates once",
     .lines = {"mx", "PIPELINING", "pipelining"},
     .keywords = {"PIPELINING"},
     .pipelining = true},
};

TEST(Capabilities, Table) {
  for (const CapCase& c : kCases) {
    SCOPED_TRACE(c.name);
    Capabilities caps = Capabilities::parse(ehlo(c.lines));
    EXPECT_EQ(caps.keywords, c.keywords);
    EXPECT_EQ(caps.auth, c.auth);
    EXPECT_EQ(caps.size, c.size);
    EXPECT_EQ(caps.size_limit, c.size_limit);
    EXPECT_EQ(caps.pipelining, c.pipelining);
    EXPECT_EQ(caps.starttls, c.starttls);
    EXPECT_EQ(caps.eightbitmime, c.eightbitmime);
    EXPECT_EQ(caps.enhanced_status_codes, c.enhanced);
    EXPECT_EQ(caps.smtputf8, c.smtputf8);
    EXPECT_EQ(caps.dsn, c.dsn);
    EXPECT_EQ(caps.chunking, c.chunking);
    for (const std::string& k : c.keywords) {
      EXPECT_TRUE(caps.has(k)) << k;
    }
  }
}

}  // namespace
}  // namespace rm
