// The bearer-token mechanisms: XOAUTH2 (Google/Microsoft) and OAUTHBEARER (RFC 7628). The
// token travels as SaslCredentials::password.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "auth/base64.h"
#include "auth/sasl_bearer.h"

namespace rm {
namespace {

constexpr char kToken[] = "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg";

SaslCredentials creds(std::string user, std::string token, std::string authzid = "") {
  return SaslCredentials{
      .user = std::move(user), .password = SecretString(std::move(token)), .authzid = authzid};
}

std::string decode(std::string_view b64) {
  auto d = base64_decode(b64);
  return d ? *d : "<bad base64>";
}

using Factory = std::function<std::unique_ptr<SaslMechanism>(SaslCredentials)>;

std::unique_ptr<SaslMechanism> xoauth2(SaslCredentials c) {
  return std::make_unique<SaslBearer>(SaslBearer::Flavor::xoauth2, std::move(c));
}
std::unique_ptr<SaslMechanism> oauthbearer(SaslCredentials c) {
  return std::make_unique<SaslBearer>(SaslBearer::Flavor::oauthbearer, std::move(c));
}

struct Case {
  std::string name;
  Factory make;
  std::string user, token, authzid{};
  std::string want_ir{};     // decoded; empty: initial_response must fail
  std::string want_reply{};  // decoded response to an error challenge
};

const Case kCases[] = {
    // Google's XOAUTH2 documentation example.
    {.name = "xoauth2",
     .make = xoauth2,
     .user = "someuser@example.com",
     .token = kToken,
     .want_ir = std::string("user=someuser@example.com\x01"
                            "auth=Bearer ") +
                kToken + "\x01\x01",
     .want_reply = ""},
    // RFC 7628 §4.1 without the optional host= and port= pairs.
    {.name = "oauthbearer",
     .make = oauthbearer,
     .user = "user@example.com",
     .token = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
     .want_ir = "n,a=user@example.com,\x01"
                "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01",
     .want_reply = "\x01"},
    {.name = "oauthbearer escapes the saslname",
     .make = oauthbearer,
     .user = "a,b=c",
     .token = "t0k",
     .want_ir = "n,a=a=2Cb=3Dc,\x01"
                "auth=Bearer t0k\x01\x01",
     .want_reply = "\x01"},
    {.name = "oauthbearer prefers the authzid",
     .make = oauthbearer,
     .user = "robot",
     .token = "t0k",
     .authzid = "boss@example.com",
     .want_ir = "n,a=boss@example.com,\x01"
                "auth=Bearer t0k\x01\x01",
     .want_reply = "\x01"},
    {.name = "xoauth2 token with ^A",
     .make = xoauth2,
     .user = "u",
     .token = "a\x01"
              "b"},
    {.name = "xoauth2 token with space", .make = xoauth2, .user = "u", .token = "a b"},
    {.name = "xoauth2 empty token", .make = xoauth2, .user = "u", .token = ""},
    {.name = "xoauth2 user with ^A", .make = xoauth2, .user = "u\x01", .token = "T0KEN"},
    {.name = "oauthbearer token with CRLF", .make = oauthbearer, .user = "u", .token = "t\r\n"},
    {.name = "oauthbearer user with NUL",
     .make = oauthbearer,
     .user = std::string("u\0v", 3),
     .token = "T0KEN"},
};

TEST(SaslBearer, InitialResponseAndErrorChallenge) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    auto m = c.make(creds(c.user, c.token, c.authzid));
    auto ir = m->initial_response();
    if (c.want_ir.empty()) {
      ASSERT_FALSE(ir);
      EXPECT_EQ(ir.error().code, Errc::auth);
      if (!c.token.empty()) {
        EXPECT_EQ(ir.error().what.find(c.token), std::string::npos);
      }
      continue;
    }
    ASSERT_TRUE(ir) << ir.error().what;
    ASSERT_TRUE(ir->has_value());
    EXPECT_EQ(decode((*ir)->view()), c.want_ir);
    // A refused token: the server reports the error as base64 JSON in a 334.
    auto r = m->step(base64_encode(
        R"({"status":"invalid_token","schemes":"bearer","scope":"https://mail.example/"})"));
    ASSERT_TRUE(r) << r.error().what;
    EXPECT_EQ(decode(r->view()), c.want_reply);
    // Nothing more is expected; the server's 535 ends it.
    auto again = m->step(base64_encode("{}"));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Errc::auth);
    EXPECT_EQ(again.error().what.find(c.token), std::string::npos);
  }
}

TEST(SaslBearer, NamesAndOddChallenges) {
  EXPECT_EQ(SaslBearer(SaslBearer::Flavor::xoauth2, creds("u", "t")).name(), "XOAUTH2");
  EXPECT_EQ(SaslBearer(SaslBearer::Flavor::oauthbearer, creds("u", "t")).name(), "OAUTHBEARER");
  for (const Factory& make : {Factory(xoauth2), Factory(oauthbearer)}) {
    auto before = make(creds("u", "t"));  // a challenge before the initial response went out
    EXPECT_FALSE(before->step(""));
    auto garbled = make(creds("u", "t"));
    ASSERT_TRUE(garbled->initial_response());
    EXPECT_FALSE(garbled->step("{not base64}"));
  }
}

}  // namespace
}  // namespace rm
