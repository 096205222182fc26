// secrets/write_secret.h — puts a new value where a secret source points, for the two sources
// that can hold one: a file (its content replaced by the secret and one LF, atomically: a 0600
// temp file beside it, fsync, rename, fsync of the directory) and the keyring (SecretStore::store,
// under the reference's attributes). A command, a variable or a systemd credential cannot be
// written. Used for OAuth2 refresh tokens the provider rotates (oauth2/token_provider.h).
// Errors: Errc::config for a source that cannot be written and for a file that is not a regular
// file of ours (the owner fetch_secret() demands); Errc::io for a failing write (the old file is
// then untouched); the keyring's own errors. The secret never appears in an Error. Never logs.
// Not thread-safe (a keyring store is one call at a time).
#pragma once

#include <string>

#include "core/result.h"
#include "core/secret_string.h"
#include "secrets/password_source.h"
#include "secrets/secret_store.h"

namespace rm {

// Whether write_secret() can put a value where a source of `kind` points.
bool can_write_secret(SecretRef::Kind kind);

// `label` names the keyring entry (what a keyring browser shows); unused for a file.
Status write_secret(const SecretRef& ref, const SecretString& secret, const std::string& label,
                    SecretStore* keyring);

}  // namespace rm
