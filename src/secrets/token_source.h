// secrets/token_source.h — the OAuth 2.0 access-token seam. An account whose bearer mechanism
// (XOAUTH2, OAUTHBEARER) gets its token from an authorization server asks a TokenSource at
// delivery time, so the connector (relay/connector.h) needs no HTTP and tests can hand it tokens
// of their own. The implementation is oauth2/token_provider.h, linked by relaymaild only.
// Contract: access_token() returns a token to put on the wire now: a cached one while it is
// fresh, else one just obtained with the refresh token. A token the smarthost refused is passed
// back as `refused` and is never returned again.
// Errors: Errc::grant_refused (the refresh token was refused: `relaymail oauth2 authorize`
// must run again; the text says so), the sources' errors (secret_unavailable, config), network
// errors (resolve, connect, timeout, tls, tls_verify), Errc::secret_unavailable for an endpoint
// that answered without a token, Errc::untrusted for a token cache another user could change.
// Texts never contain a token or a secret. Never logs.
// Threads: implementations serialise their calls.
#pragma once

#include <chrono>
#include <string>

#include "core/result.h"
#include "core/secret_string.h"
#include "secrets/password_source.h"

namespace rm {

struct TokenQuery {
  std::string account;               // names the cached token; in error texts
  std::string token_url;             // https only
  std::string client_id;             // sent as is
  SecretRef client_secret;           // Kind::none: a public client
  SecretRef refresh_token;           // where a rotated one is written back, when it can be
  std::string tls_ca_file;           // the token endpoint's CA; "" = the system trust store
  std::chrono::seconds timeout{60};  // connect and total, for the token request
};

struct AccessToken {
  SecretString token;
  bool refreshed = false;  // just issued by the token endpoint, not taken from the cache
};

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // `refused`, when not null, is a token the smarthost just refused (AUTH answered 5xx).
  virtual Result<AccessToken> access_token(const TokenQuery& q, const SecretString* refused) = 0;
};

}  // namespace rm
