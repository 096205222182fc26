#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/base64.h"
#include "auth/sasl_login.h"
#include "auth/sasl_mechanism.h"
#include "auth/sasl_plain.h"

namespace rm {
namespace {

SaslCredentials creds(std::string user, std::string pass, std::string authzid = "") {
  return SaslCredentials{
      .user = std::move(user), .password = SecretString(std::move(pass)), .authzid = authzid};
}

std::string decode(std::string_view b64) {
  auto d = base64_decode(b64);
  return d ? *d : "<bad base64>";
}

struct PlainCase {
  std::string name;
  std::string user{}, pass{}, authzid{};
  std::string want_b64{};
};

const PlainCase kPlain[] = {
    // RFC 4616 §4 example 2 and RFC 4954 §4.1's example.
    {.name = "rfc4616",
     .user = "tim",
     .pass = "tanstaaftanstaaf",
     .want_b64 = "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"},
    {.name = "rfc4954", .user = "test", .pass = "test123", .want_b64 = "AHRlc3QAdGVzdDEyMw=="},
    // RFC 4616 §4 example 1 carries an authzid.
    {.name = "authzid",
     .user = "Kurt",
     .pass = "xipj3plmq",
     .authzid = "Ursel",
     .want_b64 = base64_encode(std::string("Ursel\0Kurt\0xipj3plmq", 20))},
    {.name = "utf8 password",
     .user = "u@example.test",
     .pass = "p\xc3\xa4ss w",
     .want_b64 = base64_encode(std::string("\0u@example.test\0p\xc3\xa4ss w", 23))},
};

TEST(SaslPlain, InitialResponseMatchesRfcVectors) {
  for (const PlainCase& c : kPlain) {
    SCOPED_TRACE(c.name);
    SaslPlain m(creds(c.user, c.pass, c.authzid));
    EXPECT_EQ(m.name(), "PLAIN");
    auto ir = m.initial_response();
    ASSERT_TRUE(ir) << ir.error().what;
    ASSERT_TRUE(ir->has_value());
    EXPECT_EQ((*ir)->view(), c.want_b64);
    EXPECT_TRUE(m.finish());
  }
}

TEST(SaslPlain, RejectsNulInFields) {
  const SaslCredentials bad[] = {
      creds(std::string("a\0b", 3), "pw"),
      creds("user", std::string("p\0w", 3)),
      creds("user", "pw", std::string("z\0", 2)),
  };
  for (const SaslCredentials& c : bad) {
    SaslPlain m(c);
    auto ir = m.initial_response();
    ASSERT_FALSE(ir);
    EXPECT_EQ(ir.error().code, Errc::auth);
    EXPECT_EQ(ir.error().what.find("pw"), std::string::npos);
  }
}

TEST(SaslPlain, AnswersOneEmptyChallengeAndNothingElse) {
  SaslPlain m(creds("test", "test123"));
  auto r = m.step("");  // the server did not take an initial response
  ASSERT_TRUE(r);
  EXPECT_EQ(r->view(), "AHRlc3QAdGVzdDEyMw==");
  EXPECT_FALSE(m.step(""));

  SaslPlain m2(creds("test", "test123"));
  ASSERT_TRUE(m2.initial_response());
  auto odd = m2.step("Y2hhbGxlbmdl");
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().code, Errc::auth);
}

struct LoginStep {
  std::string challenge;  // base64, as after "334 "
  bool ok;
  std::string want{};  // decoded response
};

struct LoginCase {
  std::string name;
  std::vector<LoginStep> steps;
};

const LoginCase kLogin[] = {
    {.name = "classic prompts",
     .steps = {{.challenge = "VXNlcm5hbWU6", .ok = true, .want = "alice@example.test"},
               {.challenge = "UGFzc3dvcmQ6", .ok = true, .want = "s3cret"}}},
    {.name = "other wording, order decides",
     .steps = {{.challenge = base64_encode("User Name"), .ok = true, .want = "alice@example.test"},
               {.challenge = base64_encode("Password"), .ok = true, .want = "s3cret"}}},
    {.name = "third challenge",
     .steps = {{.challenge = "VXNlcm5hbWU6", .ok = true, .want = "alice@example.test"},
               {.challenge = "UGFzc3dvcmQ6", .ok = true, .want = "s3cret"},
               {.challenge = "UGFzc3dvcmQ6", .ok = false}}},
    {.name = "challenge not base64", .steps = {{.challenge = "Username:", .ok = false}}},
};

TEST(SaslLogin, AnswersChallengesInOrder) {
  for (const LoginCase& c : kLogin) {
    SCOPED_TRACE(c.name);
    SaslLogin m(creds("alice@example.test", "s3cret"));
    EXPECT_EQ(m.name(), "LOGIN");
    auto ir = m.initial_response();
    ASSERT_TRUE(ir);
    EXPECT_FALSE(ir->has_value());
    for (const LoginStep& s : c.steps) {
      SCOPED_TRACE(s.challenge);
      auto r = m.step(s.challenge);
      ASSERT_EQ(r.has_value(), s.ok);
      if (s.ok) {
        EXPECT_EQ(decode(r->view()), s.want);
      } else {
        EXPECT_EQ(r.error().code, Errc::auth);
        EXPECT_EQ(r.error().what.find("s3cret"), std::string::npos);
      }
    }
  }
}

struct ChooseCase {
  std::string name;
  AuthMethod configured;
  std::vector<std::string> offered;
  bool ok;
  AuthMethod want = AuthMethod::none;
};

const ChooseCase kChoose[] = {
    {.name = "auto prefers PLAIN over LOGIN",
     .configured = AuthMethod::automatic,
     .offered = {"LOGIN", "PLAIN"},
     .ok = true,
     .want = AuthMethod::plain},
    {.name = "auto prefers SCRAM-SHA-256 over everything",
     .configured = AuthMethod::automatic,
     .offered = {"LOGIN", "PLAIN", "CRAM-MD5", "XOAUTH2", "SCRAM-SHA-256", "OAUTHBEARER"},
     .ok = true,
     .want = AuthMethod::scram_sha_256},
    {.name = "auto prefers CRAM-MD5 over PLAIN",
     .configured = AuthMethod::automatic,
     .offered = {"PLAIN", "LOGIN", "CRAM-MD5"},
     .ok = true,
     .want = AuthMethod::cram_md5},
    {.name = "auto takes LOGIN",
     .configured = AuthMethod::automatic,
     .offered = {"XOAUTH2", "LOGIN"},
     .ok = true,
     .want = AuthMethod::login},
    {.name = "auto is case-blind",
     .configured = AuthMethod::automatic,
     .offered = {"scram-sha-256"},
     .ok = true,
     .want = AuthMethod::scram_sha_256},
    {.name = "auto never picks the token mechanisms",
     .configured = AuthMethod::automatic,
     .offered = {"XOAUTH2", "OAUTHBEARER"},
     .ok = false},
    {.name = "auto skips unknown mechanisms",
     .configured = AuthMethod::automatic,
     .offered = {"GSSAPI", "SCRAM-SHA-1", "DIGEST-MD5", "NTLM"},
     .ok = false},
    {.name = "auto with nothing offered",
     .configured = AuthMethod::automatic,
     .offered = {},
     .ok = false},
    {.name = "explicit LOGIN offered",
     .configured = AuthMethod::login,
     .offered = {"PLAIN", "LOGIN"},
     .ok = true,
     .want = AuthMethod::login},
    {.name = "explicit PLAIN not offered",
     .configured = AuthMethod::plain,
     .offered = {"LOGIN"},
     .ok = false},
    {.name = "explicit CRAM-MD5",
     .configured = AuthMethod::cram_md5,
     .offered = {"CRAM-MD5", "SCRAM-SHA-256"},
     .ok = true,
     .want = AuthMethod::cram_md5},
    {.name = "explicit XOAUTH2",
     .configured = AuthMethod::xoauth2,
     .offered = {"PLAIN", "xoauth2"},
     .ok = true,
     .want = AuthMethod::xoauth2},
    {.name = "explicit OAUTHBEARER",
     .configured = AuthMethod::oauthbearer,
     .offered = {"OAUTHBEARER", "XOAUTH2"},
     .ok = true,
     .want = AuthMethod::oauthbearer},
    {.name = "explicit OAUTHBEARER not offered",
     .configured = AuthMethod::oauthbearer,
     .offered = {"XOAUTH2", "PLAIN"},
     .ok = false},
    {.name = "explicit SCRAM-SHA-256 not offered",
     .configured = AuthMethod::scram_sha_256,
     .offered = {"SCRAM-SHA-1", "PLAIN"},
     .ok = false},
    {.name = "none", .configured = AuthMethod::none, .offered = {"PLAIN"}, .ok = false},
};

TEST(SaslChoose, PicksStrongestImplementedOffered) {
  for (const ChooseCase& c : kChoose) {
    SCOPED_TRACE(c.name);
    auto r = choose_sasl_method(c.configured, c.offered);
    ASSERT_EQ(r.has_value(), c.ok) << (r ? "" : r.error().what);
    if (c.ok) {
      EXPECT_EQ(*r, c.want);
    } else {
      EXPECT_EQ(r.error().code, Errc::auth);
    }
  }
}

struct FactoryCase {
  AuthMethod method;
  bool ok = false;
  std::string name{};
};

const FactoryCase kFactory[] = {
    {.method = AuthMethod::plain, .ok = true, .name = "PLAIN"},
    {.method = AuthMethod::login, .ok = true, .name = "LOGIN"},
    {.method = AuthMethod::cram_md5, .ok = true, .name = "CRAM-MD5"},
    {.method = AuthMethod::scram_sha_256, .ok = true, .name = "SCRAM-SHA-256"},
    {.method = AuthMethod::xoauth2, .ok = true, .name = "XOAUTH2"},
    {.method = AuthMethod::oauthbearer, .ok = true, .name = "OAUTHBEARER"},
    {.method = AuthMethod::automatic, .ok = false},
    {.method = AuthMethod::none, .ok = false},
};

TEST(SaslFactory, BuildsEveryMechanism) {
  for (const FactoryCase& c : kFactory) {
    SCOPED_TRACE(auth_method_name(c.method));
    auto m = make_sasl_mechanism(c.method, creds("u", "p"));
    ASSERT_EQ(m.has_value(), c.ok);
    if (c.ok) {
      EXPECT_EQ((*m)->name(), c.name);
      EXPECT_EQ((*m)->name(), sasl_name(c.method));
    } else {
      EXPECT_EQ(m.error().code, Errc::auth);
    }
  }
}

}  // namespace
}  // namespace rm
