#include "auth/sasl_mechanism.h"

#include <algorithm>
#include <cctype>

#include "auth/sasl_bearer.h"
#include "auth/sasl_cram_md5.h"
#include "auth/sasl_login.h"
#include "auth/sasl_plain.h"
#include "auth/sasl_scram.h"

namespace rm {
namespace {

// The password mechanisms, strongest first, for auth = auto. SCRAM-SHA-256 never reveals the
// password, not even to the server, and proves the server knows it; CRAM-MD5 keeps it off the
// wire but needs it stored in clear on the server and rests on MD5; PLAIN and LOGIN send it
// (inside TLS, which the session insists on), PLAIN in one round trip. XOAUTH2 and OAUTHBEARER
// are not here: they need a token, not a password, so only an explicit choice selects them.
constexpr AuthMethod kPreference[] = {AuthMethod::scram_sha_256, AuthMethod::cram_md5,
                                      AuthMethod::plain, AuthMethod::login};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

bool offers(std::span<const std::string> offered, AuthMethod m) {
  return std::any_of(offered.begin(), offered.end(),
                     [m](const std::string& o) { return iequals(o, sasl_name(m)); });
}

// "PLAIN LOGIN", printable and bounded: server text goes into an error message.
std::string offered_list(std::span<const std::string> offered) {
  std::string out;
  for (const std::string& o : offered) {
    if (out.size() > 200) {
      out += " ...";
      break;
    }
    if (!out.empty()) {
      out += ' ';
    }
    for (char c : o) {
      auto u = static_cast<unsigned char>(c);
      out += (u > 0x20 && u < 0x7f) ? c : '?';
    }
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::string_view sasl_name(AuthMethod method) {
  switch (method) {
    case AuthMethod::plain:
      return "PLAIN";
    case AuthMethod::login:
      return "LOGIN";
    case AuthMethod::cram_md5:
      return "CRAM-MD5";
    case AuthMethod::scram_sha_256:
      return "SCRAM-SHA-256";
    case AuthMethod::xoauth2:
      return "XOAUTH2";
    case AuthMethod::oauthbearer:
      return "OAUTHBEARER";
    case AuthMethod::automatic:
    case AuthMethod::none:
      return "";
  }
  return "";
}

Result<std::unique_ptr<SaslMechanism>> make_sasl_mechanism(AuthMethod method,
                                                           SaslCredentials creds) {
  switch (method) {
    case AuthMethod::plain:
      return std::make_unique<SaslPlain>(std::move(creds));
    case AuthMethod::login:
      return std::make_unique<SaslLogin>(std::move(creds));
    case AuthMethod::cram_md5:
      return std::make_unique<SaslCramMd5>(std::move(creds));
    case AuthMethod::scram_sha_256:
      return std::make_unique<SaslScramSha256>(std::move(creds));
    case AuthMethod::xoauth2:
      return std::make_unique<SaslBearer>(SaslBearer::Flavor::xoauth2, std::move(creds));
    case AuthMethod::oauthbearer:
      return std::make_unique<SaslBearer>(SaslBearer::Flavor::oauthbearer, std::move(creds));
    case AuthMethod::automatic:
    case AuthMethod::none:
      break;
  }
  return make_error(Errc::auth, "AUTH: no mechanism chosen (method %s)", auth_method_name(method));
}

Result<AuthMethod> choose_sasl_method(AuthMethod configured, std::span<const std::string> offered) {
  if (configured == AuthMethod::none) {
    return make_error(Errc::auth, "AUTH: authentication is disabled (auth = none)");
  }
  if (configured != AuthMethod::automatic) {
    if (!offers(offered, configured)) {
      return make_error(Errc::auth, "AUTH %s: not offered by the server (offered: %s)",
                        std::string(sasl_name(configured)).c_str(), offered_list(offered).c_str());
    }
    return configured;
  }
  for (AuthMethod m : kPreference) {
    if (offers(offered, m)) {
      return m;
    }
  }
  return make_error(Errc::auth, "AUTH: no supported mechanism offered by the server (offered: %s)",
                    offered_list(offered).c_str());
}

}  // namespace rm
