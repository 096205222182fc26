// core/policy.h — the policy enums shared by config (which reads them) and the modules that obey
// them (smtp, log), kept here so none reaches into another. Pure data.
#pragma once

namespace rm {

enum class TlsMode { starttls, tls, none };  // "tls" = implicit TLS (465); "smtps" is a synonym
// xoauth2 and oauthbearer take an OAuth 2.0 bearer token where the others take a password.
enum class AuthMethod {
  automatic,
  plain,
  login,
  cram_md5,
  scram_sha_256,
  xoauth2,
  oauthbearer,
  none
};
enum class LogLevel { debug, info, warn, error };

const char* tls_mode_name(TlsMode m);
const char* auth_method_name(AuthMethod m);

}  // namespace rm
