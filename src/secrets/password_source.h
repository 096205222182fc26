// secrets/password_source.h — where an account's password comes from, resolved at delivery
// time only (submission never needs a password). Sources: a file (owned by the reading user,
// no group/other permission bits, first line, one trailing LF or CRLF stripped), an environment
// variable, or a command whose first output line is the password (run with /bin/sh -c from the
// administrator's own config, stdin /dev/null; never from message or caller input). The keyring
// (libsecret) arrives with its own issue and answers Errc::secret_unavailable for now.
// Errors: Errc::secret_unavailable (cannot get it now: defer), Errc::config (the reference
// itself is wrong: bad permissions, empty variable name). The secret never appears in an Error.
// Never logs. Not thread-safe (the command source forks).
#pragma once

#include <string>

#include "core/result.h"
#include "core/secret_string.h"

namespace rm {

struct SecretRef {
  enum class Kind { none, keyring, file, command, env };
  Kind kind = Kind::none;
  std::string value;    // path, command line or variable name
  std::string account;  // for error texts
};

Result<SecretString> fetch_secret(const SecretRef& ref);

}  // namespace rm
