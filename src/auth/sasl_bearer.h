// auth/sasl_bearer.h — the two OAuth 2.0 bearer-token mechanisms; the token is the password
// credential (an access token obtained elsewhere). Never chosen automatically.
//  - XOAUTH2 (Google and Microsoft, before RFC 7628): initial response
//    base64("user=" user ^A "auth=Bearer " token ^A ^A). A server that refuses the token sends
//    one 334 challenge (base64 JSON naming the error), answered with an empty response; then
//    the server sends its 535.
//  - OAUTHBEARER (RFC 7628) without channel binding: initial response
//    base64("n,a=" saslname(id) "," ^A "auth=Bearer " token ^A ^A) (§3.1; the optional host=
//    and port= pairs are not sent; id is the authzid when one is set, else the user, with ','
//    and '=' escaped as =2C and =3D). The 334 error challenge is answered with a single ^A
//    (§3.2.3), then the server sends its 535.
// Errors: Errc::auth for a user name or token with bytes unfit for the message (^A, controls),
// a malformed or second challenge; texts never contain the token. Not thread-safe.
#pragma once

#include "auth/sasl_mechanism.h"

namespace rm {

class SaslBearer final : public SaslMechanism {
 public:
  enum class Flavor { xoauth2, oauthbearer };
  SaslBearer(Flavor flavor, SaslCredentials creds) : flavor_(flavor), creds_(std::move(creds)) {}

  std::string_view name() const override;
  Result<std::optional<SecretString>> initial_response() override;
  Result<SecretString> step(std::string_view challenge_b64) override;

 private:
  Flavor flavor_;
  SaslCredentials creds_;
  int steps_ = 0;
};

}  // namespace rm
