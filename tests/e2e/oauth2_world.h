// tests/e2e/oauth2_world.h — the world the OAuth2 end-to-end tests share: fake_smtpd accepting
// one bearer token (XOAUTH2, Gmail's 334-JSON-then-535 for any other), the fake token endpoint
// over HTTPS on loopback with the test CA, a refresh token and a client secret in files, and a
// config with one account "gmail" (auth = "xoauth2", provider = "custom") that points at both.
// Setup fails the test (ADD_FAILURE) and returns false when a server does not start.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "e2e/harness.h"
#include "support/fake_token_endpoint.h"

namespace rm::e2e {

inline constexpr char kRefreshToken[] = "1//rt-first";
inline constexpr char kClientSecret[] = "cs-GOCSPX-secret";
inline constexpr char kOAuthMessage[] = "Subject: oauth\n\nbody\n";

// Google's access tokens run to 2 KB and more; the AUTH line carrying one is longer than 512.
const std::string& access_token();

struct OAuth2Options {
  std::string delivery = "queue";  // or "daemon", with a daemon group (socket in the world's dir)
  std::string timeout = "10s";     // the account's
  std::string token_url{};         // empty: the fake endpoint's
  std::string client_secret{};     // a password source in libconfig syntax; empty: a file
};

class OAuth2World {
 public:
  OAuth2World();

  bool start(const OAuth2Options& options = {});

  std::string refresh_token_file() const { return w.dir() + "/refresh.token"; }
  std::string socket() const { return w.dir() + "/submit.sock"; }
  std::string log_file() const { return w.dir() + "/relaymail.log"; }
  std::string cache_file() const { return w.spool() + "/oauth2/gmail.token"; }

  RunResult submit() const { return w.sendmail({"-i", "bob@example.org"}, kOAuthMessage); }

  World w;
  Smtpd smtpd;
  std::unique_ptr<test::FakeTokenEndpoint> endpoint;
};

mode_t mode_of(const std::string& path);

}  // namespace rm::e2e
