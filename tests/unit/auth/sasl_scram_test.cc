// SCRAM-SHA-256 (RFC 5802 + RFC 7677): the RFC 7677 §3 vector byte for byte, then everything a
// server can get wrong, each refused with Errc::auth and without leaking the password.
#include "auth/sasl_scram.h"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>

#include "auth/base64.h"

namespace rm {
namespace {

constexpr char kPassword[] = "pencil";
constexpr char kNonce[] = "rOprNGfwEbeRWgbNEkqO";
constexpr char kServerFirst[] =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr char kClientFinal[] =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr char kServerFinal[] = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
constexpr char kSalt[] = "W22ZaJ0SNY7soEsUEjb6gQ==";
constexpr char kServerNonce[] = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

SaslCredentials creds(std::string user, std::string pass = kPassword, std::string authzid = "") {
  return SaslCredentials{
      .user = std::move(user), .password = SecretString(std::move(pass)), .authzid = authzid};
}

std::string decode(std::string_view b64) {
  auto d = base64_decode(b64);
  return d ? *d : "<bad base64>";
}

TEST(SaslScram, Rfc7677Vector) {
  SaslScramSha256 m(creds("user"), kNonce);
  EXPECT_EQ(m.name(), "SCRAM-SHA-256");
  auto ir = m.initial_response();
  ASSERT_TRUE(ir) << ir.error().what;
  ASSERT_TRUE(ir->has_value());
  EXPECT_EQ(decode((*ir)->view()), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");

  auto final_msg = m.step(base64_encode(kServerFirst));
  ASSERT_TRUE(final_msg) << final_msg.error().what;
  EXPECT_EQ(decode(final_msg->view()), kClientFinal);

  auto empty = m.step(base64_encode(kServerFinal));
  ASSERT_TRUE(empty) << empty.error().what;
  EXPECT_TRUE(empty->empty());
  EXPECT_TRUE(m.finish());

  auto more = m.step(base64_encode(kServerFinal));  // nothing follows the server-final
  ASSERT_FALSE(more);
  EXPECT_EQ(more.error().code, Errc::auth);
}

TEST(SaslScram, GreetingEscapesNamesAndCarriesAuthzid) {
  struct Case {
    std::string name, user, authzid{}, want;
  };
  const Case cases[] = {
      {.name = "plain user", .user = "user", .want = "n,,n=user,r=abc"},
      {.name = "comma and equals", .user = "a,b=c", .want = "n,,n=a=2Cb=3Dc,r=abc"},
      {.name = "utf8 user passes through", .user = "j\xc3\xb6rg", .want = "n,,n=j\xc3\xb6rg,r=abc"},
      {.name = "authzid",
       .user = "admin",
       .authzid = "on=behalf,of",
       .want = "n,a=on=3Dbehalf=2Cof,n=admin,r=abc"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SaslScramSha256 m(creds(c.user, kPassword, c.authzid), "abc");
    auto ir = m.initial_response();
    ASSERT_TRUE(ir) << ir.error().what;
    EXPECT_EQ(decode((*ir)->view()), c.want);
  }
}

TEST(SaslScram, RandomNonceIsFreshPrintableBase64) {
  std::set<std::string> seen;
  for (int i = 0; i < 8; ++i) {
    SaslScramSha256 m(creds("user"));
    auto ir = m.initial_response();
    ASSERT_TRUE(ir) << ir.error().what;
    const std::string first = decode((*ir)->view());
    ASSERT_EQ(first.rfind("n,,n=user,r=", 0), 0u) << first;
    const std::string nonce = first.substr(12);
    EXPECT_EQ(nonce.size(), 32u);  // 24 bytes, base64
    EXPECT_EQ(nonce.find(','), std::string::npos);
    auto raw = base64_decode(nonce);
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw->size(), 24u);
    seen.insert(nonce);
  }
  EXPECT_EQ(seen.size(), 8u);
}

TEST(SaslScram, RefusesBadCredentialsAndNonces) {
  SaslScramSha256 nul_user(creds(std::string("us\0er", 5)), kNonce);
  EXPECT_FALSE(nul_user.initial_response());
  SaslScramSha256 comma_nonce(creds("user"), "ab,cd");
  EXPECT_FALSE(comma_nonce.initial_response());
  SaslScramSha256 twice(creds("user"), kNonce);
  ASSERT_TRUE(twice.initial_response());
  EXPECT_FALSE(twice.initial_response());
}

std::string server_first(std::string nonce = kServerNonce, std::string salt = kSalt,
                         std::string iterations = "4096") {
  return "r=" + nonce + ",s=" + salt + ",i=" + iterations;
}

struct NegativeCase {
  std::string name;
  std::string first_b64;                   // server-first-message, base64
  std::optional<std::string> final_b64{};  // server-final-message; nullopt: first must fail
  bool finish_without_final = false;       // the server says 235 after our client-final
  std::string what{};                      // in the error text
};

const NegativeCase kNegative[] = {
    {.name = "wrong v=",
     .first_b64 = base64_encode(kServerFirst),
     .final_b64 = base64_encode("v=" + base64_encode(std::string(32, 'x'))),
     .what = "server signature"},
    {.name = "v= of the wrong length",
     .first_b64 = base64_encode(kServerFirst),
     .final_b64 = base64_encode("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4A"),
     .what = "server signature"},
    {.name = "v= not base64",
     .first_b64 = base64_encode(kServerFirst),
     .final_b64 = base64_encode("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4"),
     .what = "server signature"},
    {.name = "server-final without v=",
     .first_b64 = base64_encode(kServerFirst),
     .final_b64 = base64_encode("x=whatever"),
     .what = "lacks v="},
    {.name = "e=invalid-proof",
     .first_b64 = base64_encode(kServerFirst),
     .final_b64 = base64_encode("e=invalid-proof"),
     .what = "server error: invalid-proof"},
    {.name = "e= is sanitised",
     .first_b64 = base64_encode(kServerFirst),
     .final_b64 = base64_encode("e=bad\r\nnews\x01"),
     .what = "server error: bad??news?"},
    {.name = "e= in server-first",
     .first_b64 = base64_encode("e=unknown-user"),
     .what = "server error: unknown-user"},
    {.name = "235 before v=",
     .first_b64 = base64_encode(kServerFirst),
     .finish_without_final = true,
     .what = "without proving"},
    {.name = "server-final not base64",
     .first_b64 = base64_encode(kServerFirst),
     .final_b64 = "not base64!",
     .what = "not base64"},
    {.name = "nonce does not extend ours",
     .first_b64 = base64_encode(server_first("XOprNGfwEbeRWgbNEkqO%hvYDpWUa2")),
     .what = "nonce"},
    {.name = "nonce equal to ours",
     .first_b64 = base64_encode(server_first(kNonce)),
     .what = "nonce"},
    {.name = "nonce shorter than ours",
     .first_b64 = base64_encode(server_first("rOprNG")),
     .what = "nonce"},
    {.name = "nonce with a control character",
     .first_b64 = base64_encode(server_first(std::string(kNonce) + "ab\x7f")),
     .what = "nonce"},
    {.name = "i=100",
     .first_b64 = base64_encode(server_first(kServerNonce, kSalt, "100")),
     .what = "iteration count"},
    {.name = "i=4095",
     .first_b64 = base64_encode(server_first(kServerNonce, kSalt, "4095")),
     .what = "iteration count"},
    {.name = "i=huge",
     .first_b64 = base64_encode(server_first(kServerNonce, kSalt, "2147483647")),
     .what = "iteration count"},
    {.name = "i=just above the bound",
     .first_b64 = base64_encode(server_first(kServerNonce, kSalt, "1000001")),
     .what = "iteration count"},
    {.name = "i=overflowing",
     .first_b64 = base64_encode(server_first(kServerNonce, kSalt, "99999999999999999999")),
     .what = "iteration count"},
    {.name = "i=negative",
     .first_b64 = base64_encode(server_first(kServerNonce, kSalt, "-4096")),
     .what = "iteration count"},
    {.name = "i=not a number",
     .first_b64 = base64_encode(server_first(kServerNonce, kSalt, "4096x")),
     .what = "iteration count"},
    {.name = "i= empty",
     .first_b64 = base64_encode(server_first(kServerNonce, kSalt, "")),
     .what = "iteration count"},
    {.name = "bad base64 salt",
     .first_b64 = base64_encode(server_first(kServerNonce, "W22ZaJ0SNY7soEsUEjb6gQ=")),
     .what = "salt"},
    {.name = "empty salt",
     .first_b64 = base64_encode(server_first(kServerNonce, "")),
     .what = "salt"},
    {.name = "mandatory extension",
     .first_b64 = base64_encode("m=ext," + server_first()),
     .what = "extension"},
    {.name = "missing s=",
     .first_b64 = base64_encode(std::string("r=") + kServerNonce + ",i=4096"),
     .what = "lacks"},
    {.name = "missing i=",
     .first_b64 = base64_encode(std::string("r=") + kServerNonce + ",s=" + kSalt),
     .what = "lacks"},
    {.name = "fields out of order",
     .first_b64 = base64_encode(std::string("s=") + kSalt + ",r=" + kServerNonce + ",i=4096"),
     .what = "lacks"},
    {.name = "empty server-first", .first_b64 = "", .what = "lacks"},
    {.name = "server-first not base64", .first_b64 = "r=abc", .what = "not base64"},
};

TEST(SaslScram, RefusesWhatDoesNotCheckOut) {
  for (const NegativeCase& c : kNegative) {
    SCOPED_TRACE(c.name);
    SaslScramSha256 m(creds("user"), kNonce);
    ASSERT_TRUE(m.initial_response());
    auto r1 = m.step(c.first_b64);
    Error err;
    if (!c.final_b64 && !c.finish_without_final) {
      ASSERT_FALSE(r1) << "server-first accepted";
      err = r1.error();
    } else {
      ASSERT_TRUE(r1) << r1.error().what;
      if (c.final_b64) {
        auto r2 = m.step(*c.final_b64);
        ASSERT_FALSE(r2) << "server-final accepted";
        err = r2.error();
      }
      Status fin = m.finish();
      ASSERT_FALSE(fin);  // never accept a 235 after any of these
      if (!c.final_b64) {
        err = fin.error();
      }
    }
    EXPECT_EQ(err.code, Errc::auth);
    EXPECT_NE(err.what.find(c.what), std::string::npos) << err.what;
    EXPECT_EQ(err.what.find(kPassword), std::string::npos) << err.what;
    // After a failure (or a 235 without a verified v=) the exchange is over.
    EXPECT_FALSE(m.step(base64_encode(kServerFinal)));
    EXPECT_FALSE(m.finish());
  }
}

TEST(SaslScram, AcceptsServerExtensionsAndBoundaryCounts) {
  // Optional extensions after i= and after v= are ignored (RFC 5802 §7). The vector is
  // recomputed for each count by a second client, so only acceptance is checked here.
  for (const char* iterations : {"4096", "1000000"}) {
    SCOPED_TRACE(iterations);
    SaslScramSha256 m(creds("user"), kNonce);
    ASSERT_TRUE(m.initial_response());
    auto r = m.step(base64_encode(server_first(kServerNonce, kSalt, iterations) + ",x=ext"));
    ASSERT_TRUE(r) << r.error().what;
  }
}

TEST(SaslScram, A235RightAfterTheInitialResponseIsRefused) {
  SaslScramSha256 m(creds("user"), kNonce);
  ASSERT_TRUE(m.initial_response());
  Status st = m.finish();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::auth);
}

TEST(SaslScram, AnswersBeforeInitialResponseIsRefused) {
  SaslScramSha256 m(creds("user"), kNonce);
  auto r = m.step(base64_encode(kServerFirst));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::auth);
}

}  // namespace
}  // namespace rm
