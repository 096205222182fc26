// sys/secret_file.h — may a process running as `uid` take a secret (a password, an OAuth2 token)
// from a file with these facts? The rules of the file and credential sources
// (secrets/password_source.h), here so that delivery, which fstat()s the fd it opened, and
// `relaymail check`, which only lstat()s, apply the very same ones: not a symbolic link
// (delivery opens with O_NOFOLLOW), a regular file and, for a file source, owned by `uid` with
// no group or other permission bit. A systemd credential's directory is private to the
// service, so neither owner nor mode is asked of it.
// Errors: none; a fault and its reason, one line. Pure; thread-safe.
// Not here: reading the secret (secrets/), the directories on the way (sys/trusted_dir.h).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "sys/trusted_dir.h"  // PathFacts

namespace rm {

enum class SecretFileFault { none, symlink, not_regular, owner, mode };

// `owner`: the uid that reads the file; nullopt for a credential (type checks only).
SecretFileFault secret_file_fault(const PathFacts& facts, std::optional<uid_t> owner);

// What is wrong, to follow "password file PATH: ": "not a regular file", "owned by uid 0, not
// by uid 1000", "mode 0644 is readable by others (chmod 600 it)"; "" for none.
std::string secret_file_reason(SecretFileFault fault, const PathFacts& facts,
                               std::optional<uid_t> owner);

}  // namespace rm
