// CRAM-MD5 (RFC 2195): the RFC's example, and the challenges a client must refuse.
#include "auth/sasl_cram_md5.h"

#include <gtest/gtest.h>

#include <string>

#include "auth/base64.h"
#include "auth/sasl_crypto.h"

namespace rm {
namespace {

SaslCredentials creds(std::string user, std::string pass) {
  return SaslCredentials{.user = std::move(user), .password = SecretString(std::move(pass))};
}

std::string decode(std::string_view b64) {
  auto d = base64_decode(b64);
  return d ? *d : "<bad base64>";
}

struct Case {
  std::string name;
  std::string user, pass, challenge;  // challenge decoded
  std::string want;                   // response decoded
};

const Case kCases[] = {
    {.name = "rfc2195",
     .user = "tim",
     .pass = "tanstaaftanstaaf",
     .challenge = "<1896.697170952@postoffice.reston.mci.net>",
     .want = "tim b913a602c7eda7a495b4e6e7334d3890"},
    // RFC 2104 / RFC 2202 test case 2 for HMAC-MD5: key "Jefe".
    {.name = "rfc2202 case 2",
     .user = "jefe",
     .pass = "Jefe",
     .challenge = "what do ya want for nothing?",
     .want = "jefe 750c783e6ab0b503eaa86e310a5db738"},
    {.name = "user with a space, empty password",
     .user = "a b",
     .pass = "",
     .challenge = "<1.2@x>",
     .want = "a b "},  // digest checked for shape below
};

TEST(SaslCramMd5, AnswersTheChallenge) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    SaslCramMd5 m(creds(c.user, c.pass));
    EXPECT_EQ(m.name(), "CRAM-MD5");
    auto ir = m.initial_response();
    ASSERT_TRUE(ir);
    EXPECT_FALSE(ir->has_value());
    auto r = m.step(base64_encode(c.challenge));
    ASSERT_TRUE(r) << r.error().what;
    const std::string got = decode(r->view());
    if (c.want.size() > c.user.size() + 1) {
      EXPECT_EQ(got, c.want);
    } else {
      ASSERT_EQ(got.size(), c.want.size() + 32);
      EXPECT_EQ(got.substr(0, c.want.size()), c.want);
      EXPECT_EQ(got.find_first_not_of("0123456789abcdef", c.want.size()), std::string::npos);
    }
    EXPECT_TRUE(m.finish());
  }
}

TEST(SaslCramMd5, RefusesOddChallenges) {
  struct Bad {
    std::string name;
    std::string first;  // base64 challenge
    bool second = false;
  };
  const Bad bad[] = {
      {.name = "empty challenge", .first = ""},
      {.name = "not base64", .first = "<1896.697170952@postoffice>"},
      {.name = "second challenge", .first = base64_encode("<1@x>"), .second = true},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.name);
    SaslCramMd5 m(creds("tim", "tanstaaftanstaaf"));
    auto r = m.step(b.first);
    if (b.second) {
      ASSERT_TRUE(r);
      r = m.step(b.first);
    }
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::auth);
    EXPECT_EQ(r.error().what.find("tanstaaf"), std::string::npos);
  }
  SaslCramMd5 nul(creds(std::string("t\0m", 3), "pw"));
  EXPECT_FALSE(nul.step(base64_encode("<1@x>")));
}

TEST(SaslCrypto, PrimitivesMatchPublishedVectors) {
  KeyBuf<kSha256Len> out;
  ASSERT_TRUE(sha256("abc", out));
  EXPECT_EQ(hex_lower(out.view()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  ASSERT_TRUE(hmac_sha256("Jefe", "what do ya want for nothing?", out));
  EXPECT_EQ(hex_lower(out.view()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 7914 §11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1 (first 32 bytes).
  ASSERT_TRUE(pbkdf2_sha256("passwd", "salt", 1, out));
  EXPECT_EQ(hex_lower(out.view()),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
  EXPECT_TRUE(equal_constant_time("abc", "abc"));
  EXPECT_FALSE(equal_constant_time("abc", "abd"));
  EXPECT_FALSE(equal_constant_time("abc", "abcd"));
  auto r = random_bytes(24);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 24u);
}

}  // namespace
}  // namespace rm
