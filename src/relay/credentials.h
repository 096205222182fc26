// relay/credentials.h — an account's login secrets as secrets/ asks for them, built from the
// config in one place: the password's SecretRef, and for an account with oauth2 the TokenQuery
// of its access tokens. Keyring entries carry msmtp's attributes (host, user) and a service:
// "smtp" for the password, kRefreshTokenService and kClientSecretService for the OAuth2 secrets,
// so they sit beside the password without replacing it; `relaymail oauth2 authorize` writes the
// refresh token under the same attributes.
// Pure; thread-safe. Not here: fetching them (secrets/), when (relay/connector.h).
#pragma once

#include "config/config.h"
#include "secrets/password_source.h"
#include "secrets/token_source.h"

namespace rm {

inline constexpr char kRefreshTokenService[] = "oauth2-refresh-token";
inline constexpr char kClientSecretService[] = "oauth2-client-secret";

SecretRef password_ref(const Account& a);
// `a.oauth2` must be set.
TokenQuery token_query(const Account& a);

}  // namespace rm
