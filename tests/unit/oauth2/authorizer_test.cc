// Tests for oauth2/authorizer.h against the fake authorization server over real HTTPS on
// loopback (support/fake_token_endpoint.h, certificates from the test PKI). The device flow:
// the requests it posts, what it tells the user, and sequences of pending, slow_down, denial and
// expiry on a sleeper that only records its waits. The browser flow: the test reads the URL it
// says, acts as the browser (a GET of the redirect URI with the code and state), and the
// endpoint checks the PKCE verifier against the challenge in that URL.
#include "oauth2/authorizer.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <future>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oauth2/url_query.h"
#include "support/fake_token_endpoint.h"
#include "support/temp_dir.h"
#include "support/test_pki.h"
#include "sys/unique_fd.h"

namespace rm {
namespace {

using std::chrono::seconds;
using test::FakeTokenEndpoint;
using test::TokenReply;

class RecordingSleeper final : public Sleeper {
 public:
  MonoTime now() const override { return now_; }
  void sleep_for(Millis d) override {
    waits.push_back(std::chrono::duration_cast<seconds>(d).count());
    now_ += d;
  }
  std::vector<long> waits;

 private:
  MonoTime now_{};
};

TokenReply pending() {
  return FakeTokenEndpoint::error(400, "authorization_pending", "");
}

class AuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = test::generate_test_pki(tmp_.path());
    ASSERT_TRUE(pki) << pki.error().what;
    pki_ = *pki;
    endpoint_ = std::make_unique<FakeTokenEndpoint>(pki_.good.cert, pki_.good.key);
    ASSERT_TRUE(endpoint_->start());
  }

  AuthorizeParams params() const {
    AuthorizeParams p;
    p.account = "m365";
    p.token_url = endpoint_->url();
    p.device_url = endpoint_->device_url();
    p.authorize_url = endpoint_->authorize_url();
    p.scope = "SMTP.Send offline_access";
    p.client_id = "cid-1";
    p.tls_ca_file = pki_.ca_file;
    p.timeout = seconds(10);
    p.browser_wait = std::chrono::milliseconds(10000);
    return p;
  }

  Authorizer authorizer() {
    return Authorizer(https_, sleeper_, [this](const std::string& line) {
      std::lock_guard lock(mu_);
      said_.push_back(line);
      if (line.starts_with("https://") && !url_set_) {
        url_set_ = true;
        url_.set_value(line);
      }
    });
  }

  std::string said() {
    std::lock_guard lock(mu_);
    std::string out;
    for (const std::string& l : said_) {
      out += l + "\n";
    }
    return out;
  }

  test::TempDir tmp_ = test::TempDir::create_or_die("relaymail-authorizer");
  test::TestPki pki_;
  std::unique_ptr<FakeTokenEndpoint> endpoint_;
  HttpsClient https_;
  RecordingSleeper sleeper_;
  std::mutex mu_;
  std::vector<std::string> said_;
  std::promise<std::string> url_;  // the first URL said: the browser flow's
  bool url_set_ = false;
};

struct DeviceCase {
  const char* name;
  std::vector<TokenReply> polls;
  std::vector<long> waits;
  std::optional<Errc> error = std::nullopt;  // nullopt: granted
  std::string error_has = {};
};

TEST_F(AuthorizerTest, DeviceFlow) {
  const DeviceCase kCases[] = {
      {.name = "pending, slow_down, pending, then granted",
       .polls = {pending(), FakeTokenEndpoint::error(400, "slow_down", ""), pending(),
                 FakeTokenEndpoint::grant("at-1", 3600, "rt-new")},
       .waits = {5, 5, 10, 10}},
      {.name = "the user declines",
       .polls = {pending(), FakeTokenEndpoint::error(400, "access_denied", "declined")},
       .waits = {5, 5},
       .error = Errc::auth,
       .error_has = "account m365: the authorization was refused (access_denied: declined)"},
      {.name = "the code expires",
       .polls = {FakeTokenEndpoint::error(400, "expired_token", "")},
       .waits = {5},
       .error = Errc::timeout,
       .error_has = "expired"},
      {.name = "pending until the code's lifetime is over",
       .polls = {pending()},
       .waits = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5},  // 60 s
       .error = Errc::timeout,
       .error_has = "the code expired after 60 s"},
  };
  for (const DeviceCase& c : kCases) {
    SCOPED_TRACE(c.name);
    endpoint_->script_device(FakeTokenEndpoint::device_answer(
        "dc-secret", "WDJB-MJHT", "https://idp.test/device", 60, 5, "Enter the code."));
    endpoint_->script(c.polls);
    sleeper_.waits.clear();
    const size_t before = endpoint_->requests().size();
    auto g = authorizer().device_flow(params());
    EXPECT_EQ(sleeper_.waits, c.waits);
    std::vector<test::TokenRequestSeen> seen = endpoint_->requests();
    ASSERT_EQ(seen.size(), before + 1 + c.waits.size());  // a poll after each wait
    EXPECT_EQ(seen[before].target, "/devicecode");
    EXPECT_EQ(seen[before].form,
              (std::map<std::string, std::string>{{"client_id", "cid-1"},
                                                  {"scope", "SMTP.Send offline_access"}}));
    EXPECT_EQ(seen[before + 1].target, "/token");
    EXPECT_EQ(seen[before + 1].form["grant_type"], "urn:ietf:params:oauth:grant-type:device_code");
    EXPECT_EQ(seen[before + 1].form["device_code"], "dc-secret");
    EXPECT_EQ(seen[before + 1].form["client_id"], "cid-1");
    EXPECT_NE(said().find("account m365: to authorize relaymail, open https://idp.test/device\n"
                          "and enter the code: WDJB-MJHT\n"
                          "the server says: Enter the code.\n"
                          "waiting for the sign-in; the code expires in 1 minute\n"),
              std::string::npos)
        << said();
    EXPECT_EQ(said().find("dc-secret"), std::string::npos);
    if (!c.error) {
      ASSERT_TRUE(g) << g.error().what;
      EXPECT_EQ(g->access_token.view(), "at-1");
      ASSERT_TRUE(g->refresh_token);
      EXPECT_EQ(g->refresh_token->view(), "rt-new");
      continue;
    }
    ASSERT_FALSE(g);
    EXPECT_EQ(g.error().code, *c.error) << g.error().what;
    EXPECT_NE(g.error().what.find(c.error_has), std::string::npos) << g.error().what;
    EXPECT_EQ(g.error().what.find("dc-secret"), std::string::npos);
  }
}

TEST_F(AuthorizerTest, DeviceFlowFailuresBeforeAnyPoll) {
  endpoint_->script_device(FakeTokenEndpoint::error(400, "invalid_client", "not a public one"));
  auto g = authorizer().device_flow(params());
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, Errc::config);
  EXPECT_NE(g.error().what.find("(invalid_client: not a public one)"), std::string::npos);

  AuthorizeParams p = params();
  endpoint_->stop();
  g = authorizer().device_flow(p);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, Errc::connect) << g.error().what;
  EXPECT_NE(g.error().what.find("account m365: device authorization request: post "
                                "https://localhost:"),
            std::string::npos)
      << g.error().what;
  EXPECT_TRUE(sleeper_.waits.empty());
}

TEST_F(AuthorizerTest, RunPicksTheDeviceFlowFirstAndNeedsOne) {
  AuthorizeParams p = params();
  p.device_url.clear();
  p.authorize_url.clear();
  auto g = authorizer().run(p);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, Errc::config);
  EXPECT_NE(g.error().what.find("give oauth2.device_url"), std::string::npos);
  endpoint_->script_device(FakeTokenEndpoint::device_answer("dc", "U", "https://i/d", 60, 0));
  endpoint_->script({FakeTokenEndpoint::grant("at", 3600, "rt")});
  EXPECT_TRUE(authorizer().run(params()));
  EXPECT_EQ(endpoint_->requests().front().target, "/devicecode");
}

// The browser's GET of `redirect_uri` + "/?" + query; the HTTP status, or -1.
int browser_get(const std::string& redirect_uri, const std::string& query) {
  const uint16_t port = static_cast<uint16_t>(std::stoi(redirect_uri.substr(17)));
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in in4{};
  in4.sin_family = AF_INET;
  in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  in4.sin_port = htons(port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&in4), sizeof in4) != 0) {
    return -1;
  }
  std::string req = "GET /?" + query + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  (void)::send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL);
  char buf[64] = {};
  ssize_t n = ::recv(fd.get(), buf, sizeof buf - 1, MSG_WAITALL);
  return n >= 12 ? std::stoi(std::string(buf + 9, 3)) : -1;
}

struct BrowserCase {
  const char* name;
  bool register_code = true;    // as the authorization endpoint would have, with the challenge
  std::string answer = "code";  // "code" | "denied" | "none" (the browser never comes)
  std::optional<Errc> error = std::nullopt;
  std::string error_has = {};
};

TEST_F(AuthorizerTest, BrowserFlow) {
  const BrowserCase kCases[] = {
      {.name = "authorized"},
      {.name = "the user declines",
       .answer = "denied",
       .error = Errc::auth,
       .error_has = "account m365: the authorization was refused (access_denied)"},
      {.name = "the endpoint refuses the code",
       .register_code = false,
       .error = Errc::grant_refused,
       .error_has = "refused the authorization code (invalid_grant"},
      {.name = "the browser never comes",
       .answer = "none",
       .error = Errc::timeout,
       .error_has = "account m365: no redirect from the browser reached http://127.0.0.1:"},
  };
  for (const BrowserCase& c : kCases) {
    SCOPED_TRACE(c.name);
    url_ = std::promise<std::string>();
    url_set_ = false;
    endpoint_->script({FakeTokenEndpoint::grant("at-2", 3600, "rt-2")});
    AuthorizeParams p = params();
    p.device_url.clear();
    p.client_secret = SecretString("cs-1");
    p.browser_wait = std::chrono::milliseconds(c.answer == "none" ? 300 : 10000);
    auto url_said = url_.get_future();
    auto granted = std::async(std::launch::async, [this, p] { return authorizer().run(p); });
    ASSERT_EQ(url_said.wait_for(seconds(10)), std::future_status::ready);
    const std::string url = url_said.get();
    ASSERT_TRUE(url.starts_with(endpoint_->authorize_url() + "?")) << url;
    auto q = parse_query(url.substr(url.find('?') + 1));
    ASSERT_TRUE(q);
    std::map<std::string, std::string>& params = *q;
    EXPECT_EQ(params["client_id"], "cid-1");
    EXPECT_EQ(params["response_type"], "code");
    EXPECT_EQ(params["scope"], "SMTP.Send offline_access");
    EXPECT_EQ(params["code_challenge_method"], "S256");
    EXPECT_EQ(params["code_challenge"].size(), 43u);
    EXPECT_EQ(params["access_type"], "offline");
    EXPECT_EQ(params["prompt"], "consent");
    ASSERT_TRUE(params["redirect_uri"].starts_with("http://127.0.0.1:"));
    if (c.register_code) {
      endpoint_->expect_code("4/code-x", params["code_challenge"], params["redirect_uri"]);
    }
    if (c.answer == "code") {
      EXPECT_EQ(browser_get(params["redirect_uri"], "code=4%2Fcode-x&state=" + params["state"]),
                200);
    } else if (c.answer == "denied") {
      EXPECT_EQ(browser_get(params["redirect_uri"], "error=access_denied&state=" + params["state"]),
                200);
    }
    auto g = granted.get();
    if (!c.error) {
      ASSERT_TRUE(g) << g.error().what;
      EXPECT_EQ(g->refresh_token->view(), "rt-2");
      test::TokenRequestSeen last = endpoint_->requests().back();
      EXPECT_EQ(last.form["grant_type"], "authorization_code");
      EXPECT_EQ(last.form["code"], "4/code-x");
      EXPECT_EQ(last.form["redirect_uri"], params["redirect_uri"]);
      EXPECT_EQ(last.form["client_secret"], "cs-1");
      EXPECT_EQ(test::s256_challenge(last.form["code_verifier"]), params["code_challenge"]);
      EXPECT_EQ(said().find(last.form["code_verifier"]), std::string::npos);
      continue;
    }
    ASSERT_FALSE(g);
    EXPECT_EQ(g.error().code, *c.error) << g.error().what;
    EXPECT_NE(g.error().what.find(c.error_has), std::string::npos) << g.error().what;
  }
}

}  // namespace
}  // namespace rm
