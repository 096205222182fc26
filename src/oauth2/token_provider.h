// oauth2/token_provider.h — relaymaild's TokenSource (secrets/token_source.h): the cached access
// token (oauth2/token_cache.h) while more than kRefreshMargin is left, else a refresh-token grant
// (oauth2/token_exchange.h over oauth2/https_client.h), cached at once. A token the smarthost
// refused is dropped. The refresh token and client secret are read only when a refresh is due.
// Contract: a rotated refresh token is written where refresh_token points (secrets/
// write_secret.h) before the access token is handed out; when it cannot be (a command, env or
// credential source, or a failed write), `warn` says so once per account, never with the token,
// and the new one is used from memory until the process ends. A cache that cannot be written is
// reported the same way; the token is still used.
// Errors: those of secrets/token_source.h. Never logs. Threads: calls are serialised.
// Not here: when a token is needed (relay/connector.h); authorizing; where the cache lives.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "core/clock.h"
#include "oauth2/https_client.h"
#include "oauth2/token_cache.h"
#include "secrets/secret_store.h"
#include "secrets/token_source.h"

namespace rm {

inline constexpr std::chrono::seconds kRefreshMargin{60};

class TokenProvider final : public TokenSource {
 public:
  using Warn = std::function<void(const std::string& line)>;

  // `cache_dir`: <spool>/oauth2. `keyring` answers (and stores) { keyring = true; } sources and
  // may be null; it and `clock` must outlive the provider.
  TokenProvider(std::string cache_dir, const Clock& clock, SecretStore* keyring, Warn warn);

  Result<AccessToken> access_token(const TokenQuery& q, const SecretString* refused) override;

 private:
  Result<AccessToken> refresh(const TokenQuery& q);
  Result<SecretString> refresh_token(const TokenQuery& q);
  void keep_rotated(const TokenQuery& q, SecretString rotated);
  void warn_once(const std::string& key, const std::string& line);

  TokenCache cache_;
  const Clock& clock_;
  SecretStore* keyring_;
  Warn warn_;
  HttpsClient https_;
  std::mutex mu_;
  std::map<std::string, SecretString> rotated_;  // by account: new refresh tokens not saved
  std::set<std::string> warned_;                 // accounts warned about that already
};

}  // namespace rm
