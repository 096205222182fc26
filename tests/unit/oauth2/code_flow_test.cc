// Tests for oauth2/url_query.h and oauth2/code_flow.h: percent-encoding (RFC 3986 unreserved
// kept), the redirect's query read strictly, the authorization URL with every parameter the
// loopback flow needs (RFC 6749 §4.1.1, RFC 7636 §4.3, Google's offline access), and the form
// that trades the code in.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oauth2/code_flow.h"
#include "oauth2/url_query.h"

namespace rm {
namespace {

TEST(PercentEncode, Table) {
  const std::pair<std::string, std::string> kCases[] = {
      {"AZaz09-._~", "AZaz09-._~"},
      {"https://mail.google.com/", "https%3A%2F%2Fmail.google.com%2F"},
      {"a b+c&d=e", "a%20b%2Bc%26d%3De"},
      {"\xc3\xa9", "%C3%A9"},
      {"", ""},
  };
  for (const auto& [in, want] : kCases) {
    SCOPED_TRACE(in);
    EXPECT_EQ(percent_encode(in), want);
  }
}

struct QueryCase {
  const char* name;
  std::string query;
  std::optional<std::map<std::string, std::string>> want;
};

TEST(ParseQuery, Table) {
  using M = std::map<std::string, std::string>;
  const QueryCase kCases[] = {
      {.name = "Google's redirect",
       .query = "state=s1&code=4/0AX4XfWh&scope=https://mail.google.com/",
       .want = M{{"state", "s1"}, {"code", "4/0AX4XfWh"}, {"scope", "https://mail.google.com/"}}},
      {.name = "escapes and '+'",
       .query = "code=a%2Fb%3d&error_description=The+user+said+no",
       .want = M{{"code", "a/b="}, {"error_description", "The user said no"}}},
      {.name = "empty pieces and a value-less name",
       .query = "&a=1&&b&",
       .want = M{{"a", "1"}, {"b", ""}}},
      {.name = "empty", .query = "", .want = M{}},
      {.name = "a bad escape", .query = "code=%zz", .want = std::nullopt},
      {.name = "a cut escape", .query = "code=ab%4", .want = std::nullopt},
      {.name = "a name twice", .query = "state=a&state=b", .want = std::nullopt},
      {.name = "an empty name", .query = "=x", .want = std::nullopt},
  };
  for (const QueryCase& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(parse_query(c.query), c.want);
  }
}

struct UrlCase {
  const char* name;
  CodeRequest req;
  std::string want;
};

TEST(AuthorizationUrl, Table) {
  const UrlCase kCases[] = {
      {.name = "google",
       .req = {.authorize_url = "https://accounts.google.com/o/oauth2/v2/auth",
               .client_id = "123-abc.apps.googleusercontent.com",
               .redirect_uri = "http://127.0.0.1:41123",
               .scope = "https://mail.google.com/",
               .state = "st-1",
               .code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
       .want = "https://accounts.google.com/o/oauth2/v2/auth?client_id=123-abc.apps."
               "googleusercontent.com&redirect_uri=http%3A%2F%2F127.0.0.1%3A41123&response_type="
               "code&scope=https%3A%2F%2Fmail.google.com%2F&code_challenge=E9Melhoa2OwvFrEMTJguCHa"
               "oeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=st-1&access_type=offline&"
               "prompt=consent"},
      {.name = "no scope, an endpoint with a query of its own",
       .req = {.authorize_url = "https://idp.example/auth?tenant=x",
               .client_id = "c",
               .redirect_uri = "http://127.0.0.1:1",
               .state = "s",
               .code_challenge = "ch"},
       .want = "https://idp.example/auth?tenant=x&client_id=c&redirect_uri=http%3A%2F%2F127.0.0."
               "1%3A1&response_type=code&code_challenge=ch&code_challenge_method=S256&state=s&"
               "access_type=offline&prompt=consent"},
  };
  for (const UrlCase& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(authorization_url(c.req), c.want);
  }
}

TEST(CodeForm, PublicAndConfidentialClients) {
  for (const std::string secret : {"", "cs-1"}) {
    SCOPED_TRACE(secret);
    std::vector<FormField> form =
        code_form(SecretString("4/code"), "http://127.0.0.1:9", SecretString("verifier-1"), "cid",
                  SecretString(secret));
    std::vector<std::pair<std::string, std::string>> got;
    for (const FormField& f : form) {
      got.emplace_back(f.name, std::string(f.value.view()));
    }
    std::vector<std::pair<std::string, std::string>> want = {{"grant_type", "authorization_code"},
                                                             {"code", "4/code"},
                                                             {"redirect_uri", "http://127.0.0.1:9"},
                                                             {"code_verifier", "verifier-1"},
                                                             {"client_id", "cid"}};
    if (!secret.empty()) {
      want.emplace_back("client_secret", secret);
    }
    EXPECT_EQ(got, want);
  }
}

}  // namespace
}  // namespace rm
