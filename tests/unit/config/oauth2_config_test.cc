// Tests for accounts[].oauth2 in config/config.h: each provider, every key, the sources of
// client_secret and refresh_token, each refusal with its exact error line (unknown keys with
// file:line, the auth it needs, custom's token_url), print_config's group and its round trip,
// and the provider table.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/config_schema.h"

namespace rm {
namespace {

using Kind = PasswordSource::Kind;

Config must_parse(const std::string& text) {
  auto r = parse_config(text, "t.conf");
  EXPECT_TRUE(r) << r.error().what;
  return r ? *r : Config{};
}

std::vector<std::string> error_lines(const std::string& text) {
  auto r = parse_config(text, "t.conf");
  EXPECT_FALSE(r) << text;
  if (r) {
    return {};
  }
  EXPECT_EQ(r.error().code, Errc::config);
  std::vector<std::string> lines;
  for (size_t start = 0; start <= r.error().what.size();) {
    size_t nl = r.error().what.find('\n', start);
    nl = nl == std::string::npos ? r.error().what.size() : nl;
    lines.push_back(r.error().what.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// An account with `auth` whose oauth2 group holds `body`: the group opens on line 3.
std::string account(const std::string& body, const std::string& auth = "xoauth2") {
  return "accounts = ( { name = \"a\"; host = \"smtp.example.com\"; user = \"me@example.com\";\n"
         "  auth = \"" +
         auth + "\";\n  oauth2 = {\n" + body + "\n  };\n} );\n";
}

constexpr char kGoogle[] =
    "provider = \"google\"; client_id = \"id.apps\";\n"
    "refresh_token = { keyring = true; };";

struct ValidCase {
  const char* name;
  std::string text;
  OAuth2Config want;
};

TEST(OAuth2Config, Valid) {
  const ValidCase kCases[] = {
      {.name = "google: its token URL, a public client",
       .text = account(kGoogle),
       .want = {.provider = OAuth2Provider::google,
                .token_url = "https://oauth2.googleapis.com/token",
                .client_id = "id.apps",
                .refresh_token = {Kind::keyring, ""},
                .authorize_url = "https://accounts.google.com/o/oauth2/v2/auth",
                .scope = "https://mail.google.com/"}},
      {.name = "microsoft with oauthbearer, a client secret from a file",
       .text = account("provider = \"microsoft\"; client_id = \"c1\";\n"
                       "client_secret = { file = \"/etc/rm/secret\"; };\n"
                       "refresh_token = { file = \"/var/lib/rm/rt\"; };",
                       "oauthbearer"),
       .want = {.provider = OAuth2Provider::microsoft,
                .token_url = "https://login.microsoftonline.com/common/oauth2/v2.0/token",
                .client_id = "c1",
                .client_secret = {Kind::file, "/etc/rm/secret"},
                .refresh_token = {Kind::file, "/var/lib/rm/rt"},
                .device_url = "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
                .authorize_url = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
                .scope = "https://outlook.office.com/SMTP.Send offline_access"}},
      {.name = "custom, every key, the other sources",
       .text = account("provider = \"custom\"; token_url = \"https://idp.example/token?x=1\";\n"
                       "client_id = \"c\"; client_secret = { env = \"CS\"; };\n"
                       "refresh_token = { credential = \"rt\"; }; tls_ca_file = \"/ca.pem\";"),
       .want = {.provider = OAuth2Provider::custom,
                .token_url = "https://idp.example/token?x=1",
                .client_id = "c",
                .client_secret = {Kind::env, "CS"},
                .refresh_token = {Kind::credential, "rt"},
                .tls_ca_file = "/ca.pem"}},
      {.name = "custom with both authorization flows and a scope",
       .text = account("token_url = \"https://idp.example/token\"; client_id = \"c\";\n"
                       "refresh_token = { file = \"/rt\"; };\n"
                       "device_url = \"https://idp.example/device\";\n"
                       "authorize_url = \"https://idp.example/authorize\";\n"
                       "scope = \"smtp offline_access\";"),
       .want = {.provider = OAuth2Provider::custom,
                .token_url = "https://idp.example/token",
                .client_id = "c",
                .refresh_token = {Kind::file, "/rt"},
                .device_url = "https://idp.example/device",
                .authorize_url = "https://idp.example/authorize",
                .scope = "smtp offline_access"}},
      {.name = "custom is the default provider; HTTPS in any case",
       .text = account("token_url = \"HTTPS://idp.example/t\"; client_id = \"c\";\n"
                       "refresh_token = { command = \"pass show rt\"; };"),
       .want = {.provider = OAuth2Provider::custom,
                .token_url = "HTTPS://idp.example/t",
                .client_id = "c",
                .refresh_token = {Kind::command, "pass show rt"}}},
  };
  for (const ValidCase& c : kCases) {
    SCOPED_TRACE(c.name);
    Config cfg = must_parse(c.text);
    ASSERT_EQ(cfg.accounts.size(), 1u);
    ASSERT_TRUE(cfg.accounts[0].oauth2);
    EXPECT_EQ(*cfg.accounts[0].oauth2, c.want);
    EXPECT_EQ(cfg.accounts[0].password.kind, Kind::none);
    // The round trip: printed and read back, the same config.
    std::string printed = print_config(cfg);
    auto back = parse_config(printed, "t.conf");
    ASSERT_TRUE(back) << back.error().what << "\n" << printed;
    EXPECT_EQ(*back, cfg) << printed;
  }
}

// Without oauth2, xoauth2 and oauthbearer take `password` as the token, as before.
TEST(OAuth2Config, BearerWithoutOAuth2KeepsThePasswordAsTheToken) {
  Config c = must_parse(
      "accounts = ( { host = \"h\"; user = \"u\"; auth = \"xoauth2\";\n"
      "  password = { file = \"/token\"; }; } );");
  EXPECT_FALSE(c.accounts[0].oauth2);
  EXPECT_EQ(c.accounts[0].password, (PasswordSource{Kind::file, "/token"}));
  EXPECT_EQ(print_config(c).find("oauth2 ="), std::string::npos);
}

TEST(OAuth2Config, PrintedGroup) {
  std::string printed = print_config(must_parse(account(kGoogle)));
  EXPECT_NE(printed.find("    oauth2 = {\n"
                         "      provider = \"google\";\n"
                         "      client_id = \"id.apps\";\n"
                         "      refresh_token = { keyring = true; };\n"
                         "      tls_ca_file = \"\";\n"
                         "    };\n"),
            std::string::npos)
      << printed;
  printed = print_config(
      must_parse(account("token_url = \"https://i/t\"; client_id = \"c\";\n"
                         "client_secret = { env = \"S\"; }; refresh_token = { env = \"R\"; };")));
  EXPECT_NE(printed.find("      token_url = \"https://i/t\";\n"
                         "      client_id = \"c\";\n"
                         "      client_secret = { env = \"S\"; };\n"
                         "      refresh_token = { env = \"R\"; };\n"),
            std::string::npos)
      << printed;
  printed = print_config(
      must_parse(account("token_url = \"https://i/t\"; client_id = \"c\";\n"
                         "refresh_token = { env = \"R\"; }; device_url = \"https://i/d\";")));
  EXPECT_NE(printed.find("      tls_ca_file = \"\";\n"
                         "      device_url = \"https://i/d\";\n"
                         "    };\n"),
            std::string::npos)
      << printed;
}

struct ErrCase {
  const char* name;
  std::string text;
  std::vector<std::string> want;  // each the start of one error line, in order
};

TEST(OAuth2Config, Refusals) {
  const ErrCase kCases[] = {
      {.name = "unknown key, with its line",
       .text = account("provider = \"google\"; client_id = \"c\";\n"
                       "refresh_token = { keyring = true; };\ntoken_uri = \"x\";"),
       .want = {"t.conf:6: unknown setting 'accounts[0].oauth2.token_uri'"}},
      {.name = "unknown key in a source",
       .text = account(std::string(kGoogle) + "\nclient_secret = { path = \"/s\"; };"),
       .want = {"t.conf:6: unknown setting 'accounts[0].oauth2.client_secret.path'",
                "t.conf:6: accounts[0].oauth2.client_secret: no source"}},
      {.name = "a mechanism that takes a password",
       .text = account(kGoogle, "plain"),
       .want = {"t.conf:3: accounts[0].oauth2: only for auth = \"xoauth2\" or \"oauthbearer\", "
                "not \"plain\""}},
      {.name = "auto is not enough either",
       .text = account(kGoogle, "auto"),
       .want = {"t.conf:3: accounts[0].oauth2: only for auth = \"xoauth2\" or \"oauthbearer\", "
                "not \"auto\""}},
      {.name = "a password beside it",
       .text = "accounts = ( { host = \"h\"; user = \"u\"; auth = \"xoauth2\";\n"
               "  password = { keyring = true; };\n"
               "  oauth2 = { provider = \"google\"; client_id = \"c\"; refresh_token = { "
               "keyring = true; }; };\n} );",
       .want = {"t.conf:2: accounts[0].password: not used with oauth2 (the access token comes "
                "from oauth2.refresh_token); remove it"}},
      {.name = "not a group",
       .text = "accounts = ( { host = \"h\"; user = \"u\"; auth = \"xoauth2\";\n"
               "  oauth2 = \"google\"; } );",
       .want = {"t.conf:2: accounts[0].oauth2: expected a group"}},
      {.name = "custom without token_url",
       .text = account("client_id = \"c\"; refresh_token = { keyring = true; };"),
       .want = {"t.conf:3: accounts[0].oauth2: token_url is missing; provider = \"custom\" "
                "needs one (or give provider = \"google\" or \"microsoft\")"}},
      {.name = "custom with an empty token_url",
       .text = account("provider = \"custom\";\ntoken_url = \"\"; client_id = \"c\";\n"
                       "refresh_token = { keyring = true; };"),
       .want = {"t.conf:5: accounts[0].oauth2: token_url is missing"}},
      {.name = "a plain-http token_url",
       .text = account("token_url = \"http://idp.example/token\"; client_id = \"c\";\n"
                       "refresh_token = { keyring = true; };"),
       .want = {"t.conf:4: accounts[0].oauth2.token_url: expected an https:// URL without "
                "spaces, not \"http://idp.example/token\""}},
      {.name = "a token_url with a space",
       .text = account("token_url = \"https://idp.example/a b\"; client_id = \"c\";\n"
                       "refresh_token = { keyring = true; };"),
       .want = {"t.conf:4: accounts[0].oauth2.token_url: expected an https:// URL"}},
      {.name = "just the scheme",
       .text = account("token_url = \"https://\"; client_id = \"c\";\n"
                       "refresh_token = { keyring = true; };"),
       .want = {"t.conf:4: accounts[0].oauth2.token_url: expected an https:// URL"}},
      {.name = "token_url with a known provider",
       .text = account("provider = \"microsoft\";\ntoken_url = \"https://x/t\"; client_id = "
                       "\"c\"; refresh_token = { keyring = true; };"),
       .want = {"t.conf:5: accounts[0].oauth2.token_url: provider = \"microsoft\" has its own; "
                "token_url is for \"custom\" only"}},
      {.name = "a known provider's device_url, authorize_url and scope",
       .text = account(std::string(kGoogle) +
                       "\ndevice_url = \"https://x/d\";\nauthorize_url = \"https://x/a\";\n"
                       "scope = \"s\";"),
       .want = {"t.conf:6: accounts[0].oauth2.device_url: provider = \"google\" has its own; "
                "device_url is for \"custom\" only",
                "t.conf:7: accounts[0].oauth2.authorize_url: provider = \"google\" has its own",
                "t.conf:8: accounts[0].oauth2.scope: provider = \"google\" has its own"}},
      {.name = "plain-http device and authorization URLs, a scope with a control character",
       .text = account("token_url = \"https://x/t\"; client_id = \"c\";\n"
                       "refresh_token = { keyring = true; };\n"
                       "device_url = \"http://x/d\";\nauthorize_url = \"https://x/a b\";\n"
                       "scope = \"mail\\tsend\";"),
       .want = {"t.conf:6: accounts[0].oauth2.device_url: expected an https:// URL without "
                "spaces, not \"http://x/d\"",
                "t.conf:7: accounts[0].oauth2.authorize_url: expected an https:// URL",
                "t.conf:8: accounts[0].oauth2.scope: expected scope tokens separated by spaces"}},
      {.name = "unknown provider",
       .text = account("provider = \"yahoo\"; client_id = \"c\"; refresh_token = { keyring = "
                       "true; }; token_url = \"https://x/t\";"),
       .want = {"t.conf:4: accounts[0].oauth2.provider: unknown value \"yahoo\" (google | "
                "microsoft | custom)"}},
      {.name = "no client_id, no refresh_token",
       .text = account("provider = \"google\";"),
       .want = {"t.conf:3: accounts[0].oauth2: client_id is missing or empty",
                "t.conf:3: accounts[0].oauth2: refresh_token is missing; give its source"}},
      {.name = "a refresh token written in the config",
       .text = account("provider = \"google\"; client_id = \"c\";\nrefresh_token = \"1//0g\";"),
       .want = {"t.conf:5: accounts[0].oauth2.refresh_token: expected a source like { file = "
                "\"/path\"; } (or keyring, command, env, credential); secrets are never written "
                "in the config"}},
      {.name = "a client secret with two sources",
       .text = account(std::string(kGoogle) + "\nclient_secret = { env = \"A\"; file = \"/b\"; };"),
       .want = {"t.conf:6: accounts[0].oauth2.client_secret: more than one source (file, env)"}},
      {.name = "relative paths",
       .text = account("provider = \"google\"; client_id = \"c\";\n"
                       "refresh_token = { file = \"rt\"; };\ntls_ca_file = \"ca.pem\";"),
       .want = {"t.conf:5: accounts[0].oauth2.refresh_token.file: must be an absolute path",
                "t.conf:6: accounts[0].oauth2.tls_ca_file: must be an absolute path"}},
  };
  for (const ErrCase& c : kCases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> lines = error_lines(c.text);
    ASSERT_EQ(lines.size(), c.want.size()) << testing::PrintToString(lines);
    for (size_t i = 0; i < lines.size(); ++i) {
      EXPECT_EQ(lines[i].substr(0, c.want[i].size()), c.want[i]);
    }
  }
}

TEST(OAuth2Config, Providers) {
  using config_schema::find_choice;
  using config_schema::key;
  using config_schema::Scope;
  EXPECT_EQ(find_choice(config_schema::oauth2_providers(), key(Scope::oauth2, "provider").def),
            OAuth2Config{}.provider);
  EXPECT_STREQ(oauth2_provider_name(OAuth2Provider::google), "google");
  EXPECT_STREQ(oauth2_provider_name(OAuth2Provider::microsoft), "microsoft");
  EXPECT_STREQ(oauth2_provider_name(OAuth2Provider::custom), "custom");
  EXPECT_EQ(oauth2_endpoints(OAuth2Provider::custom), nullptr);
  for (OAuth2Provider p : {OAuth2Provider::google, OAuth2Provider::microsoft}) {
    SCOPED_TRACE(oauth2_provider_name(p));
    const OAuth2Endpoints* e = oauth2_endpoints(p);
    ASSERT_NE(e, nullptr);
    for (const char* url : {e->token_url, e->authorization_url}) {
      EXPECT_EQ(std::string(url).rfind("https://", 0), 0u) << url;
    }
    EXPECT_NE(std::string(e->scope), "");
  }
  EXPECT_NE(std::string(oauth2_endpoints(OAuth2Provider::microsoft)->scope).find("offline_access"),
            std::string::npos);
  EXPECT_STREQ(config_schema::scope_prefix(Scope::oauth2), "accounts[].oauth2.");
}

}  // namespace
}  // namespace rm
