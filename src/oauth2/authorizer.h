// oauth2/authorizer.h — `oauth2 authorize` for one account, without the command line: the
// device flow (oauth2/device_flow.h) or the browser flow (oauth2/code_flow.h through a
// LoopbackRedirect) driven over HTTPS, what the user must do handed to `say` a line at a time.
// Contract: the device flow when a device endpoint is known, else the browser flow; the grant
// returned holds a refresh token. Polls wait on the Sleeper (the seam tests replace); the
// browser is awaited until `browser_wait` has passed.
// Errors, "account A: ...": Errc::config for an account with neither endpoint; those of
// oauth2/https_client.h, device_flow.h, loopback_redirect.h and token_exchange.h. Never a
// token, code or verifier, in an Error or in what is said. Never logs. Not thread-safe.
// Not here: where the refresh token goes, the exit status (oneshot/authorize_command.h).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "core/secret_string.h"
#include "oauth2/https_client.h"
#include "oauth2/token_exchange.h"

namespace rm {

struct AuthorizeParams {
  std::string account;
  std::string token_url;
  std::string device_url;     // "" = no device flow
  std::string authorize_url;  // "" = no browser flow
  std::string scope;
  std::string client_id;
  SecretString client_secret;        // empty: a public client
  std::string tls_ca_file;           // "" = the system trust store
  std::chrono::seconds timeout{60};  // each HTTPS request
  Millis browser_wait{std::chrono::minutes(5)};
};

// Time as the device flow's polling sees it.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual MonoTime now() const = 0;
  virtual void sleep_for(Millis d) = 0;
};

class RealSleeper final : public Sleeper {
 public:
  MonoTime now() const override { return std::chrono::steady_clock::now(); }
  void sleep_for(Millis d) override;
};

class Authorizer {
 public:
  using Say = std::function<void(const std::string& line)>;

  // `https` and `time` must outlive the authorizer.
  Authorizer(HttpsClient& https, Sleeper& time, Say say)
      : https_(https), time_(time), say_(std::move(say)) {}

  Result<TokenGrant> run(const AuthorizeParams& p);
  Result<TokenGrant> device_flow(const AuthorizeParams& p);
  Result<TokenGrant> browser_flow(const AuthorizeParams& p);

 private:
  Result<HttpsAnswer> post(const AuthorizeParams& p, const std::string& url,
                           std::vector<FormField> form, const char* what);

  HttpsClient& https_;
  Sleeper& time_;
  Say say_;
};

}  // namespace rm
