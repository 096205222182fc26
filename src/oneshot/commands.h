// oneshot/commands.h — relaymaild's one-shot commands, those relaymail hands its delivery work
// to (cli/deliver_now.h); `relaymaild serve` is the daemon (daemon/serve.h):
//   relaymaild flush [-C FILE] [--name NAME] [--print] [--due] [--quiet-success] [--no-stderr]
//                    [--] [ID...]
//       one queue run: every entry (or only the IDs), or with --due only those whose time has
//       come; --print writes one line per entry on stdout; exits 0, or 74 when the spool failed.
//   relaymaild check-connect [-C FILE] [--name NAME]
//       log in to each account and report (oneshot/check_connect.h); exits 0 or 69.
//   relaymaild password-set|password-clear [-C FILE] [--name NAME] ACCOUNT
//       write the account's keyring entry from stdin, or remove it (oneshot/password_command.h).
//   relaymaild oauth2-authorize [-C FILE] [--name NAME] ACCOUNT
//       authorize the account's OAuth2 client and store its refresh token
//       (oneshot/authorize_command.h); exits 0, 69, 74, 77 or 78.
// Log lines carry NAME ("sendmail", "relaymail"), so what the user sees does not depend on
// which program wrote it. Errors: 64 on a bad command line, 78 on a bad configuration, each with
// one line on stderr. Not thread-safe.
#pragma once

#include "secrets/secret_store.h"

namespace rm::oneshot {

// `keyring` answers password = { keyring = true; } and the password commands.
int run(int argc, char** argv, SecretStore& keyring);

}  // namespace rm::oneshot
