// Every client mechanism against the independent server side in tests/support/fake_sasl.h,
// without SMTP in between: right credentials authenticate (and SCRAM verifies the server),
// wrong ones are refused in the mechanism's own way.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "auth/sasl_mechanism.h"
#include "support/fake_sasl.h"

namespace rm {
namespace {

using test::SaslServerStep;
using Kind = SaslServerStep::Kind;

struct Outcome {
  Kind verdict = Kind::malformed;
  std::string user{};
  int challenges = 0;
  bool client_finished = false;  // finish() accepted the success
  std::optional<Error> client_error{};
};

Outcome run(AuthMethod method, const std::string& client_pass, const std::string& server_pass,
            const std::string& client_user = "alice@example.test") {
  Outcome out;
  auto client = make_sasl_mechanism(
      method, SaslCredentials{.user = client_user, .password = SecretString(client_pass)});
  auto server =
      test::make_fake_sasl(sasl_name(method), "alice@example.test", server_pass, "fake.test");
  if (!client || !server) {
    return out;
  }
  auto ir = (*client)->initial_response();
  if (!ir) {
    out.client_error = ir.error();
    return out;
  }
  SaslServerStep step =
      ir->has_value() ? server->start((*ir)->view()) : server->start(std::nullopt);
  while (step.kind == Kind::challenge && out.challenges < 10) {
    ++out.challenges;
    auto r = (*client)->step(step.challenge);
    if (!r) {
      out.client_error = r.error();
      return out;
    }
    step = server->next(r->view());
  }
  out.verdict = step.kind;
  out.user = step.user;
  if (step.kind == Kind::success) {
    Status st = (*client)->finish();
    out.client_finished = st.has_value();
    if (!st) {
      out.client_error = st.error();
    }
  }
  return out;
}

struct Case {
  AuthMethod method;
  int challenges_ok;   // round trips on success
  int challenges_bad;  // round trips before the failure verdict
};

const Case kCases[] = {
    {.method = AuthMethod::plain, .challenges_ok = 0, .challenges_bad = 0},
    {.method = AuthMethod::login, .challenges_ok = 2, .challenges_bad = 2},
    {.method = AuthMethod::cram_md5, .challenges_ok = 1, .challenges_bad = 1},
    // server-first, then v= (answered empty); a wrong proof ends at the client-final.
    {.method = AuthMethod::scram_sha_256, .challenges_ok = 2, .challenges_bad = 1},
    // The error challenge (JSON) is answered, then the failure.
    {.method = AuthMethod::xoauth2, .challenges_ok = 0, .challenges_bad = 1},
    {.method = AuthMethod::oauthbearer, .challenges_ok = 0, .challenges_bad = 1},
};

TEST(SaslRoundTrip, EveryMechanismAgainstTheFakeServer) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(auth_method_name(c.method));
    Outcome good = run(c.method, "Tok3n.s3cret", "Tok3n.s3cret");
    ASSERT_FALSE(good.client_error) << good.client_error->what;
    EXPECT_EQ(good.verdict, Kind::success);
    EXPECT_EQ(good.user, "alice@example.test");
    EXPECT_EQ(good.challenges, c.challenges_ok);
    EXPECT_TRUE(good.client_finished);

    Outcome bad = run(c.method, "Tok3n.wrong", "Tok3n.s3cret");
    ASSERT_FALSE(bad.client_error) << bad.client_error->what;
    EXPECT_EQ(bad.verdict, Kind::failure);
    EXPECT_EQ(bad.challenges, c.challenges_bad);

    Outcome other_user = run(c.method, "Tok3n.s3cret", "Tok3n.s3cret", "mallory@example.test");
    EXPECT_NE(other_user.verdict, Kind::success);
  }
}

TEST(SaslRoundTrip, FakeBase64IsStrict) {
  EXPECT_EQ(test::sasl_b64_encode(""), "");
  EXPECT_EQ(test::sasl_b64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(test::sasl_b64_decode("Zm9vYg=="), "foob");
  EXPECT_EQ(test::sasl_b64_decode(""), "");
  for (const char* bad : {"Zm9vYg=", "Zm9v Yg==", "Zm9vY===", "Zm=v", "Zm9vYg==\r\n", "*"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(test::sasl_b64_decode(bad));
  }
}

}  // namespace
}  // namespace rm
