// cli/source_check.h — how far `relaymail check` can follow each account's secret sources
// (password, oauth2.client_secret, oauth2.refresh_token) without reading a secret: a file is
// there, a regular file, owned by the user who will read it, with no group or other bits (the
// rules of sys/secret_file.h, and in daemon mode sys/trusted_dir.h's as relaymaild applies
// them); a variable is set and not empty here; a credential is there when CREDENTIALS_DIRECTORY
// is set. The reader is the caller, or in daemon mode daemon.user ("" or "root": root).
// A keyring is not contacted and a command not run: `relaymail check --connect` does that.
// Errors: findings, never an Error; an `error` finding is something delivery refuses, a
// `warning` something it may refuse from another environment or that is not there yet.
// Uses lstat(2), getenv(3) and sys/user_db.h only; links no secrets code. Not thread-safe
// (getenv). Not here: printing and the exit status (cli/app.h).
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace rm::cli {

struct SourceFinding {
  enum class Level { note, warning, error };
  Level level;
  std::string text;  // "account A: password file PATH: reason"
};

// In the order of the accounts and, per account, password, client_secret, refresh_token.
std::vector<SourceFinding> check_sources(const Config& cfg);

}  // namespace rm::cli
