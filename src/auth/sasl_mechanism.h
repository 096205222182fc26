// auth/sasl_mechanism.h — SASL client mechanisms (RFC 4422) as pure step functions, for SMTP
// AUTH (RFC 4954). A mechanism never touches a socket: the SMTP session asks it for the initial
// response, feeds it each 334 challenge (still base64, as the server sent it) and tells it when
// the server said 235. Everything it returns is already base64, ready for the wire.
// Implemented: SCRAM-SHA-256 (RFC 5802/7677, sasl_scram.h), CRAM-MD5 (RFC 2195), PLAIN
// (RFC 4616), LOGIN (draft-murchison-sasl-login), and the bearer-token mechanisms XOAUTH2 and
// OAUTHBEARER (RFC 7628), for which SaslCredentials::password holds the OAuth 2.0 token.
// A new mechanism implements SaslMechanism and gets a case in make_sasl_mechanism and, if it
// works with a password, a row in the preference table in sasl_mechanism.cc.
// Not here: deciding whether the channel is secure enough (smtp/client_session.h refuses AUTH
// without TLS), fetching the password or token (secrets/).
// Errors: Errc::auth, with texts that never contain a credential or a payload. Responses are
// SecretString. A mechanism object serves one authentication exchange. Not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/policy.h"
#include "core/result.h"
#include "core/secret_string.h"

namespace rm {

struct SaslCredentials {
  std::string user{};       // authentication identity
  SecretString password{};  // or the bearer token for XOAUTH2 and OAUTHBEARER
  std::string authzid{};    // authorization identity; empty: act as `user` (the usual case)
};

class SaslMechanism {
 public:
  virtual ~SaslMechanism() = default;
  // The IANA name as sent after AUTH: "PLAIN".
  virtual std::string_view name() const = 0;
  // The base64 initial response for "AUTH <name> <response>", or nullopt when the mechanism
  // waits for the server's first challenge. An empty SecretString is a zero-length initial
  // response (sent as "=").
  virtual Result<std::optional<SecretString>> initial_response() = 0;
  // Answers one 334 challenge (base64 text, possibly empty) with a base64 response.
  virtual Result<SecretString> step(std::string_view challenge_b64) = 0;
  // Called on 235. Mechanisms that authenticate the server (SCRAM) fail here when they have not
  // verified it; PLAIN and LOGIN accept.
  virtual Status finish() { return {}; }
};

// The SMTP AUTH keyword of a method ("PLAIN"), or "" for automatic and none.
std::string_view sasl_name(AuthMethod method);

// The mechanism for an explicit method. Errc::auth for automatic/none. Credentials that cannot
// be expressed (a NUL in the user name) fail later, in initial_response() or step().
Result<std::unique_ptr<SaslMechanism>> make_sasl_mechanism(AuthMethod method,
                                                           SaslCredentials creds);

// Picks the method to use against a server offering `offered` (AUTH keywords from EHLO, any
// case). automatic: the strongest password mechanism the server offers, in the order
// SCRAM-SHA-256, CRAM-MD5, PLAIN, LOGIN; XOAUTH2 and OAUTHBEARER are never picked automatically
// (they need a token, not a password) and must be configured. An explicit method must be
// offered by the server. Errc::auth when there is nothing to use; the text lists what the
// server offered.
Result<AuthMethod> choose_sasl_method(AuthMethod configured, std::span<const std::string> offered);

}  // namespace rm
