// core/policy.h — the policy enums shared by config (which reads them) and smtp (which obeys
// them), kept here so neither module reaches into the other. Pure data.
#pragma once

namespace rm {

enum class TlsMode { starttls, tls, none };  // "tls" = implicit TLS (465); "smtps" is a synonym
enum class AuthMethod { automatic, plain, login, cram_md5, scram_sha_256, xoauth2, none };

const char* tls_mode_name(TlsMode m);
const char* auth_method_name(AuthMethod m);

}  // namespace rm
