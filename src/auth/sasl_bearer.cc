#include "auth/sasl_bearer.h"

#include <algorithm>

#include "auth/base64.h"
#include "auth/sasl_crypto.h"

namespace rm {
namespace {

// The token is a b64token (printable ASCII, RFC 6750 / RFC 7628 §3.1); user names may be UTF-8
// but carry no control characters, which would break the ^A framing.
bool token_ok(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
}

bool name_ok(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// RFC 5801 saslname: ',' → "=2C", '=' → "=3D".
std::string saslname(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string_view SaslBearer::name() const {
  return flavor_ == Flavor::xoauth2 ? "XOAUTH2" : "OAUTHBEARER";
}

Result<std::optional<SecretString>> SaslBearer::initial_response() {
  const bool x = flavor_ == Flavor::xoauth2;
  const std::string& identity = x || creds_.authzid.empty() ? creds_.user : creds_.authzid;
  std::string mech(name());
  if (!name_ok(identity)) {
    return make_error(Errc::auth, "AUTH %s: user name contains a control character", mech.c_str());
  }
  if (!token_ok(creds_.password.view())) {
    return make_error(Errc::auth, "AUTH %s: token is empty or not printable ASCII", mech.c_str());
  }
  std::string raw;
  raw.reserve(std::max<size_t>(64, identity.size() * 3 + creds_.password.size() + 32));
  if (x) {
    raw += "user=" + identity;
  } else {
    raw += identity.empty() ? "n,," : "n,a=" + saslname(identity) + ",";
  }
  raw +=
      "\x01"
      "auth=Bearer ";
  raw += creds_.password.view();
  raw += "\x01\x01";
  SecretString out(base64_encode(raw));
  cleanse(raw);
  ++steps_;
  return std::optional<SecretString>(std::move(out));
}

Result<SecretString> SaslBearer::step(std::string_view challenge_b64) {
  // The only challenge is the error report (base64 JSON) after a refused token.
  std::string mech(name());
  if (steps_ != 1) {
    return make_error(Errc::auth, "AUTH %s: unexpected server challenge", mech.c_str());
  }
  ++steps_;
  if (auto decoded = base64_decode(challenge_b64); !decoded) {
    return make_error(Errc::auth, "AUTH %s: malformed server challenge", mech.c_str());
  }
  // XOAUTH2 servers want an empty line; RFC 7628 §3.2.3 a lone ^A.
  return flavor_ == Flavor::xoauth2 ? SecretString() : SecretString(base64_encode("\x01"));
}

}  // namespace rm
