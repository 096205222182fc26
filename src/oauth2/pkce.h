// oauth2/pkce.h — Proof Key for Code Exchange (RFC 7636) with the S256 method, and the `state`
// of an authorization request (RFC 6749 §10.12): each 32 octets from OpenSSL's RAND_bytes,
// written base64url without padding (43 characters, RFC 7636 §4.1).
// Contract: code_challenge(v) = BASE64URL(SHA256(ASCII(v))) (§4.2).
// Errors: Errc::io when RAND_bytes fails. Never logs. Thread-safe.
// Not here: the URL and the form that carry them (oauth2/code_flow.h).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "core/secret_string.h"

namespace rm {

struct Pkce {
  SecretString verifier;  // sent only to the token endpoint
  std::string challenge;  // in the URL the browser opens
};

Result<Pkce> make_pkce();
Result<std::string> random_state();

std::string code_challenge(std::string_view verifier);
// RFC 4648 §5, without '=' padding.
std::string base64url(std::string_view raw);

}  // namespace rm
