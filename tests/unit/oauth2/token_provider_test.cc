// Tests for oauth2/token_provider.h against the fake token endpoint over real HTTPS on loopback
// (support/fake_token_endpoint.h, certificates from the test PKI): the request it posts, the
// cache and the refresh margin on an injected clock, a refused token replaced, rotated refresh
// tokens written back (file, keyring) or kept in memory with one warning (env), each failure of
// the endpoint and of TLS as the Error a delivery defers with, and secrets never in a text.
#include "oauth2/token_provider.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/fake_token_endpoint.h"
#include "support/temp_dir.h"
#include "support/test_clock.h"
#include "support/test_pki.h"

namespace rm {
namespace {

using test::FakeTokenEndpoint;
using test::TokenReply;

constexpr int64_t kNow = 1800000000;

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_secret_file(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
}

// The keyring as a map; what was stored is kept for the test to read.
class MapStore final : public SecretStore {
 public:
  const char* backend() const override { return "keyring (test)"; }
  Result<SecretString> lookup(const SecretQuery& q) override {
    auto it = entries.find(q.service + "/" + q.host + "/" + q.user);
    if (it == entries.end()) {
      return make_error(Errc::secret_unavailable, "keyring (test): no such entry");
    }
    return SecretString(it->second);
  }
  Status store(const SecretQuery& q, const std::string& label, const SecretString& s) override {
    if (refuse_store) {
      return make_error(Errc::secret_unavailable, "keyring (test): locked");
    }
    entries[q.service + "/" + q.host + "/" + q.user] = std::string(s.view());
    labels.push_back(label);
    return {};
  }
  Result<bool> clear(const SecretQuery&) override { return false; }
  std::map<std::string, std::string> entries;
  std::vector<std::string> labels;
  bool refuse_store = false;
};

class TokenProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = test::generate_test_pki(tmp_.path());
    ASSERT_TRUE(pki) << pki.error().what;
    pki_ = *pki;
    endpoint_ = std::make_unique<FakeTokenEndpoint>(pki_.good.cert, pki_.good.key);
    ASSERT_TRUE(endpoint_->start());
    write_secret_file(rt_file_, "rt-1\n");
  }

  TokenQuery query() const {
    TokenQuery q;
    q.account = "gmail";
    q.token_url = endpoint_->url();
    q.client_id = "id.apps";
    q.refresh_token = {.kind = SecretRef::Kind::file, .value = rt_file_, .account = "gmail"};
    q.tls_ca_file = pki_.ca_file;
    q.timeout = std::chrono::seconds(10);
    return q;
  }

  TokenProvider& provider() {
    if (!provider_) {
      provider_ = std::make_unique<TokenProvider>(
          cache_dir_, clock_, &keyring_, [this](const std::string& w) { warnings_.push_back(w); });
    }
    return *provider_;
  }

  // The token, or "" after ADD_FAILURE.
  std::string token(const TokenQuery& q, const SecretString* refused = nullptr,
                    bool* refreshed = nullptr) {
    auto t = provider().access_token(q, refused);
    if (!t) {
      ADD_FAILURE() << t.error().what;
      return "";
    }
    if (refreshed != nullptr) {
      *refreshed = t->refreshed;
    }
    return std::string(t->token.view());
  }

  test::TempDir tmp_ = test::TempDir::create_or_die("relaymail-token-provider");
  test::TestPki pki_;
  std::unique_ptr<FakeTokenEndpoint> endpoint_;
  std::string rt_file_ = tmp_.file("refresh-token");
  std::string cache_dir_ = tmp_.file("spool/oauth2");
  test::TestClock clock_{kNow};
  MapStore keyring_;
  std::vector<std::string> warnings_;
  std::unique_ptr<TokenProvider> provider_;
};

TEST_F(TokenProviderTest, PostsTheRefreshGrantThenServesTheCache) {
  endpoint_->script({FakeTokenEndpoint::grant("at-1", 3600)});
  bool refreshed = false;
  EXPECT_EQ(token(query(), nullptr, &refreshed), "at-1");
  EXPECT_TRUE(refreshed);
  auto seen = endpoint_->requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/token");
  EXPECT_EQ(seen[0].content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(seen[0].form, (std::map<std::string, std::string>{{"grant_type", "refresh_token"},
                                                              {"refresh_token", "rt-1"},
                                                              {"client_id", "id.apps"}}));
  EXPECT_EQ(token(query(), nullptr, &refreshed), "at-1");
  EXPECT_FALSE(refreshed);
  EXPECT_EQ(endpoint_->requests().size(), 1u);
  // The next process finds it too.
  provider_.reset();
  EXPECT_EQ(token(query()), "at-1");
  EXPECT_EQ(endpoint_->requests().size(), 1u);
  EXPECT_TRUE(warnings_.empty());
}

// Every value percent-encoded, so that what the server decodes is exactly what was configured.
TEST_F(TokenProviderTest, TheFormIsEncodedForTheServerToDecodeExactly) {
  write_secret_file(rt_file_, "a+b/c=d&e f%\n");
  write_secret_file(tmp_.file("client-secret"), "p%q&r\n");
  TokenQuery q = query();
  q.client_id = "x y&z";
  q.client_secret = {.kind = SecretRef::Kind::file, .value = tmp_.file("client-secret")};
  endpoint_->script({FakeTokenEndpoint::grant("at-1", 3600)});
  EXPECT_EQ(token(q), "at-1");
  auto seen = endpoint_->requests().at(0);
  EXPECT_EQ(seen.body,
            "grant_type=refresh_token&refresh_token=a%2Bb%2Fc%3Dd%26e%20f%25&client_id=x%20y%26z"
            "&client_secret=p%25q%26r");
  EXPECT_EQ(seen.form["refresh_token"], "a+b/c=d&e f%");
  EXPECT_EQ(seen.form["client_id"], "x y&z");
  EXPECT_EQ(seen.form["client_secret"], "p%q&r");
}

TEST_F(TokenProviderTest, AConfidentialClientSendsItsSecret) {
  write_secret_file(tmp_.file("client-secret"), "cs-1\n");
  TokenQuery q = query();
  q.client_secret = {.kind = SecretRef::Kind::file, .value = tmp_.file("client-secret")};
  endpoint_->script({FakeTokenEndpoint::grant("at-1", 3600)});
  EXPECT_EQ(token(q), "at-1");
  EXPECT_EQ(endpoint_->requests().at(0).form["client_secret"], "cs-1");
}

// Refreshed once fewer than kRefreshMargin seconds are left, never earlier.
TEST_F(TokenProviderTest, RefreshedBeforeItExpires) {
  struct Case {
    int64_t expires_in;
    int64_t later;  // seconds after the first token was issued
    bool refreshed;
  } const kCases[] = {
      {3600, 0, false}, {3600, 3539, false}, {3600, 3540, true}, {3600, 7200, true},
      {61, 0, false},   {60, 0, true},       {5, 0, true},  // a token shorter than the margin is
                                                            // never served from the cache
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(testing::Message() << c.expires_in << "s token, " << c.later << "s later");
    ASSERT_TRUE(TokenCache(cache_dir_).drop("gmail"));
    clock_.now = kNow;
    endpoint_->script({FakeTokenEndpoint::grant("first", c.expires_in),
                       FakeTokenEndpoint::grant("second", 3600)});
    EXPECT_EQ(token(query()), "first");
    clock_.advance(c.later);
    bool refreshed = false;
    EXPECT_EQ(token(query(), nullptr, &refreshed), c.refreshed ? "second" : "first");
    EXPECT_EQ(refreshed, c.refreshed);
  }
}

TEST_F(TokenProviderTest, ARefusedTokenIsNeverHandedOutAgain) {
  endpoint_->script(
      {FakeTokenEndpoint::grant("at-1", 3600), FakeTokenEndpoint::grant("at-2", 3600)});
  EXPECT_EQ(token(query()), "at-1");
  SecretString refused("at-1");
  bool refreshed = false;
  EXPECT_EQ(token(query(), &refused, &refreshed), "at-2");
  EXPECT_TRUE(refreshed);
  // Another worker's refusal of the old token finds the new one already cached.
  EXPECT_EQ(token(query(), &refused, &refreshed), "at-2");
  EXPECT_FALSE(refreshed);
  EXPECT_EQ(endpoint_->requests().size(), 2u);
}

TEST_F(TokenProviderTest, LongTokensPassWhole) {
  const std::string rt = "1//" + std::string(3000, 'r');
  const std::string at = "ya29." + std::string(4000, 'a');
  write_secret_file(rt_file_, rt + "\n");
  endpoint_->script({FakeTokenEndpoint::grant(at, 3600)});
  EXPECT_EQ(token(query()), at);
  EXPECT_EQ(endpoint_->requests().at(0).form["refresh_token"], rt);
  provider_.reset();
  EXPECT_EQ(token(query()), at);  // from the cache file, whole
}

TEST_F(TokenProviderTest, ARotatedRefreshTokenReplacesTheFileAtOnce) {
  endpoint_->accept_only("rt-1");
  endpoint_->script(
      {FakeTokenEndpoint::grant("at-1", 3600, "rt-2"), FakeTokenEndpoint::grant("at-2", 3600)});
  EXPECT_EQ(token(query()), "at-1");
  EXPECT_EQ(read_all(rt_file_), "rt-2\n");
  struct stat st {};
  ASSERT_EQ(::stat(rt_file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, ::geteuid());
  SecretString refused("at-1");
  EXPECT_EQ(token(query(), &refused), "at-2");  // the old refresh token would be refused now
  EXPECT_EQ(endpoint_->requests().at(1).form["refresh_token"], "rt-2");
  EXPECT_TRUE(warnings_.empty()) << warnings_.front();
}

TEST_F(TokenProviderTest, ARotatedRefreshTokenReplacesTheKeyringEntry) {
  TokenQuery q = query();
  q.refresh_token = {.kind = SecretRef::Kind::keyring,
                     .account = "gmail",
                     .service = "oauth2-refresh-token",
                     .host = "smtp.gmail.com",
                     .user = "me@gmail.com"};
  keyring_.entries["oauth2-refresh-token/smtp.gmail.com/me@gmail.com"] = "rt-1";
  endpoint_->accept_only("rt-1");
  endpoint_->script({FakeTokenEndpoint::grant("at-1", 3600, "rt-2")});
  EXPECT_EQ(token(q), "at-1");
  EXPECT_EQ(keyring_.entries["oauth2-refresh-token/smtp.gmail.com/me@gmail.com"], "rt-2");
  ASSERT_EQ(keyring_.labels.size(), 1u);
  EXPECT_EQ(keyring_.labels[0], "relaymail OAuth2 refresh token for gmail");
}

TEST_F(TokenProviderTest, ARotationThatCannotBeSavedWarnsOnceAndLivesInMemory) {
  ASSERT_EQ(::setenv("RM_TEST_REFRESH_TOKEN", "rt-1", 1), 0);
  TokenQuery q = query();
  q.refresh_token = {
      .kind = SecretRef::Kind::env, .value = "RM_TEST_REFRESH_TOKEN", .account = "gmail"};
  endpoint_->accept_only("rt-1");
  endpoint_->script({FakeTokenEndpoint::grant("at-1", 3600, "rt-2"),
                     FakeTokenEndpoint::grant("at-2", 3600),
                     FakeTokenEndpoint::grant("at-3", 3600)});
  EXPECT_EQ(token(q), "at-1");
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_EQ(
      warnings_[0],
      "account gmail: the token endpoint issued a new refresh token, which cannot be saved "
      "(oauth2.refresh_token is read from an environment variable) and is used only until this "
      "process ends; to keep rotated tokens, make it { file = \"/path\"; } or { keyring = true; "
      "} and run: relaymail oauth2 authorize gmail");
  SecretString refused("at-1");
  EXPECT_EQ(token(q, &refused), "at-2");  // with rt-2, from memory
  EXPECT_EQ(endpoint_->requests().at(1).form["refresh_token"], "rt-2");
  EXPECT_EQ(warnings_.size(), 1u);  // once
  // When the one in memory dies, the source's is tried again (authorized anew, say).
  endpoint_->accept_only("rt-1");
  SecretString refused2("at-2");
  auto dead = provider().access_token(q, &refused2);
  ASSERT_FALSE(dead);
  EXPECT_EQ(dead.error().code, Errc::grant_refused);
  EXPECT_EQ(token(q), "at-3");
  EXPECT_EQ(endpoint_->requests().back().form["refresh_token"], "rt-1");
  ASSERT_EQ(::unsetenv("RM_TEST_REFRESH_TOKEN"), 0);
}

TEST_F(TokenProviderTest, ARotationWhoseWriteFailsWarnsAndLivesInMemory) {
  TokenQuery q = query();
  q.refresh_token = {.kind = SecretRef::Kind::keyring, .account = "gmail", .host = "h"};
  keyring_.entries["smtp/h/"] = "rt-1";
  keyring_.refuse_store = true;
  endpoint_->accept_only("rt-1");
  endpoint_->script({FakeTokenEndpoint::grant("at-1", 3600, "rt-2"),
                     FakeTokenEndpoint::grant("at-2", 3600, "rt-3")});
  EXPECT_EQ(token(q), "at-1");
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_EQ(warnings_[0],
            "account gmail: saving the new refresh token failed: keyring (test): locked; it is "
            "used only until this process ends");
  EXPECT_EQ(keyring_.entries["smtp/h/"], "rt-1");
  SecretString refused("at-1");
  EXPECT_EQ(token(q, &refused), "at-2");  // with rt-2, from memory
  EXPECT_EQ(warnings_.size(), 1u);
}

struct FailureCase {
  const char* name;
  TokenReply reply;
  Errc code;
  std::string says;
};

TEST_F(TokenProviderTest, EndpointFailuresBecomeErrorsThatSayWhy) {
  const FailureCase kCases[] = {
      {.name = "invalid_grant",
       .reply =
           FakeTokenEndpoint::error(400, "invalid_grant", "Token has been expired or revoked."),
       .code = Errc::grant_refused,
       .says = "account gmail: the token endpoint refused the refresh token (invalid_grant: Token "
               "has been expired or revoked.); to authorize again, run: relaymail oauth2 "
               "authorize gmail"},
      {.name = "invalid_client",
       .reply = FakeTokenEndpoint::error(401, "invalid_client", "Unauthorized"),
       .code = Errc::config,
       .says = "account gmail: the token endpoint refused the request (invalid_client: "
               "Unauthorized)"},
      {.name = "500",
       .reply = TokenReply{.status = 500, .body = "oops"},
       .code = Errc::secret_unavailable,
       .says = "account gmail: the token endpoint answered HTTP 500"},
      {.name = "garbage JSON",
       .reply = TokenReply{.status = 200, .body = "{\"access_token\": \"at"},
       .code = Errc::secret_unavailable,
       .says = "account gmail: the token endpoint's answer is not a JSON object"},
      {.name = "a huge body",
       .reply = TokenReply{.status = 200, .body = std::string(size_t{300} * 1024, ' ')},
       .code = Errc::io,
       .says = "account gmail: token request: post " + endpoint_->url() +
               ": the answer is larger than 65536 octets"},
      {.name = "a stall",
       .reply = TokenReply{.action = TokenReply::Action::stall},
       .code = Errc::timeout,
       .says = "account gmail: token request: post " + endpoint_->url() + ": "},
  };
  for (const FailureCase& c : kCases) {
    SCOPED_TRACE(c.name);
    endpoint_->script({c.reply});
    TokenQuery q = query();
    q.timeout = std::chrono::seconds(1);
    auto t = provider().access_token(q, nullptr);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, c.code) << t.error().what;
    EXPECT_EQ(t.error().what.substr(0, c.says.size()), c.says);
    EXPECT_EQ(t.error().what.find("rt-1"), std::string::npos);
    EXPECT_EQ(t.error().what.find('\n'), std::string::npos);
    EXPECT_FALSE(TokenCache(cache_dir_).load("gmail").value());  // nothing cached
  }
}

TEST_F(TokenProviderTest, TlsIsAlwaysVerifiedAndOnlyHttpsSpoken) {
  FakeTokenEndpoint wrong_host(pki_.wrong_host.cert, pki_.wrong_host.key);
  ASSERT_TRUE(wrong_host.start());
  struct Case {
    const char* name;
    std::string url;
    std::string ca;
    Errc code;
  } const kCases[] = {
      {"a certificate from a CA the system does not trust", endpoint_->url(), "", Errc::tls_verify},
      {"a certificate for another name", wrong_host.url(), pki_.ca_file, Errc::tls_verify},
      {"plain http", "http://localhost:" + std::to_string(endpoint_->port()) + "/token",
       pki_.ca_file, Errc::config},
      {"a CA file that is not there", endpoint_->url(), tmp_.file("no-ca.pem"), Errc::config},
  };
  endpoint_->script({FakeTokenEndpoint::grant("at-1", 3600)});
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    TokenQuery q = query();
    q.token_url = c.url;
    q.tls_ca_file = c.ca;
    auto t = provider().access_token(q, nullptr);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, c.code) << t.error().what;
    EXPECT_NE(t.error().what.find("account gmail: token request: post "), std::string::npos)
        << t.error().what;
  }
  EXPECT_TRUE(endpoint_->requests().empty());
  EXPECT_TRUE(wrong_host.requests().empty());
  endpoint_->stop();
  auto refused = provider().access_token(query(), nullptr);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::connect) << refused.error().what;
}

TEST_F(TokenProviderTest, RefreshTokenSourceProblems) {
  write_secret_file(rt_file_, "\n");
  auto empty = provider().access_token(query(), nullptr);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Errc::grant_refused);
  EXPECT_EQ(empty.error().what,
            "account gmail: oauth2.refresh_token: empty; to authorize, run: relaymail oauth2 "
            "authorize gmail");
  ASSERT_EQ(::unlink(rt_file_.c_str()), 0);
  auto missing = provider().access_token(query(), nullptr);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::secret_unavailable);
  EXPECT_EQ(missing.error().what.rfind("account gmail: oauth2.refresh_token: open ", 0), 0u)
      << missing.error().what;
  EXPECT_TRUE(endpoint_->requests().empty());
}

TEST_F(TokenProviderTest, AForeignCacheDirectoryIsRefusedBeforeAnyRequest) {
  ASSERT_EQ(::mkdir(tmp_.file("spool").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir(cache_dir_.c_str(), 0777), 0);
  ASSERT_EQ(::chmod(cache_dir_.c_str(), 0777), 0);
  endpoint_->script({FakeTokenEndpoint::grant("at-1", 3600)});
  auto t = provider().access_token(query(), nullptr);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::untrusted);
  EXPECT_EQ(t.error().what.rfind("account gmail: oauth2 token cache: " + cache_dir_, 0), 0u)
      << t.error().what;
  EXPECT_TRUE(endpoint_->requests().empty());
}

}  // namespace
}  // namespace rm
