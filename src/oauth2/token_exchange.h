// oauth2/token_exchange.h — the refresh-token grant of OAuth 2.0 as data (RFC 6749 §6): the form
// posted to the token endpoint, and what its JSON answer means (§5.1, §5.2; nlohmann-json); and
// the answer to the grants that authorize (read_authorization_answer).
// Contract: the form is grant_type, refresh_token, client_id[, client_secret] (oauth2/
// https_client.h encodes it). A grant needs a 2xx status and a
// JSON object with a non-empty, printable access_token of any length; token_type, if present,
// Bearer; expires_in a number or digits (absent: kDefaultExpiresIn). A refresh_token in the
// answer is a new one that replaces the old.
// Errors, "account A: ...": Errc::grant_refused for invalid_grant, ending with the command to
// run; Errc::config for the other OAuth error codes (the client or the config is wrong);
// Errc::secret_unavailable for a 5xx, a 429 or another status without a code, an answer that is
// not JSON or has no usable token. error_description is quoted sanitised; tokens never.
// Pure, no I/O; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/secret_string.h"
#include "oauth2/https_client.h"

namespace rm {

inline constexpr int64_t kDefaultExpiresIn = 3600;
inline constexpr int64_t kMaxExpiresIn = int64_t{366} * 86400;  // longer is read as this

struct TokenGrant {
  SecretString access_token;
  int64_t expires_in = kDefaultExpiresIn;     // seconds from when the answer arrived
  std::optional<SecretString> refresh_token;  // a rotated refresh token, to store at once
};

// `client_secret` may be empty: a public client sends none.
std::vector<FormField> refresh_form(const SecretString& refresh_token, std::string_view client_id,
                                    const SecretString& client_secret);

Result<TokenGrant> read_token_answer(long status, std::string_view body,
                                     const std::string& account);

// The answer to an authorization grant (an authorization code, RFC 6749 §4.1.3, or a device
// code, RFC 8628 §3.4), which must carry a refresh token: `grant` names what was traded in
// ("authorization code"). Errors: Errc::grant_refused for invalid_grant (the code refused:
// authorize again), Errc::config for a grant without a refresh token (the scope lacks offline
// access), else read_token_answer()'s.
Result<TokenGrant> read_authorization_answer(long status, std::string_view body,
                                             const std::string& account, const char* grant);

// An OAuth error answer (RFC 6749 §5.2, RFC 8628 §3.5): its "error" code, and the code with its
// error_description sanitised for one log line ("access_denied: The user declined."); nullopt
// when `body` is not a JSON object with a string "error".
struct OAuthRefusal {
  std::string code;
  std::string said;
};
std::optional<OAuthRefusal> oauth_refusal(std::string_view body);

// The command that authorizes `account` again, its name quoted for a POSIX shell when it needs
// it: "relaymail oauth2 authorize gmail", "relaymail oauth2 authorize 'my mail'".
std::string authorize_command(const std::string& account);

}  // namespace rm
