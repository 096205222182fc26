// Tests for relay/connector.h with OAuth2 accounts, against the fake smarthost speaking XOAUTH2
// and OAUTHBEARER over STARTTLS (support/fake_smtp_server.h: a wrong token gets the Gmail-style
// 334 JSON challenge, then 535) and a scripted TokenSource: where the token comes from, the one
// retry with a new token after a cached one is refused, no retry for a fresh one, the errors
// that end the attempt, tokens longer than an SMTP command line, and the password still being
// the token for bearer accounts without oauth2.
#include "relay/connector.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <deque>
#include <string>
#include <vector>

#include "relay/credentials.h"
#include "support/fake_smtp_server.h"
#include "support/temp_dir.h"
#include "support/test_pki.h"

namespace rm {
namespace {

using test::FakeSmtpServer;

constexpr char kUser[] = "me@example.com";

// Hands out scripted answers in order and records what it was asked.
class ScriptedTokens final : public TokenSource {
 public:
  struct Answer {
    std::string token;  // "" with `error` set: fail
    bool refreshed = false;
    std::optional<Error> error = std::nullopt;
  };
  Result<AccessToken> access_token(const TokenQuery& q, const SecretString* refused) override {
    queries.push_back(q);
    refusals.push_back(refused != nullptr ? std::string(refused->view()) : "");
    if (answers.empty()) {
      return make_error(Errc::secret_unavailable, "no more scripted tokens");
    }
    Answer a = answers.front();
    answers.pop_front();
    if (a.error) {
      return *a.error;
    }
    return AccessToken{SecretString(a.token), a.refreshed};
  }
  std::deque<Answer> answers;
  std::vector<TokenQuery> queries;
  std::vector<std::string> refusals;  // "" when none was passed
};

class ConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = test::generate_test_pki(tmp_.path());
    ASSERT_TRUE(pki) << pki.error().what;
    pki_ = *pki;
  }

  // A smarthost that accepts `token` with `mechanism` only.
  void start_server(const std::string& token, const std::string& mechanism = "XOAUTH2") {
    test::FakeSmtpOptions o;
    o.tls = test::FakeTls::starttls;
    o.cert_file = pki_.good.cert;
    o.key_file = pki_.good.key;
    o.user = kUser;
    o.password = token;
    o.auth_mechanisms = {mechanism};
    o.max_line = 12288;  // RFC 4954 §4: an AUTH line may be that long
    server_ = std::make_unique<FakeSmtpServer>(o);
    ASSERT_TRUE(server_->start());
  }

  Account account(AuthMethod auth = AuthMethod::xoauth2) const {
    Account a;
    a.name = "gmail";
    a.host = "localhost";
    a.port = server_->port();
    a.tls_ca_file = pki_.ca_file;
    a.auth = auth;
    a.user = kUser;
    a.timeout = std::chrono::seconds(10);
    a.oauth2 = OAuth2Config{.provider = OAuth2Provider::custom,
                            .token_url = "https://idp.test/token",
                            .client_id = "cid",
                            .refresh_token = {PasswordSource::Kind::keyring, ""}};
    return a;
  }

  // The AUTH replies the server sent, in order: "235", "334", "535", ...
  std::vector<std::string> auth_replies() const {
    std::vector<std::string> out;
    bool in_auth = false;
    for (const auto& t : server_->transcript()) {
      if (t.dir == test::TranscriptEntry::Dir::client) {
        in_auth = t.text.rfind("AUTH ", 0) == 0 ||
                  (in_auth && t.text.rfind("MAIL", 0) != 0 && t.text.rfind("QUIT", 0) != 0);
      } else if (t.dir == test::TranscriptEntry::Dir::server && in_auth) {
        out.push_back(t.text.substr(0, 3));
      }
    }
    return out;
  }

  test::TempDir tmp_ = test::TempDir::create_or_die("relaymail-connector");
  test::TestPki pki_;
  std::unique_ptr<FakeSmtpServer> server_;
  ScriptedTokens tokens_;
};

struct RetryCase {
  const char* name;
  std::vector<ScriptedTokens::Answer> answers;
  bool connects;
  std::optional<Errc> error = std::nullopt;  // when it does not
  size_t asks = 0;                           // access_token() calls
  std::vector<std::string> auth = {};        // the server's AUTH replies
};

TEST_F(ConnectorTest, TheTokenComesFromTheSourceAndAStaleOneIsReplacedOnce) {
  const Error revoked = make_error(Errc::grant_refused,
                                   "account gmail: refused; run: relaymail "
                                   "oauth2 authorize gmail");
  const RetryCase kCases[] = {
      {.name = "a cached token that works",
       .answers = {{"good"}},
       .connects = true,
       .asks = 1,
       .auth = {"235"}},
      {.name = "a fresh token that works",
       .answers = {{"good", true}},
       .connects = true,
       .asks = 1,
       .auth = {"235"}},
      {.name = "a stale cached token: 334, 535, then a new one works",
       .answers = {{"stale"}, {"good", true}},
       .connects = true,
       .asks = 2,
       .auth = {"334", "535", "235"}},
      {.name = "a fresh token refused: no second refresh",
       .answers = {{"bad", true}, {"good", true}},
       .connects = false,
       .error = Errc::auth,
       .asks = 1,
       .auth = {"334", "535"}},
      {.name = "the new token refused too: the smarthost's last word",
       .answers = {{"stale"}, {"bad", true}},
       .connects = false,
       .error = Errc::auth,
       .asks = 2,
       .auth = {"334", "535", "334", "535"}},
      {.name = "the refresh after a refusal is refused",
       .answers = {{"stale"}, {"", false, revoked}},
       .connects = false,
       .error = Errc::grant_refused,
       .asks = 2,
       .auth = {"334", "535"}},
      {.name = "no token at all: no connection",
       .answers = {{"", false, revoked}},
       .connects = false,
       .error = Errc::grant_refused,
       .asks = 1,
       .auth = {}},
  };
  for (const RetryCase& c : kCases) {
    SCOPED_TRACE(c.name);
    start_server("good");
    tokens_ = ScriptedTokens();
    tokens_.answers.assign(c.answers.begin(), c.answers.end());
    NetConnector connector("client.test", {}, nullptr, &tokens_);
    auto client = connector.connect(account());
    EXPECT_EQ(static_cast<bool>(client), c.connects) << (client ? "" : client.error().what);
    if (client) {
      EXPECT_EQ((*client)->auth_mechanism(), "XOAUTH2");
      (*client)->quit();
    } else {
      EXPECT_EQ(client.error().code, *c.error) << client.error().what;
    }
    EXPECT_EQ(tokens_.queries.size(), c.asks);
    EXPECT_EQ(auth_replies(), c.auth);
    if (c.asks == 2) {
      EXPECT_EQ(tokens_.refusals, (std::vector<std::string>{"", c.answers[0].token}));
    }
    server_->stop();
  }
}

TEST_F(ConnectorTest, TheQueryCarriesTheAccountsOAuth2Settings) {
  start_server("good", "OAUTHBEARER");
  tokens_.answers = {{"good"}};
  NetConnector connector("client.test", {}, nullptr, &tokens_);
  Account a = account(AuthMethod::oauthbearer);
  a.oauth2->client_secret = {PasswordSource::Kind::file, "/etc/rm/secret"};
  a.oauth2->tls_ca_file = "/etc/rm/idp-ca.pem";
  auto client = connector.connect(a);
  ASSERT_TRUE(client) << client.error().what;
  EXPECT_EQ((*client)->auth_mechanism(), "OAUTHBEARER");
  (*client)->quit();
  ASSERT_EQ(tokens_.queries.size(), 1u);
  const TokenQuery& q = tokens_.queries[0];
  EXPECT_EQ(q.account, "gmail");
  EXPECT_EQ(q.token_url, "https://idp.test/token");
  EXPECT_EQ(q.client_id, "cid");
  EXPECT_EQ(q.client_secret.kind, SecretRef::Kind::file);
  EXPECT_EQ(q.client_secret.value, "/etc/rm/secret");
  EXPECT_EQ(q.client_secret.service, kClientSecretService);
  EXPECT_EQ(q.refresh_token.kind, SecretRef::Kind::keyring);
  EXPECT_EQ(q.refresh_token.service, kRefreshTokenService);
  EXPECT_EQ(q.refresh_token.host, "localhost");
  EXPECT_EQ(q.refresh_token.user, kUser);
  EXPECT_EQ(q.tls_ca_file, "/etc/rm/idp-ca.pem");
  EXPECT_EQ(q.timeout, std::chrono::seconds(10));
}

// Tokens of 2 KB and more make an AUTH line longer than 512 octets: the initial response goes
// after the server's empty 334 (RFC 4954 §4), whole.
TEST_F(ConnectorTest, LongTokensGoWhole) {
  for (size_t n : {size_t{2048}, size_t{4096}}) {
    SCOPED_TRACE(n);
    const std::string token = "ya29." + std::string(n, 't');
    start_server(token);
    tokens_ = ScriptedTokens();
    tokens_.answers = {{token}};
    NetConnector connector("client.test", {}, nullptr, &tokens_);
    auto client = connector.connect(account());
    ASSERT_TRUE(client) << client.error().what;
    (*client)->quit();
    EXPECT_EQ(auth_replies(), (std::vector<std::string>{"334", "235"}));
    server_->stop();
  }
}

TEST_F(ConnectorTest, WithoutATokenSourceAnOAuth2AccountCannotLogIn) {
  start_server("good");
  NetConnector connector("client.test");
  auto client = connector.connect(account());
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, Errc::secret_unavailable);
  EXPECT_EQ(client.error().what,
            "account gmail: OAuth2 access tokens are not available in this program");
  EXPECT_EQ(server_->connection_count(), 0);
}

// Without oauth2, xoauth2 takes the password as the token, as before; the source is not asked.
TEST_F(ConnectorTest, WithoutOAuth2ThePasswordIsTheToken) {
  start_server("token-in-a-file");
  const std::string path = tmp_.file("token");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_EQ(::write(fd, "token-in-a-file\n", 16), 16);
  ::close(fd);
  Account a = account();
  a.oauth2.reset();
  a.password = {PasswordSource::Kind::file, path};
  NetConnector connector("client.test", {}, nullptr, &tokens_);
  auto client = connector.connect(a);
  ASSERT_TRUE(client) << client.error().what;
  (*client)->quit();
  EXPECT_TRUE(tokens_.queries.empty());
}

}  // namespace
}  // namespace rm
