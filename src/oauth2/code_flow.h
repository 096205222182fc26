// oauth2/code_flow.h — the authorization-code grant of a native app as data (RFC 6749 §4.1 with
// PKCE, RFC 7636 S256, and a loopback redirect, RFC 8252 §7.3): the URL the user opens in a
// browser, and the form that trades the code the redirect brought for tokens.
// Contract: the URL carries client_id, redirect_uri, response_type=code, scope (when not
// empty), code_challenge, code_challenge_method=S256, state, access_type=offline and
// prompt=consent (Google issues a refresh token only with those two; other servers ignore
// parameters they do not know, RFC 6749 §3.1). The form is grant_type=authorization_code, code,
// redirect_uri, code_verifier, client_id[, client_secret]; its answer is
// read_authorization_answer()'s (oauth2/token_exchange.h).
// Pure; thread-safe. Not here: the listener (oauth2/loopback_redirect.h), the driving
// (oauth2/authorizer.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/secret_string.h"
#include "oauth2/https_client.h"

namespace rm {

struct CodeRequest {
  std::string authorize_url{};  // the authorization endpoint
  std::string client_id{};
  std::string redirect_uri{};  // http://127.0.0.1:PORT
  std::string scope{};         // "" = none sent
  std::string state{};
  std::string code_challenge{};
};

std::string authorization_url(const CodeRequest& r);

// `client_secret` may be empty: a public client sends none.
std::vector<FormField> code_form(const SecretString& code, const std::string& redirect_uri,
                                 const SecretString& verifier, std::string_view client_id,
                                 const SecretString& client_secret);

}  // namespace rm
