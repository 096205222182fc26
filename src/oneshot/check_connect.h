// oneshot/check_connect.h — `relaymail check --connect`: for each account, open a real session the
// way delivery does (fallback hosts, TLS verification, AUTH) and report what was found: the
// peer, the TLS version and cipher, the server certificate's subject, issuer and expiry, the
// ESMTP extensions and AUTH mechanisms offered, for an OAuth2 account the access token's state
// (fresh: cached and valid; refreshed: just now; refused: invalid_grant, with the command to
// run; never the token), and OK or the exact failure. Nothing is queued or sent; only QUIT
// follows a successful login. A refresh is delivery's: the token is cached, a rotated refresh
// token stored (oauth2/token_provider.h).
// Output: a few indented lines per account on `out`; failures also go to the Logger.
// Returns 0 when every account logged in (or needs no login), 69 (EX_UNAVAILABLE) otherwise.
// Not thread-safe.
#pragma once

#include <cstdio>

#include "config/config.h"
#include "context/context.h"
#include "log/logger.h"
#include "secrets/secret_store.h"

namespace rm::oneshot {

int check_connect(const Config& cfg, const Context& ctx, Logger& log, std::FILE* out,
                  SecretStore* keyring = nullptr);

}  // namespace rm::oneshot
