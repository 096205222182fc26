// auth/sasl_cram_md5.h — the CRAM-MD5 mechanism (RFC 2195): no initial response; the server's
// one 334 challenge (a msg-id such as "<1896.697170952@postoffice.example>") is answered with
// base64(user SP lowercase-hex(HMAC-MD5(password, challenge))). The password never crosses the
// wire, but the server must store it in the clear and MD5 is weak: SCRAM-SHA-256 is preferred.
// Errors: Errc::auth for an empty or non-base64 challenge, a second challenge, a NUL in the user
// name, or an OpenSSL failure; texts never quote the challenge or a credential.
// Not thread-safe.
#pragma once

#include "auth/sasl_mechanism.h"

namespace rm {

class SaslCramMd5 final : public SaslMechanism {
 public:
  explicit SaslCramMd5(SaslCredentials creds) : creds_(std::move(creds)) {}
  std::string_view name() const override { return "CRAM-MD5"; }
  Result<std::optional<SecretString>> initial_response() override { return std::nullopt; }
  Result<SecretString> step(std::string_view challenge_b64) override;

 private:
  SaslCredentials creds_;
  int steps_ = 0;
};

}  // namespace rm
