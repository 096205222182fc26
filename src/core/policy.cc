#include "core/policy.h"

namespace rm {

const char* tls_mode_name(TlsMode m) {
  switch (m) {
    case TlsMode::starttls:
      return "starttls";
    case TlsMode::tls:
      return "tls";
    case TlsMode::none:
      return "none";
  }
  return "?";
}

const char* auth_method_name(AuthMethod m) {
  switch (m) {
    case AuthMethod::automatic:
      return "auto";
    case AuthMethod::plain:
      return "plain";
    case AuthMethod::login:
      return "login";
    case AuthMethod::cram_md5:
      return "cram-md5";
    case AuthMethod::scram_sha_256:
      return "scram-sha-256";
    case AuthMethod::xoauth2:
      return "xoauth2";
    case AuthMethod::oauthbearer:
      return "oauthbearer";
    case AuthMethod::none:
      return "none";
  }
  return "?";
}

}  // namespace rm
