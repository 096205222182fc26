#include "auth/sasl_login.h"

#include "auth/base64.h"

namespace rm {

Result<SecretString> SaslLogin::step(std::string_view challenge_b64) {
  // The challenge must at least be base64; its words ("Username:", "User Name") vary.
  if (auto decoded = base64_decode(challenge_b64); !decoded) {
    return make_error(Errc::auth, "AUTH LOGIN: malformed server challenge");
  }
  ++steps_;
  if (steps_ == 1) {
    return SecretString(base64_encode(creds_.user));
  }
  if (steps_ == 2) {
    return SecretString(base64_encode(creds_.password.view()));
  }
  return make_error(Errc::auth, "AUTH LOGIN: unexpected third server challenge");
}

}  // namespace rm
