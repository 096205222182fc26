// oneshot/authorize_command.h — `relaymaild oauth2-authorize ACCOUNT`, which `relaymail oauth2
// authorize ACCOUNT` execs: one OAuth2 authorization of the account (oauth2/authorizer.h: the
// device flow, else the browser flow), its refresh token written where oauth2.refresh_token
// points (secrets/write_secret.h), the cached access token dropped (<spool>/oauth2).
// Output: what the user must do, then one line saying where the token went, on stdout (flushed
// at once); failures logged once. The token is never printed or logged.
// Returns a sysexits code: 0; 78 for an unknown account, one without oauth2, a refresh_token
// source relaymail cannot write (refused before anything is asked), no flow, or an endpoint
// refusing the client; 77 when the authorization was refused; 69 for an endpoint out of reach,
// an expired code, a browser that did not come, a keyring that cannot store now; 74 for a file
// that cannot be written. Not thread-safe.
#pragma once

#include <string>

#include "config/config.h"
#include "context/context.h"
#include "log/logger.h"
#include "secrets/secret_store.h"

namespace rm::oneshot {

int oauth2_authorize(const std::string& account, const Config& cfg, const Context& ctx,
                     SecretStore& keyring, Logger& log);

}  // namespace rm::oneshot
