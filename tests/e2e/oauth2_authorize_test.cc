// End-to-end: `relaymail oauth2 authorize ACCOUNT` against the fake authorization server over
// HTTPS on loopback (the test CA). The test reads what the command prints while it runs, as a
// user would: the user code of the device flow (the endpoint keeps answering
// authorization_pending until the test has read it, interval 0), or the URL of the browser
// flow, whose redirect the test then makes as the browser would. The refresh token lands in its
// file (0600), the cached access token is dropped, and nothing secret is printed or logged;
// refusals, expiry, an endpoint out of reach and config problems exit as documented.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "e2e/served.h"
#include "support/fake_token_endpoint.h"
#include "support/secret_service.h"
#include "support/test_pki.h"

namespace rm::e2e {
namespace {

using std::chrono::seconds;
using test::FakeTokenEndpoint;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUserCode[] = "WDJB-MJHT";
constexpr char kDeviceCode[] = "dc-GMMhmHCXhWEzkobqIHGG";
constexpr char kRefreshToken[] = "1//0gRt-issued-now";
constexpr char kAccessToken[] = "ya29.a0-issued-now";

// `relaymail ARGS` as a child whose stdout and stderr go to files the test reads while it runs;
// killed when still running at destruction.
class Running {
 public:
  Running(const World& w, const std::vector<std::string>& args)
      : out_(w.dir() + "/cmd.out"), err_(w.dir() + "/cmd.err") {
    std::vector<std::string> argv{"relaymail"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> env{"PATH=/usr/bin:/bin", "LANG=C"};
    for (const std::string& e : w.env()) {
      env.push_back(e);
    }
    const std::string bin = w.bin("relaymail");
    // Everything the child needs is built before fork(): the endpoint's threads may hold locks.
    std::vector<char*> a, e;
    for (std::string& s : argv) {
      a.push_back(s.data());
    }
    for (std::string& s : env) {
      e.push_back(s.data());
    }
    a.push_back(nullptr);
    e.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), 1);
      ::dup2(::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
      ::execve(bin.c_str(), a.data(), e.data());
      ::_exit(127);
    }
  }
  ~Running() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)wait(seconds(5));
    }
  }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;

  std::string out() const { return read_file(out_); }
  std::string err() const { return read_file(err_); }

  // The first line of stdout starting with `prefix`, once it is there; "" after `limit`.
  std::string line_starting(const std::string& prefix, std::chrono::milliseconds limit) const {
    std::string found;
    wait_until(
        [&] {
          std::string text = "\n" + out();
          size_t at = text.find("\n" + prefix);
          size_t end = at == std::string::npos ? at : text.find('\n', at + 1);
          if (end != std::string::npos) {
            found = text.substr(at + 1, end - at - 1);
          }
          return !found.empty();
        },
        limit);
    return found;
  }

  // The exit status, or -1 when it did not exit within `limit`.
  int wait(std::chrono::milliseconds limit) {
    int status = 0;
    if (!wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, limit)) {
      return -1;
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  std::string out_, err_;
  pid_t pid_ = -1;
};

// The query of `url` decoded; the test's own reading, not relaymail's.
std::map<std::string, std::string> query_of(const std::string& url) {
  std::map<std::string, std::string> out;
  std::string q = url.substr(url.find('?') + 1);
  for (size_t at = 0; at < q.size();) {
    size_t amp = q.find('&', at);
    amp = amp == std::string::npos ? q.size() : amp;
    std::string pair = q.substr(at, amp - at);
    size_t eq = pair.find('=');
    auto name = test::form_decode(pair.substr(0, eq));
    auto value = test::form_decode(eq == std::string::npos ? "" : pair.substr(eq + 1));
    if (name && value) {
      out[*name] = *value;
    }
    at = amp + 1;
  }
  return out;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

class AuthorizeWorld {
 public:
  // Starts the endpoint; false (after a test failure) when it did not.
  bool start() {
    const std::string pki_dir = w.dir() + "/pki";
    if (::mkdir(pki_dir.c_str(), 0700) != 0) {
      ADD_FAILURE() << "mkdir " << pki_dir;
      return false;
    }
    auto pki = test::generate_test_pki(pki_dir);
    if (!pki) {
      ADD_FAILURE() << pki.error().what;
      return false;
    }
    ca_file = pki->ca_file;
    endpoint = std::make_unique<FakeTokenEndpoint>(pki->good.cert, pki->good.key);
    if (auto st = endpoint->start(); !st) {
      ADD_FAILURE() << st.error().what;
      return false;
    }
    return true;
  }

  // The config of one account "m365" (custom provider), its oauth2 group ending in `flow`
  // (device_url or authorize_url) and `refresh_token`.
  bool write_config(const std::string& flow, const std::string& refresh_token) const {
    return write_file(
        w.config_path(),
        "spool = \"" + w.spool() + "\";\nlog = { syslog = false; file = \"" + log_file() +
            "\"; };\naccounts = ( {\n  name = \"m365\";\n  host = \"localhost\";\n"
            "  user = \"demo@example.com\";\n  auth = \"xoauth2\";\n  timeout = \"10s\";\n"
            "  oauth2 = {\n    token_url = \"" +
            endpoint->url() +
            "\";\n    client_id = \"cid-public\";\n    scope = \"SMTP.Send "
            "offline_access\";\n    tls_ca_file = \"" +
            ca_file + "\";\n    " + flow + "\n    refresh_token = " + refresh_token +
            ";\n  };\n}, {\n  name = \"plain\";\n  host = \"localhost\";\n} );\n");
  }
  bool device_config() const {
    return write_config("device_url = \"" + endpoint->device_url() + "\";",
                        "{ file = \"" + token_file() + "\"; }");
  }
  bool browser_config() const {
    return write_config("authorize_url = \"" + endpoint->authorize_url() + "\";",
                        "{ file = \"" + token_file() + "\"; }");
  }

  std::string token_file() const { return w.dir() + "/m365.refresh"; }
  std::string log_file() const { return w.dir() + "/relaymail.log"; }
  std::string cache_file() const { return w.spool() + "/oauth2/m365.token"; }

  // A cached access token of the grant being replaced.
  bool cache_old_token() const {
    return ::mkdir(w.spool().c_str(), 0700) == 0 &&
           ::mkdir((w.spool() + "/oauth2").c_str(), 0700) == 0 &&
           write_file(cache_file(),
                      "relaymail oauth2 token 1\nexpires: 4102444800\ntoken: ya29.old\n");
  }

  // Nothing secret in what the command printed or logged.
  void expect_no_secret(const Running& r) const {
    for (const char* secret : {kRefreshToken, kAccessToken, kDeviceCode}) {
      EXPECT_THAT(r.out() + r.err() + read_file(log_file()), Not(HasSubstr(secret)));
    }
  }

  World w;
  std::string ca_file;
  std::unique_ptr<FakeTokenEndpoint> endpoint;
};

TEST(OAuth2Authorize, DeviceFlowStoresTheRefreshTokenInItsFile) {
  AuthorizeWorld a;
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(a.device_config());
  ASSERT_TRUE(a.cache_old_token());
  a.endpoint->script_device(FakeTokenEndpoint::device_answer(
      kDeviceCode, kUserCode, "https://microsoft.com/devicelogin", 900, 0,
      "To sign in, open https://microsoft.com/devicelogin and enter the code."));
  // Pending until the user (the test) has read the code and "signed in".
  a.endpoint->script({FakeTokenEndpoint::error(400, "authorization_pending", "")});
  Running r(a.w, {"oauth2", "authorize", "m365"});
  const std::string code_line = r.line_starting("and enter the code: ", seconds(20));
  ASSERT_EQ(code_line, std::string("and enter the code: ") + kUserCode) << r.out() << r.err();
  EXPECT_THAT(r.out(), HasSubstr("account m365: to authorize relaymail, open "
                                 "https://microsoft.com/devicelogin\n"));
  EXPECT_THAT(r.out(), HasSubstr("the server says: To sign in, open"));
  a.endpoint->script({FakeTokenEndpoint::grant(kAccessToken, 3600, kRefreshToken)});
  ASSERT_EQ(r.wait(seconds(20)), 0) << r.out() << r.err();
  EXPECT_THAT(r.out(), HasSubstr("account m365: authorized; the refresh token is stored in " +
                                 a.token_file() + "\n"));
  EXPECT_EQ(read_file(a.token_file()), std::string(kRefreshToken) + "\n");
  EXPECT_EQ(mode_of(a.token_file()), 0600u);
  EXPECT_EQ(mode_of(a.cache_file()), 0u) << "the old grant's access token is dropped";
  auto seen = a.endpoint->requests();
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen[0].target, "/devicecode");
  EXPECT_EQ(seen[0].form["client_id"], "cid-public");
  EXPECT_EQ(seen[0].form["scope"], "SMTP.Send offline_access");
  EXPECT_EQ(seen.back().form["grant_type"], "urn:ietf:params:oauth:grant-type:device_code");
  EXPECT_EQ(seen.back().form["device_code"], kDeviceCode);
  a.expect_no_secret(r);
}

// The browser's GET of the redirect URI with `query`; the HTTP status, or -1.
int browser_get(const std::string& redirect_uri, const std::string& query) {
  const uint16_t port = static_cast<uint16_t>(std::stoi(redirect_uri.substr(17)));
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in in4{};
  in4.sin_family = AF_INET;
  in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  in4.sin_port = htons(port);
  int status = -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&in4), sizeof in4) == 0) {
    std::string req = "GET /?" + query + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                      "\r\nUser-Agent: e2e\r\n\r\n";
    (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    char buf[64] = {};
    if (::recv(fd, buf, sizeof buf - 1, MSG_WAITALL) >= 12) {
      status = std::stoi(std::string(buf + 9, 3));
    }
  }
  ::close(fd);
  return status;
}

TEST(OAuth2Authorize, BrowserFlowWithPkceStoresTheRefreshToken) {
  AuthorizeWorld a;
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(a.browser_config());
  a.endpoint->script({FakeTokenEndpoint::grant(kAccessToken, 3600, kRefreshToken)});
  Running r(a.w, {"oauth2", "authorize", "m365"});
  const std::string url = r.line_starting(a.endpoint->authorize_url() + "?", seconds(20));
  ASSERT_FALSE(url.empty()) << r.out() << r.err();
  EXPECT_THAT(r.out(), HasSubstr("account m365: to authorize relaymail, open this URL in a "
                                 "browser on this machine:\n"));
  std::map<std::string, std::string> p = query_of(url);
  EXPECT_EQ(p["client_id"], "cid-public");
  EXPECT_EQ(p["response_type"], "code");
  EXPECT_EQ(p["scope"], "SMTP.Send offline_access");
  EXPECT_EQ(p["code_challenge_method"], "S256");
  ASSERT_TRUE(p["redirect_uri"].starts_with("http://127.0.0.1:")) << url;
  // What the authorization endpoint would do once the user agreed: issue a code for this
  // challenge and send the browser to the redirect URI.
  a.endpoint->expect_code("4/0AeaYSHB-code", p["code_challenge"], p["redirect_uri"]);
  EXPECT_EQ(browser_get(p["redirect_uri"],
                        "state=" + p["state"] + "&code=4%2F0AeaYSHB-code&scope=SMTP.Send"),
            200);
  ASSERT_EQ(r.wait(seconds(20)), 0) << r.out() << r.err();
  EXPECT_EQ(read_file(a.token_file()), std::string(kRefreshToken) + "\n");
  EXPECT_EQ(mode_of(a.token_file()), 0600u);
  EXPECT_THAT(r.out(), HasSubstr("the refresh token is stored in " + a.token_file()));
  test::TokenRequestSeen last = a.endpoint->requests().back();
  EXPECT_EQ(last.form["grant_type"], "authorization_code");
  EXPECT_EQ(last.form["redirect_uri"], p["redirect_uri"]);
  EXPECT_EQ(test::s256_challenge(last.form["code_verifier"]), p["code_challenge"]);
  EXPECT_THAT(r.out() + r.err(), Not(HasSubstr(last.form["code_verifier"])));
  a.expect_no_secret(r);
}

// refresh_token = { keyring = true; }: the token goes to the Secret Service under the account's
// host and user and the service "oauth2-refresh-token", where delivery looks for it.
TEST(OAuth2Authorize, TheRefreshTokenCanGoToTheKeyring) {
  if (!test::SecretServiceSession::available()) {
    GTEST_SKIP() << "gnome-keyring-daemon, dbus-daemon, gdbus or secret-tool is not installed "
                    "(make test installs them)";
  }
  AuthorizeWorld a;
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(
      a.write_config("device_url = \"" + a.endpoint->device_url() + "\";", "{ keyring = true; }"));
  ASSERT_EQ(::mkdir((a.w.dir() + "/keyring").c_str(), 0700), 0);
  test::SecretServiceSession keyring(a.w.dir() + "/keyring");
  std::string why;
  ASSERT_TRUE(keyring.start(true, &why)) << why;
  a.endpoint->script_device(
      FakeTokenEndpoint::device_answer(kDeviceCode, kUserCode, "https://idp.test/d", 900, 0));
  a.endpoint->script({FakeTokenEndpoint::grant(kAccessToken, 3600, kRefreshToken)});
  std::vector<std::string> env = a.w.env();
  env.push_back("DBUS_SESSION_BUS_ADDRESS=" + keyring.address());
  RunResult r = run(a.w.bin("relaymail"), {"oauth2", "authorize", "m365"}, "", env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("account m365: authorized; the refresh token is stored in the "
                               "keyring (libsecret): service oauth2-refresh-token, host "
                               "localhost, user demo@example.com\n"));
  test::ToolResult looked = keyring.run({"secret-tool", "lookup", "service", "oauth2-refresh-token",
                                         "host", "localhost", "user", "demo@example.com"});
  EXPECT_EQ(looked.exit_code, 0) << looked.out;
  EXPECT_EQ(looked.out, kRefreshToken);
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(kRefreshToken)));
}

struct FailCase {
  const char* name;
  std::vector<test::TokenReply> polls = {};
  bool stop_endpoint = false;
  int exit_code;
  std::string err_has;
};

TEST(OAuth2Authorize, DeviceFlowFailuresExitAsDocumented) {
  const FailCase kCases[] = {
      {.name = "the user declines",
       .polls = {FakeTokenEndpoint::error(400, "access_denied", "The user declined.")},
       .exit_code = 77,
       .err_has = "account m365: the authorization was refused (access_denied: The user "
                  "declined.)"},
      {.name = "the code expires",
       .polls = {FakeTokenEndpoint::error(400, "expired_token", "")},
       .exit_code = 69,
       .err_has = "the code expired before the sign-in was completed"},
      {.name = "the endpoint is out of reach",
       .stop_endpoint = true,
       .exit_code = 69,
       .err_has = "account m365: device authorization request: post https://localhost:"},
      {.name = "a grant without a refresh token",
       .polls = {FakeTokenEndpoint::grant(kAccessToken, 3600)},
       .exit_code = 78,
       .err_has = "issued no refresh token"},
  };
  for (const FailCase& c : kCases) {
    SCOPED_TRACE(c.name);
    AuthorizeWorld a;
    ASSERT_TRUE(a.start());
    ASSERT_TRUE(a.device_config());
    a.endpoint->script_device(
        FakeTokenEndpoint::device_answer(kDeviceCode, kUserCode, "https://idp.test/d", 900, 0));
    a.endpoint->script(c.polls);
    if (c.stop_endpoint) {
      a.endpoint->stop();
    }
    Running r(a.w, {"oauth2", "authorize", "m365"});
    EXPECT_EQ(r.wait(seconds(20)), c.exit_code) << r.out() << r.err();
    EXPECT_THAT(r.err(), HasSubstr(c.err_has));
    EXPECT_EQ(mode_of(a.token_file()), 0u) << "nothing stored";
    a.expect_no_secret(r);
  }
}

struct ConfigCase {
  const char* name;
  std::string refresh_token;  // the source
  std::vector<std::string> args;
  int exit_code;
  std::string err_has;
};

TEST(OAuth2Authorize, ConfigProblemsAreRefusedBeforeAnythingIsAsked) {
  const ConfigCase kCases[] = {
      {.name = "a refresh token from a variable",
       .refresh_token = "{ env = \"M365_RT\"; }",
       .args = {"oauth2", "authorize", "m365"},
       .exit_code = 78,
       .err_has = "account m365: oauth2.refresh_token is read from an environment variable "
                  "(M365_RT), where relaymail cannot store the token; make it refresh_token = { "
                  "file = \"/path\"; } or { keyring = true; }"},
      {.name = "a refresh token from a command",
       .refresh_token = "{ command = \"pass show m365\"; }",
       .args = {"oauth2", "authorize", "m365"},
       .exit_code = 78,
       .err_has = "is read from a command, where relaymail cannot store the token"},
      {.name = "an account without oauth2",
       .refresh_token = "{ file = \"/nonexistent/rt\"; }",
       .args = {"oauth2", "authorize", "plain"},
       .exit_code = 78,
       .err_has = "account plain has no oauth2 group"},
      {.name = "no such account",
       .refresh_token = "{ file = \"/nonexistent/rt\"; }",
       .args = {"oauth2", "authorize", "gmail"},
       .exit_code = 78,
       .err_has = "no account named 'gmail'"},
      {.name = "a usage error",
       .refresh_token = "{ file = \"/nonexistent/rt\"; }",
       .args = {"oauth2", "authorise", "m365"},
       .exit_code = 64,
       .err_has = "usage: relaymail [-C FILE] oauth2 authorize ACCOUNT"},
  };
  for (const ConfigCase& c : kCases) {
    SCOPED_TRACE(c.name);
    AuthorizeWorld a;
    ASSERT_TRUE(a.start());
    ASSERT_TRUE(
        a.write_config("device_url = \"" + a.endpoint->device_url() + "\";", c.refresh_token));
    RunResult r = a.w.relaymail(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.err_has));
    EXPECT_TRUE(a.endpoint->requests().empty());
  }
}

}  // namespace
}  // namespace rm::e2e
