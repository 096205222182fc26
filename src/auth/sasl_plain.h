// auth/sasl_plain.h — the PLAIN mechanism (RFC 4616): one message,
// base64(authzid NUL authcid NUL passwd), sent as the initial response. Only safe over TLS; the
// caller enforces that. Errors: Errc::auth (a NUL in a field, an unexpected challenge).
// Not thread-safe.
#pragma once

#include "auth/sasl_mechanism.h"

namespace rm {

class SaslPlain final : public SaslMechanism {
 public:
  explicit SaslPlain(SaslCredentials creds) : creds_(std::move(creds)) {}
  std::string_view name() const override { return "PLAIN"; }
  Result<std::optional<SecretString>> initial_response() override;
  // Answers the empty challenge that follows "AUTH PLAIN" sent without an initial response.
  Result<SecretString> step(std::string_view challenge_b64) override;

 private:
  Result<SecretString> message() const;
  SaslCredentials creds_;
  int steps_ = 0;
};

}  // namespace rm
