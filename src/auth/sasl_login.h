// auth/sasl_login.h — the LOGIN mechanism (draft-murchison-sasl-login): no initial response;
// the server's first 334 challenge ("Username:") gets base64(user), the second ("Password:")
// base64(password). As the draft advises, the challenge text is not interpreted (servers word
// it differently); order decides. A third challenge is Errc::auth. Only safe over TLS; the
// caller enforces that. Not thread-safe.
#pragma once

#include "auth/sasl_mechanism.h"

namespace rm {

class SaslLogin final : public SaslMechanism {
 public:
  explicit SaslLogin(SaslCredentials creds) : creds_(std::move(creds)) {}
  std::string_view name() const override { return "LOGIN"; }
  Result<std::optional<SecretString>> initial_response() override { return std::nullopt; }
  Result<SecretString> step(std::string_view challenge_b64) override;

 private:
  SaslCredentials creds_;
  int steps_ = 0;
};

}  // namespace rm
