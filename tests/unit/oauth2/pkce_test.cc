// Tests for oauth2/pkce.h: base64url against RFC 4648 §10's vectors (in the URL alphabet, no
// padding), the S256 challenge against RFC 7636 Appendix B, and fresh verifiers and states of
// the right form that never repeat.
#include "oauth2/pkce.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace rm {
namespace {

struct B64Case {
  std::string raw;
  std::string want;
};

TEST(Base64Url, Table) {
  const B64Case kCases[] = {
      {.raw = "", .want = ""},
      {.raw = "f", .want = "Zg"},
      {.raw = "fo", .want = "Zm8"},
      {.raw = "foo", .want = "Zm9v"},
      {.raw = "foob", .want = "Zm9vYg"},
      {.raw = "fooba", .want = "Zm9vYmE"},
      {.raw = "foobar", .want = "Zm9vYmFy"},
      {.raw = "\xfb\xff", .want = "-_8"},  // '+' and '/' in the standard alphabet
  };
  for (const B64Case& c : kCases) {
    SCOPED_TRACE(c.raw);
    EXPECT_EQ(base64url(c.raw), c.want);
  }
}

// RFC 7636 Appendix B: the octets, the verifier they make, and its S256 challenge.
TEST(Pkce, Rfc7636AppendixB) {
  const unsigned char kOctets[] = {116, 24,  223, 180, 151, 153, 224, 37,  79,  250, 96,
                                   125, 216, 173, 187, 186, 22,  212, 37,  77,  105, 214,
                                   191, 240, 91,  88,  5,   88,  83,  132, 141, 121};
  const std::string verifier =
      base64url(std::string(reinterpret_cast<const char*>(kOctets), sizeof kOctets));
  EXPECT_EQ(verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
  EXPECT_EQ(code_challenge(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

bool url_safe(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

TEST(Pkce, FreshVerifiersAndStates) {
  auto a = make_pkce();
  auto b = make_pkce();
  ASSERT_TRUE(a && b);
  const std::string va(a->verifier.view());
  EXPECT_EQ(va.size(), 43u);  // 32 octets; RFC 7636 §4.1 asks for 43 to 128 characters
  EXPECT_TRUE(url_safe(va)) << va;
  EXPECT_EQ(a->challenge, code_challenge(va));
  EXPECT_NE(va, std::string(b->verifier.view()));
  auto s1 = random_state();
  auto s2 = random_state();
  ASSERT_TRUE(s1 && s2);
  EXPECT_EQ(s1->size(), 43u);
  EXPECT_TRUE(url_safe(*s1));
  EXPECT_NE(*s1, *s2);
}

}  // namespace
}  // namespace rm
