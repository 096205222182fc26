// oauth2/token_cache.h — access tokens kept between runs, one file per account in a directory of
// the spool's owner (<spool>/oauth2/), so that a queue run need not ask the token endpoint again.
// Format, three LF-terminated lines: "relaymail oauth2 token 1", "expires: <epoch seconds>",
// "token: <printable ASCII>". Account A's file is <dir>/<A>.token, A with each octet outside
// [A-Za-z0-9._@+-] and a leading '.' written %XX; written atomically (0600 temp, fsync, rename).
// Contract: the directory is made (0700) by the first save and checked like the spool before
// every read and write (sys/trusted_dir.h); a file must be ours, one link, no group or other
// bits. A file that does not parse is no token: the next save replaces it.
// Errors: Errc::untrusted for a directory or file another user could change or read; Errc::io
// for failing syscalls. Never the token. Never logs. Threads: no shared state; concurrent
// writers of one account leave one whole file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"
#include "core/secret_string.h"

namespace rm {

struct CachedToken {
  SecretString token;
  int64_t expires_at = 0;  // seconds since the epoch
};

class TokenCache {
 public:
  explicit TokenCache(std::string dir) : dir_(std::move(dir)) {}

  // nullopt when there is no usable token file (none yet, or one that does not parse).
  Result<std::optional<CachedToken>> load(const std::string& account) const;
  Status save(const std::string& account, const CachedToken& token) const;
  // Forgets the account's token (authorizing again starts afresh); none is no error.
  Status drop(const std::string& account) const;

  const std::string& dir() const { return dir_; }
  std::string path_of(const std::string& account) const;

 private:
  std::string dir_;
};

// The text of a token file, and back; nullopt when `text` is not one.
SecretString format_cached_token(const CachedToken& token);
std::optional<CachedToken> parse_cached_token(std::string_view text);

}  // namespace rm
