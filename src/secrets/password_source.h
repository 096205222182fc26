// secrets/password_source.h — where an account's password comes from, resolved at delivery
// time only (submission never needs one). Sources: a file (owned by the reading user, no
// group/other bits: sys/secret_file.h), a systemd credential ($CREDENTIALS_DIRECTORY/NAME, NAME
// a plain file name), an environment variable, a command run with /bin/sh -c from the
// administrator's config (stdin /dev/null), or the keyring through an injected SecretStore
// (secrets/secret_store.h). For files, credentials and commands the password is the first line,
// one trailing LF or CRLF stripped.
// Errors: Errc::secret_unavailable (cannot get it now: defer), Errc::config (the reference
// itself is wrong: bad permissions, empty variable name). The secret never appears in an Error.
// Never logs. Not thread-safe (the command source forks). Not here: the keyring itself.
#pragma once

#include <chrono>
#include <cstdlib>
#include <string>

#include "core/result.h"
#include "core/secret_string.h"
#include "secrets/secret_store.h"

namespace rm {

struct SecretRef {
  enum class Kind { none, keyring, file, command, env, credential };
  Kind kind = Kind::none;
  std::string value = {};        // path, command line, variable name or credential name
  std::string account = {};      // for error texts
  std::string service = "smtp";  // the keyring's attributes
  std::string host = {};
  std::string user = {};
  std::chrono::milliseconds timeout{60000};  // for the keyring
};

// `keyring` is asked for Kind::keyring; without one (a program that links no keyring) that
// source answers Errc::secret_unavailable. `credentials_dir` is $CREDENTIALS_DIRECTORY, or
// nullptr when it is not set.
Result<SecretString> fetch_secret(
    const SecretRef& ref, SecretStore* keyring = nullptr,
    const char* credentials_dir = std::getenv("CREDENTIALS_DIRECTORY"));

}  // namespace rm
