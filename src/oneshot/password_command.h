// oneshot/password_command.h — `relaymaild password-set|password-clear`, which `relaymail
// password set|clear ACCOUNT` execs: the account's keyring entry (host, service "smtp", user;
// keyring/libsecret_store.h) is written from stdin or removed. relaymail links no keyring code,
// so these run here. The password comes on stdin only (read without echo from a terminal), never
// from argv or the environment, and is never written anywhere but the keyring.
// Returns a sysexits code: 0; 64 for an unknown account or an empty password; 78 for an account
// without a user; 69 when the keyring cannot do it now (one line naming the backend, logged).
// Not thread-safe (changes the terminal's echo while reading).
#pragma once

#include <string>

#include "config/config.h"
#include "core/result.h"
#include "core/secret_string.h"
#include "log/logger.h"
#include "secrets/secret_store.h"

namespace rm::oneshot {

enum class PasswordAction { set, clear };

int password_command(PasswordAction action, const std::string& account, const Config& cfg,
                     SecretStore& keyring, Logger& log);

// The first line of `fd` (one LF or CRLF stripped, at most 64 KiB). On a terminal, `prompt` is
// written to stderr and echo is off while the line is read.
Result<SecretString> read_password(int fd, const std::string& prompt);

}  // namespace rm::oneshot
