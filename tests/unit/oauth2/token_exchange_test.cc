// Tests for oauth2/token_exchange.h: the refresh form (the secret only for a confidential client,
// tokens of any length; its encoding is tested through the fake endpoint in
// token_provider_test.cc), every kind of answer and the error it becomes (invalid_grant with the
// command to run, other OAuth errors, 5xx, garbage), and the authorize command's quoting.
#include "oauth2/token_exchange.h"

#include <gtest/gtest.h>

#include <string>

namespace rm {
namespace {

// A token as long as Microsoft's and Google's get (2 KB and more), with the characters of an
// RFC 6750 b64token that a form must encode.
std::string long_token(char fill, size_t n = 3000) {
  return "1//" + std::string(n, fill) + "-._~+/=";
}

struct FormCase {
  const char* name;
  std::string refresh_token;
  std::string client_id;
  std::string client_secret = {};
};

TEST(RefreshForm, Table) {
  const FormCase kCases[] = {
      {.name = "public client", .refresh_token = "rt-1", .client_id = "id.apps"},
      {.name = "confidential client",
       .refresh_token = "rt-1",
       .client_id = "id",
       .client_secret = "s3cret"},
      {.name = "a 3 KB token, whole", .refresh_token = long_token('R'), .client_id = "id"},
  };
  for (const FormCase& c : kCases) {
    SCOPED_TRACE(c.name);
    std::vector<FormField> form =
        refresh_form(SecretString(c.refresh_token), c.client_id, SecretString(c.client_secret));
    std::vector<std::pair<std::string, std::string>> got;
    got.reserve(form.size());
    for (const FormField& f : form) {
      got.emplace_back(f.name, std::string(f.value.view()));
    }
    std::vector<std::pair<std::string, std::string>> want = {{"grant_type", "refresh_token"},
                                                             {"refresh_token", c.refresh_token},
                                                             {"client_id", c.client_id}};
    if (!c.client_secret.empty()) {
      want.emplace_back("client_secret", c.client_secret);
    }
    EXPECT_EQ(got, want);
  }
}

struct AnswerCase {
  const char* name;
  long status;
  std::string body;
  std::optional<Errc> error = std::nullopt;  // nullopt: a grant
  std::string access = {};
  int64_t expires_in = 0;
  std::optional<std::string> refresh = std::nullopt;
  std::string says = {};  // in the error text
};

TEST(ReadTokenAnswer, Table) {
  const std::string big = long_token('A', 4000);
  const AnswerCase kCases[] = {
      {.name = "Google's answer",
       .status = 200,
       .body =
           R"({"access_token": "ya29.a0", "expires_in": 3599, "scope": "https://mail.google.com/",
                   "token_type": "Bearer"})",
       .access = "ya29.a0",
       .expires_in = 3599},
      {.name = "Microsoft's, rotating the refresh token",
       .status = 200,
       .body = R"({"token_type":"Bearer","scope":"SMTP.Send","expires_in":4883,
                   "ext_expires_in":4883,"access_token":"eyJ0","refresh_token":"M.C5_BL2"})",
       .access = "eyJ0",
       .expires_in = 4883,
       .refresh = "M.C5_BL2"},
      {.name = "a 4 KB token, whole",
       .status = 200,
       .body = "{\"access_token\": \"" + big + "\", \"refresh_token\": \"" + big + "\"}",
       .access = big,
       .expires_in = kDefaultExpiresIn,
       .refresh = big},
      {.name = "expires_in as a string",
       .status = 200,
       .body = R"({"access_token": "t", "expires_in": "3600", "token_type": "bearer"})",
       .access = "t",
       .expires_in = 3600},
      {.name = "expires_in missing: an hour",
       .status = 200,
       .body = R"({"access_token": "t"})",
       .access = "t",
       .expires_in = kDefaultExpiresIn},
      {.name = "a negative expires_in is 0",
       .status = 200,
       .body = R"({"access_token": "t", "expires_in": -5})",
       .access = "t",
       .expires_in = 0},
      {.name = "huge expires_in is capped",
       .status = 200,
       .body = R"({"access_token": "t", "expires_in": 1e300})",
       .access = "t",
       .expires_in = kMaxExpiresIn},
      {.name = "invalid_grant: authorize again",
       .status = 400,
       .body =
           R"({"error": "invalid_grant", "error_description": "Token has been expired or revoked."})",
       .error = Errc::grant_refused,
       .says = "account gmail: the token endpoint refused the refresh token (invalid_grant: Token "
               "has been expired or revoked.); to authorize again, run: relaymail oauth2 "
               "authorize gmail"},
      {.name = "invalid_client",
       .status = 401,
       .body =
           R"({"error": "invalid_client", "error_description": "The OAuth client was not found."})",
       .error = Errc::config,
       .says = "refused the request (invalid_client: The OAuth client was not found.)"},
      {.name = "500 with no body",
       .status = 500,
       .body = "",
       .error = Errc::secret_unavailable,
       .says = "account gmail: the token endpoint answered HTTP 500"},
      {.name = "503 temporarily_unavailable",
       .status = 503,
       .body = R"({"error": "temporarily_unavailable"})",
       .error = Errc::secret_unavailable,
       .says = "answered HTTP 503 (temporarily_unavailable)"},
      {.name = "garbage with a 200",
       .status = 200,
       .body = "<html>login</html>",
       .error = Errc::secret_unavailable,
       .says = "answer is not a JSON object"},
      {.name = "a JSON array",
       .status = 200,
       .body = "[1, 2]",
       .error = Errc::secret_unavailable,
       .says = "not a JSON object"},
      {.name = "no access_token",
       .status = 200,
       .body = R"({"token_type": "Bearer"})",
       .error = Errc::secret_unavailable,
       .says = "no usable access_token"},
      {.name = "an access_token with a space",
       .status = 200,
       .body = R"({"access_token": "a b"})",
       .error = Errc::secret_unavailable,
       .says = "no usable access_token"},
      {.name = "an access_token that is a number",
       .status = 200,
       .body = R"({"access_token": 12})",
       .error = Errc::secret_unavailable,
       .says = "no usable access_token"},
      {.name = "not a bearer token",
       .status = 200,
       .body = R"({"access_token": "t", "token_type": "mac"})",
       .error = Errc::secret_unavailable,
       .says = "issued a \"mac\" token, not a Bearer token"},
      {.name = "an unusable refresh_token",
       .status = 200,
       .body = R"({"access_token": "t", "refresh_token": ""})",
       .error = Errc::secret_unavailable,
       .says = "unusable refresh_token"},
      {.name = "a description with control characters, cut",
       .status = 400,
       .body = "{\"error\": \"invalid_scope\", \"error_description\": \"bad\\nscope" +
               std::string(300, 'x') + "\"}",
       .error = Errc::config,
       .says = "(invalid_scope: bad?scope" + std::string(191, 'x') + ")"},
  };
  for (const AnswerCase& c : kCases) {
    SCOPED_TRACE(c.name);
    auto g = read_token_answer(c.status, c.body, "gmail");
    if (c.error) {
      ASSERT_FALSE(g);
      EXPECT_EQ(g.error().code, *c.error) << g.error().what;
      EXPECT_NE(g.error().what.find(c.says), std::string::npos) << g.error().what;
      EXPECT_EQ(g.error().what.find('\n'), std::string::npos);
      continue;
    }
    ASSERT_TRUE(g) << g.error().what;
    EXPECT_EQ(g->access_token.view(), c.access);
    EXPECT_EQ(g->expires_in, c.expires_in);
    ASSERT_EQ(g->refresh_token.has_value(), c.refresh.has_value());
    if (c.refresh) {
      EXPECT_EQ(g->refresh_token->view(), *c.refresh);
    }
  }
}

TEST(AuthorizeCommand, QuotesOnlyWhatNeedsIt) {
  const std::pair<const char*, const char*> kCases[] = {
      {"gmail", "relaymail oauth2 authorize gmail"},
      {"smtp.office365.com", "relaymail oauth2 authorize smtp.office365.com"},
      {"me@work", "relaymail oauth2 authorize me@work"},
      {"my mail", "relaymail oauth2 authorize 'my mail'"},
      {"it's", "relaymail oauth2 authorize 'it'\\''s'"},
      {"$(x)", "relaymail oauth2 authorize '$(x)'"},
  };
  for (const auto& [account, want] : kCases) {
    EXPECT_EQ(authorize_command(account), want);
  }
}

}  // namespace
}  // namespace rm
